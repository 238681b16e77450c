import type { BenchCaseResult, BenchReport, BenchSkip, FloorCheck } from './schema.js';

export type { FloorCheck } from './schema.js';

const find = (cases: BenchCaseResult[], p: (c: BenchCaseResult) => boolean) => cases.find(p);

/**
 * What the adapter really is when it only emulates a GPU on the CPU
 * (SwiftShader, llvmpipe/lavapipe, WARP), else null: GPU floors measured on
 * it say nothing about a GPU.
 */
export function emulatedAdapter(adapter: BenchReport['adapter']): string | null {
  if (!adapter) return null;
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.description}`;
  if (/swiftshader/i.test(text)) return 'SwiftShader, a CPU emulation of a GPU';
  if (/llvmpipe|lavapipe/i.test(text)) return 'llvmpipe/lavapipe, a CPU emulation of a GPU';
  if (/microsoft basic render|\bwarp\b/i.test(text)) return 'WARP, a CPU emulation of a GPU';
  return null;
}

/** The issue's performance floors, computed from one run's cases (ratios of medians), each MISS or unmeasured one with its reason. */
export function checkFloors(report: BenchReport): FloorCheck[] {
  const out: FloorCheck[] = [];
  const cases = report.cases;
  const config = report.config;
  const emulated = emulatedAdapter(report.adapter);
  const noGpu = report.adapter === null ? 'no WebGPU adapter: the GPU cases did not run (this floor needs a GPU)' : null;
  const peersOff = (impl: string) => (config.peers && !config.peers.includes(impl as never) ? `${impl} was not measured (peers off: --no-peers, peers=0)` : null);
  // Random CSR layers of small shapes land near, not on, the asked sparsity (32×32 at 0.9 → 0.92): say so rather than "not measured".
  const offTarget = (at: (c: BenchCaseResult) => boolean, target: number) => {
    const near = cases.filter((c) => at(c) && c.impl === 'wgsparse' && c.format === 'csr').sort((a, b) => Math.abs(a.sparsity - target) - Math.abs(b.sparsity - target))[0];
    return near && Math.abs(near.sparsity - target) < 0.05
      ? `the CSR case asked at ${target} came out at ${(near.sparsity * 100).toFixed(1)} % sparsity (${near.rows}×${near.cols}: too small a shape to land within the floor's tolerance)`
      : null;
  };
  const skippedFor = (label: string) => report.skipped.find((s) => s.kind === 'case' && s.label.includes(label))?.reason ?? null;
  const add = (name: string, floor: number, needsGpu: boolean, num: BenchCaseResult | undefined, den: BenchCaseResult | undefined, whyMissing: () => string) => {
    const ratio = num && den ? num.medianMs / den.medianMs : null;
    const pass = ratio !== null && ratio >= floor;
    const status = ratio === null ? 'not measured' : pass ? 'pass' : 'miss';
    const reason =
      status === 'not measured' ? whyMissing() : status === 'miss' && needsGpu && emulated ? `the adapter is ${emulated}: this floor needs a real GPU, so a miss here says nothing about one` : null;
    out.push({
      name,
      ratio,
      floor,
      pass,
      status,
      needsGpu,
      reason,
      detail: num && den ? `${num.medianMs.toFixed(3)} ms / ${den.medianMs.toFixed(3)} ms (${den.rows}×${den.cols}×${den.batch})` : 'not measured in this run',
    });
  };
  for (const shape of config.shapes) {
    const label = `${shape.rows}×${shape.cols}×${shape.batch}`;
    const at = (c: BenchCaseResult) => c.backend === 'webgpu' && c.op === 'forward' && c.rows === shape.rows && c.cols === shape.cols && c.batch === shape.batch;
    const dense = find(cases, (c) => at(c) && c.impl === 'wgsparse' && c.format === 'dense');
    const gpuMissing = (what: string, off: string | null) => () =>
      noGpu ?? (config.ops && !config.ops.includes('forward') ? 'the forward product was not measured (ops)' : null) ?? skippedFor(`webgpu forward ${what}`) ?? skippedFor(`webgpu forward dense ${label}`) ?? off ?? `${what} was not measured in this run`;
    const csr = (s: number) => find(cases, (c) => at(c) && c.format === 'csr' && Math.abs(c.sparsity - s) < (s > 0.98 ? 0.005 : 0.01));
    add(`wgsparse GEMM vs tfjs-webgpu matMul, ${label}`, 1.0, true, find(cases, (c) => at(c) && c.impl === 'tfjs-webgpu'), dense, gpuMissing(`dense ${label}`, peersOff('tfjs-webgpu')));
    add(`CSR 90% vs wgsparse GEMM, ${label}`, 4, true, dense, csr(0.9), gpuMissing(`csr 90% ${label}`, config.sparsities && !config.sparsities.includes(0.9) ? 'sparsity 0.9 was not among the sparsities' : offTarget(at, 0.9)));
    add(`CSR 99% vs wgsparse GEMM, ${label}`, 20, true, dense, csr(0.99), gpuMissing(`csr 99% ${label}`, config.sparsities && !config.sparsities.includes(0.99) ? 'sparsity 0.99 was not among the sparsities' : offTarget(at, 0.99)));
    add(`2:4 vs wgsparse GEMM, ${label}`, 1.5, true, dense, find(cases, (c) => at(c) && c.format === 'nm' && c.n === 2 && c.m === 4), gpuMissing(`2:4 ${label}`, config.nm && !config.nm.some(([n, m]) => n === 2 && m === 4) ? '2:4 was not among the N:M patterns' : null));
  }
  const evolveCases = cases.filter((c) => c.op === 'evolve');
  for (const evolve of evolveCases) {
    const same = (op: string) => find(cases, (c) => c.op === op && c.rows === evolve.rows && c.cols === evolve.cols && c.nnz === evolve.nnz);
    const missing = () => 'not measured in this run';
    add(`GPU evolve vs CPU round trip (read back, evolve, upload), ${evolve.nnz} connections`, 5, true, same('evolve-roundtrip'), evolve, missing);
    // "under 10 % of an epoch" as a ratio: epoch / evolve ≥ 10.
    add(`epoch (forward + backward, 60,000 samples) vs GPU evolve, ${evolve.nnz} connections`, 10, true, same('epoch'), evolve, missing);
  }
  if (evolveCases.length === 0) {
    const asked = config.evolve ?? [];
    const why = asked.length === 0 ? 'topology evolution was not measured (evolve off: --no-evolve, evolve=0)' : (noGpu ?? 'the evolve cases did not run');
    const layers = asked.length ? asked.map((e) => `${e.rows}×${e.cols} at density ${e.density}`).join(', ') : 'no layer';
    add(`GPU evolve vs CPU round trip (read back, evolve, upload), ${layers}`, 5, true, undefined, undefined, () => why);
    add(`epoch (forward + backward, 60,000 samples) vs GPU evolve, ${layers}`, 10, true, undefined, undefined, () => why);
  }
  const cpu = (c: BenchCaseResult) => c.backend === 'cpu' && c.op === 'forward';
  const csr90 = find(cases, (c) => cpu(c) && c.impl === 'wgsparse' && c.format === 'csr' && Math.abs(c.sparsity - 0.9) < 0.01);
  const cpuMissing = (impl: string) => () =>
    peersOff(impl) ?? (config.sparsities && !config.sparsities.includes(0.9) ? 'sparsity 0.9 was not among the sparsities' : (offTarget(cpu, 0.9) ?? `${impl} or CPU CSR 90% was not measured in this run`));
  add('CPU CSR 90% vs mathjs sparse multiply', 50, false, find(cases, (c) => cpu(c) && c.impl === 'mathjs' && Math.abs(c.sparsity - 0.9) < 0.01), csr90, cpuMissing('mathjs'));
  add('CPU CSR 90% vs tfjs-cpu dense matMul', 3, false, find(cases, (c) => cpu(c) && c.impl === 'tfjs-cpu'), csr90, cpuMissing('tfjs-cpu'));
  return out;
}

/**
 * The report as written to JSON (CLI and page alike): with its floors, and
 * with every floor that could not be evaluated listed in `skipped` too.
 */
export function finishReport(report: BenchReport): BenchReport & { floors: FloorCheck[] } {
  const floors = checkFloors(report);
  const checks: BenchSkip[] = floors.filter((f) => f.status === 'not measured').map((f) => ({ kind: 'check', label: f.name, reason: f.reason ?? 'not measured in this run' }));
  return { ...report, skipped: [...report.skipped.filter((s) => s.kind === 'case'), ...checks], floors };
}

function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toFixed(digits);
}

function variantLabel(c: BenchCaseResult): string {
  if (c.format === 'dense') return c.impl === 'wgsparse' ? 'dense' : `dense (${c.impl})`;
  const base = c.format === 'nm' ? `${c.n}:${c.m}` : `csr ${Math.round(c.sparsity * 100)}%`;
  return c.impl === 'wgsparse' ? base : `${base} (${c.impl})`;
}

/** A plain-text table per (backend, op, shape). */
export function formatTable(report: BenchReport): string {
  const lines: string[] = [];
  const groups = new Map<string, BenchCaseResult[]>();
  for (const c of report.cases) {
    const key = `${c.backend} · ${c.op} · ${c.rows}×${c.cols} weights, batch ${c.batch}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const header = ['variant', 'median ms', 'min ms', 'GFLOP/s', 'dense-eq GFLOP/s', 'GB/s', 'vs dense', 'timing'];
  for (const [key, cases] of groups) {
    lines.push('', cases.every((c) => c.interleaved) ? `${key} (timed in turns)` : key);
    const rows = cases.map((c) => [
      variantLabel(c),
      fmt(c.medianMs, 3),
      fmt(c.minMs, 3),
      fmt(c.gflops),
      fmt(c.denseEquivalentGflops),
      fmt(c.gbps),
      c.speedupVsDense === null ? '-' : `${fmt(c.speedupVsDense)}×`,
      `${c.timing}${c.repeatsPerRun > 1 ? ` ×${c.repeatsPerRun}` : ''}`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => '  ' + r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
    lines.push(line(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  }
  return lines.join('\n');
}

/** One line per floor: PASS, MISS or SKIP, and for a MISS or SKIP why (e.g. the adapter is SwiftShader). */
export function formatFloors(floors: FloorCheck[]): string {
  return floors
    .map((f) => {
      const head = f.status === 'pass' ? 'PASS' : f.status === 'miss' ? 'MISS' : 'SKIP';
      const measured = f.ratio === null ? 'not measured' : `${fmt(f.ratio)}×`;
      return `  ${head}  ${f.name}: ${measured} (floor ${f.floor}×${f.ratio === null ? '' : `; ${f.detail}`})${f.reason ? ` — ${f.reason}` : ''}`;
    })
    .join('\n');
}

/** One line per skipped case or check, with its reason. */
export function formatSkipped(skipped: BenchSkip[]): string {
  return skipped.map((s) => `  SKIP  ${s.kind} ${s.label}: ${s.reason}`).join('\n');
}

const CSV_FIELDS = ['op', 'format', 'n', 'm', 'sparsity', 'rows', 'cols', 'batch', 'nnz', 'impl', 'backend', 'medianMs', 'minMs', 'runs', 'repeatsPerRun', 'timing', 'gflops', 'denseEquivalentGflops', 'gbps', 'speedupVsDense', 'maxAbsError', 'interleaved'] as const;

export function toCsv(report: BenchReport): string {
  const rows = report.cases.map((c) => CSV_FIELDS.map((f) => String(c[f] ?? '')).join(','));
  return [CSV_FIELDS.join(','), ...rows].join('\n') + '\n';
}
