import type { BenchCaseResult, BenchReport } from './schema.js';

export interface FloorCheck {
  name: string;
  ratio: number | null;
  floor: number;
  pass: boolean;
  detail: string;
}

const find = (cases: BenchCaseResult[], p: (c: BenchCaseResult) => boolean) => cases.find(p);

/** The issue's performance floors, computed from one run's cases (ratios of medians). */
export function checkFloors(report: BenchReport): FloorCheck[] {
  const out: FloorCheck[] = [];
  const cases = report.cases;
  const add = (name: string, floor: number, num: BenchCaseResult | undefined, den: BenchCaseResult | undefined) => {
    const ratio = num && den ? num.medianMs / den.medianMs : null;
    out.push({
      name,
      ratio,
      floor,
      pass: ratio !== null && ratio >= floor,
      detail: num && den ? `${num.medianMs.toFixed(3)} ms / ${den.medianMs.toFixed(3)} ms (${den.rows}×${den.cols}×${den.batch})` : 'not measured in this run',
    });
  };
  for (const shape of report.config.shapes) {
    const at = (c: BenchCaseResult) => c.backend === 'webgpu' && c.op === 'forward' && c.rows === shape.rows && c.cols === shape.cols && c.batch === shape.batch;
    const dense = find(cases, (c) => at(c) && c.impl === 'wgsparse' && c.format === 'dense');
    if (!dense) continue;
    const label = `${shape.rows}×${shape.cols}×${shape.batch}`;
    add(`wgsparse GEMM vs tfjs-webgpu matMul, ${label}`, 1.0, find(cases, (c) => at(c) && c.impl === 'tfjs-webgpu'), dense);
    add(`CSR 90% vs wgsparse GEMM, ${label}`, 4, dense, find(cases, (c) => at(c) && c.format === 'csr' && Math.abs(c.sparsity - 0.9) < 0.01));
    add(`CSR 99% vs wgsparse GEMM, ${label}`, 20, dense, find(cases, (c) => at(c) && c.format === 'csr' && Math.abs(c.sparsity - 0.99) < 0.005));
    add(`2:4 vs wgsparse GEMM, ${label}`, 1.5, dense, find(cases, (c) => at(c) && c.format === 'nm' && c.n === 2 && c.m === 4));
  }
  for (const evolve of cases.filter((c) => c.op === 'evolve')) {
    const same = (op: string) => find(cases, (c) => c.op === op && c.rows === evolve.rows && c.cols === evolve.cols && c.nnz === evolve.nnz);
    add(`GPU evolve vs CPU round trip (read back, evolve, upload), ${evolve.nnz} connections`, 5, same('evolve-roundtrip'), evolve);
    // "under 10 % of an epoch" as a ratio: epoch / evolve ≥ 10.
    add(`epoch (forward + backward, 60,000 samples) vs GPU evolve, ${evolve.nnz} connections`, 10, same('epoch'), evolve);
  }
  const cpu = (c: BenchCaseResult) => c.backend === 'cpu' && c.op === 'forward';
  const csr90 = find(cases, (c) => cpu(c) && c.impl === 'wgsparse' && c.format === 'csr' && Math.abs(c.sparsity - 0.9) < 0.01);
  add('CPU CSR 90% vs mathjs sparse multiply', 50, find(cases, (c) => cpu(c) && c.impl === 'mathjs' && Math.abs(c.sparsity - 0.9) < 0.01), csr90);
  add('CPU CSR 90% vs tfjs-cpu dense matMul', 3, find(cases, (c) => cpu(c) && c.impl === 'tfjs-cpu'), csr90);
  return out;
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

export function formatFloors(floors: FloorCheck[]): string {
  return floors.map((f) => `  ${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.ratio === null ? '-' : `${fmt(f.ratio)}×`} (floor ${f.floor}×; ${f.detail})`).join('\n');
}

const CSV_FIELDS = ['op', 'format', 'n', 'm', 'sparsity', 'rows', 'cols', 'batch', 'nnz', 'impl', 'backend', 'medianMs', 'minMs', 'runs', 'repeatsPerRun', 'timing', 'gflops', 'denseEquivalentGflops', 'gbps', 'speedupVsDense', 'maxAbsError', 'interleaved'] as const;

export function toCsv(report: BenchReport): string {
  const rows = report.cases.map((c) => CSV_FIELDS.map((f) => String(c[f] ?? '')).join(','));
  return [CSV_FIELDS.join(','), ...rows].join('\n') + '\n';
}
