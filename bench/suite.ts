import { DenseMatrix, type Engine, type PreparedOperation } from '../src/index.js';
import { checkResult } from './check.js';
import { makeWeights, storedCount, weightBytes, type Weights } from './operands.js';
import type { Peer } from './peers.js';
import { BENCH_SCHEMA, type BenchCaseResult, type BenchImpl, type BenchOp, type BenchReport } from './schema.js';
import { gpuSampler, repeatedSampler, timeInterleaved, timingFields, type Sampler, type Timing, type TimingOptions } from './timing.js';
import { measureEvolution, type EvolveShape } from './evolve.js';

export interface Shape {
  rows: number;
  cols: number;
  batch: number;
}

export interface SuiteConfig {
  quick: boolean;
  /** GPU shapes (outputs × inputs × batch). */
  shapes: Shape[];
  /** The CPU fallback's shape (CPU peers are far slower, so smaller). */
  cpuShape: Shape;
  sparsities: number[];
  nm: Array<[n: number, m: number]>;
  ops: BenchOp[];
  timing: TimingOptions;
  /** Sparsities at which the (slow) mathjs sparse multiply is measured. */
  mathjsSparsities: number[];
  /**
   * The formats of one op and shape take turns run by run when what they keep
   * on the device (estimateDeviceBytes) fits this many bytes together; beyond
   * it (the full run's widest shapes) each is timed alone, so a small GPU is
   * not asked to hold every format of a 16384-wide layer at once.
   */
  interleaveBudgetBytes: number;
  /** Layers of the topology-evolution cases (GPU only); empty to skip them. */
  evolve: EvolveShape[];
}

export const SPARSITIES = [0.5, 0.75, 0.9, 0.95, 0.98, 0.99];
export const NM_PATTERNS: Array<[number, number]> = [
  [2, 4],
  [1, 4],
  [2, 8],
];

export function defaultConfig(quick: boolean): SuiteConfig {
  return {
    quick,
    shapes: quick
      ? [{ rows: 512, cols: 512, batch: 64 }]
      : [
          { rows: 1024, cols: 1024, batch: 128 },
          { rows: 4096, cols: 4096, batch: 256 },
          { rows: 8192, cols: 8192, batch: 256 },
          { rows: 16384, cols: 16384, batch: 256 },
        ],
    cpuShape: quick ? { rows: 512, cols: 512, batch: 64 } : { rows: 1024, cols: 1024, batch: 128 },
    sparsities: SPARSITIES,
    nm: NM_PATTERNS,
    ops: ['forward', 'backward', 'sddmm'],
    // Quick runs are short but land on shared, CPU-only machines: 21 runs make
    // a ratio of medians near a floor (2:4 vs dense: 1.45–2.02× over six
    // 10-run quick runs) steadier, for about a minute more.
    timing: { runs: quick ? 21 : 10, warmups: 2, targetRunMs: quick ? 20 : 50, maxRepeats: 256 },
    mathjsSparsities: [0.9, 0.99],
    interleaveBudgetBytes: 1 << 30,
    // ≈ 1 M connections: the scale at which the evolve floors are stated; the full
    // run adds a 10⁶ × 10⁶ layer at ε = 1 (2 M connections, density 2·10⁻⁶).
    evolve: quick
      ? [{ rows: 4096, cols: 4096, density: 0.06, batch: 128 }]
      : [
          { rows: 16384, cols: 16384, density: 0.004, batch: 128 },
          { rows: 1_000_000, cols: 1_000_000, density: 2e-6, batch: 16 },
        ],
  };
}

export interface SuiteProgress {
  done: number;
  total: number;
  label: string;
  result?: BenchCaseResult;
}

export interface SuiteEnvironment {
  /** The WebGPU engine, when there is one. */
  gpu: Engine | undefined;
  /** Why there is no WebGPU engine (the 'auto' engine's fallbackReason): every GPU case is listed as skipped with it. */
  gpuUnavailable?: string;
  cpu: Engine;
  peers: Peer[];
  onProgress?: (p: SuiteProgress) => void;
  signal?: AbortSignal;
  environment: { runtime: string; platform: string };
}

/** One benchmark case: sets up its operands, checks the result, and hands over a sampler. */
type Member = TimedMember | SelfTimedMember;

interface TimedMember {
  label: string;
  /** Weight bytes it keeps on the device while set up (for the interleaving budget). */
  deviceBytes: number;
  setUp(): Promise<SetUpMember>;
}

/** Cases that time themselves (topology evolution): always measured alone. */
interface SelfTimedMember {
  label: string;
  measure(): Promise<BenchCaseResult[]>;
}

interface SetUpMember {
  sampler: Sampler;
  describe(t: Timing, interleaved: boolean): BenchCaseResult | BenchCaseResult[];
  dispose(): void;
}

/** Cases whose ratios are read together (the formats and peers of one op and shape): timed in turns. */
interface Group {
  label: string;
  members: Member[];
}

/** The format variants measured at a shape: dense, CSR per sparsity, N:M per pattern. */
function variants(config: SuiteConfig): Array<{ format: 'dense' | 'csr' | 'nm'; sparsity: number; n?: number; m?: number }> {
  return [
    { format: 'dense', sparsity: 0 },
    ...config.sparsities.map((sparsity) => ({ format: 'csr' as const, sparsity })),
    ...config.nm.map(([n, m]) => ({ format: 'nm' as const, sparsity: 1 - n / m, n, m })),
  ];
}

function describeVariant(v: { format: string; sparsity: number; n?: number; m?: number }): string {
  return v.format === 'dense' ? 'dense' : v.format === 'nm' ? `${v.n}:${v.m}` : `csr ${Math.round(v.sparsity * 100)}%`;
}

/** Runs the whole suite; the cases of one op and shape take turns run by run, so their ratios share conditions. */
export async function runSuite(config: SuiteConfig, env: SuiteEnvironment): Promise<BenchReport> {
  const groups: Group[] = [];
  const skipped: BenchReport['skipped'] = [];
  const weightCache = new Map<string, Weights>();
  const weights = (key: string, make: () => Weights) => {
    let w = weightCache.get(key);
    if (!w) {
      w = make();
      weightCache.set(key, w);
    }
    return w;
  };

  for (const [shapeIndex, shape] of (env.gpu ? config.shapes : []).entries()) {
    const gpu = env.gpu!;
    const denseKey = `${shape.rows}x${shape.cols}:dense`;
    const makeDense = () => makeWeights('dense', shape.rows, shape.cols, { seed: 7 + shapeIndex });
    for (const op of config.ops) {
      const members: Member[] = [];
      for (const v of variants(config)) {
        const key = `${shape.rows}x${shape.cols}:${describeVariant(v)}`;
        const bytes = estimateWeightBytes(v.format, shape, v.sparsity);
        if (bytes > gpu.maxBufferBytes) {
          skipped.push({ kind: 'case', label: `webgpu ${op} ${describeVariant(v)} ${shapeLabel(shape)}`, reason: `weights need ${bytes} bytes, over the device's ${gpu.maxBufferBytes}-byte buffer limit` });
          continue;
        }
        members.push({
          label: `webgpu ${op} ${describeVariant(v)} ${shapeLabel(shape)}`,
          deviceBytes: estimateDeviceBytes(op, v.format, shape, v.sparsity, v.m ?? 4),
          setUp: () => {
            const w = weights(key, () => makeWeights(v.format, shape.rows, shape.cols, { sparsity: v.sparsity, n: v.n ?? 2, m: v.m ?? 4, seed: 7 + shapeIndex }));
            return setUpWgsparseGpu(gpu, op, w, shape, config.timing);
          },
        });
      }
      if (op === 'forward') {
        for (const peer of env.peers.filter((p) => p.backend === 'webgpu')) {
          members.push({
            label: `webgpu forward dense ${peer.impl} ${shapeLabel(shape)}`,
            deviceBytes: estimateDeviceBytes('forward', 'dense', shape, 0, 4),
            setUp: () => setUpPeer(peer, weights(denseKey, makeDense), shape, config.timing),
          });
        }
      }
      groups.push({ label: `webgpu ${op} ${shapeLabel(shape)}`, members });
    }
  }

  if (!env.gpu) {
    // Said, not dropped: a CPU-only report lists the GPU cases it could not measure.
    const reason = `no WebGPU adapter${env.gpuUnavailable ? ` (${env.gpuUnavailable})` : ''}: the GPU cases need one`;
    for (const shape of config.shapes) for (const op of config.ops) skipped.push({ kind: 'case', label: `webgpu ${op} ${shapeLabel(shape)} (${variants(config).map(describeVariant).join(', ')}${op === 'forward' && env.peers.length ? ', tfjs-webgpu' : ''})`, reason });
    for (const shape of config.evolve) skipped.push({ kind: 'case', label: `webgpu evolve / round trip / epoch, ${shape.rows}×${shape.cols} at density ${shape.density}`, reason });
  }

  for (const shape of env.gpu ? config.evolve : []) {
    const gpu = env.gpu!;
    const label = `webgpu evolve / round trip / epoch, ${shape.rows}×${shape.cols} at density ${shape.density}`;
    groups.push({ label, members: [{ label, measure: () => measureEvolution(gpu, shape, { ...config.timing, warmups: 1 }) }] });
  }

  const cs = config.cpuShape;
  const cpuMembers: Member[] = [];
  for (const v of variants(config)) {
    const key = `cpu:${describeVariant(v)}`;
    const make = () => makeWeights(v.format, cs.rows, cs.cols, { sparsity: v.sparsity, n: v.n ?? 2, m: v.m ?? 4, seed: 99 });
    cpuMembers.push({ label: `cpu forward ${describeVariant(v)} ${shapeLabel(cs)}`, deviceBytes: 0, setUp: () => setUpWgsparseCpu(env.cpu, 'forward', weights(key, make), cs, config.timing) });
    for (const peer of env.peers.filter((p) => p.backend === 'cpu')) {
      const wanted = peer.impl === 'mathjs' ? v.format === 'csr' && config.mathjsSparsities.includes(v.sparsity) : v.format === 'dense';
      if (!wanted) continue;
      cpuMembers.push({ label: `cpu forward ${describeVariant(v)} ${peer.impl} ${shapeLabel(cs)}`, deviceBytes: 0, setUp: () => setUpPeer(peer, weights(key, make), cs, config.timing) });
    }
  }
  groups.push({ label: `cpu forward ${shapeLabel(cs)}`, members: cpuMembers });

  const cases: BenchCaseResult[] = [];
  const total = groups.reduce((sum, g) => sum + g.members.length, 0);
  let done = 0;
  for (const group of groups) {
    if (env.signal?.aborted) throw new Error('benchmark aborted');
    env.onProgress?.({ done, total, label: group.label });
    for (const [member, results] of await measureGroup(group, config.timing.runs, config.interleaveBudgetBytes)) {
      cases.push(...results);
      env.onProgress?.({ done: ++done, total, label: member.label, result: results[0]! });
    }
  }
  addSpeedups(cases);

  const device = env.gpu?.device;
  const limits: Record<string, number> = {};
  if (device) {
    for (const name of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension'] as const) {
      limits[name] = device.limits[name];
    }
  }
  const a = env.gpu?.adapterInfo;
  return {
    schema: BENCH_SCHEMA,
    date: new Date().toISOString(),
    adapter: a ? { vendor: a.vendor, architecture: a.architecture, description: a.description } : null,
    features: device ? [...device.features].map(String).sort() : [],
    limits,
    environment: env.environment,
    config: {
      quick: config.quick,
      runs: config.timing.runs,
      shapes: config.shapes,
      cpuShape: config.cpuShape,
      ops: config.ops,
      sparsities: config.sparsities,
      nm: config.nm,
      evolve: config.evolve,
      peers: [...new Set(env.peers.filter((p) => env.gpu || p.backend === 'cpu').map((p) => p.impl))],
    },
    skipped,
    cases,
  };
}

function shapeLabel(s: Shape): string {
  return `${s.rows}×${s.cols}×${s.batch}`;
}

/**
 * What one prepared case keeps on the device: weights with their indices
 * (the transpose index for backward, the row of every entry for SDDMM), the
 * dense operands and the result. Interleaving holds a whole group at once,
 * so this, not the largest buffer, is what interleaveBudgetBytes bounds.
 */
function estimateDeviceBytes(op: BenchOp, format: string, s: Shape, sparsity: number, m: number): number {
  const cells = s.rows * s.cols;
  const activations = (s.rows + s.cols) * s.batch * 4;
  if (format === 'dense') return cells * 4 + activations + (op === 'sddmm' ? cells * 4 : 0);
  const nnz = Math.ceil(cells * (1 - sparsity));
  // CSR: value + column per entry, row pointers and visiting order; N:M: value + log2(m)-bit position.
  const weights = format === 'csr' ? nnz * 8 + (s.rows + 1) * 8 : nnz * (4 + Math.log2(m) / 8);
  const derived = op === 'backward' ? nnz * 8 + (s.cols + 1) * 8 : op === 'sddmm' ? nnz * 8 : 0;
  return Math.ceil(weights + derived + activations);
}

/** The largest single buffer of a case's weights (the values), checked against the device's buffer limit. */
function estimateWeightBytes(format: string, s: Shape, sparsity: number): number {
  const cells = s.rows * s.cols;
  return format === 'dense' ? cells * 4 : Math.ceil(cells * (1 - sparsity) * 4);
}

export function activations(w: Weights, batch: number): { X: DenseMatrix; dY: DenseMatrix } {
  return { X: DenseMatrix.random(w.W.cols, batch, { seed: 5 }), dY: DenseMatrix.random(w.W.rows, batch, { seed: 6 }) };
}

export async function prepareGpu(engine: Engine, op: BenchOp, w: Weights, X: DenseMatrix, dY: DenseMatrix): Promise<PreparedOperation<DenseMatrix | Float32Array>> {
  const alpha = 1 / X.cols;
  switch (w.format) {
    case 'dense':
      return op === 'forward' ? engine.prepare('gemm', w.W, X) : op === 'backward' ? engine.prepare('gemm', w.W, dY, { transA: true }) : engine.prepare('gemm', dY, X, { transB: true, alpha });
    case 'csr':
      return op === 'forward' ? engine.prepare('spmmCsr', w.W, X) : op === 'backward' ? engine.prepare('spmmCsrT', w.W, dY) : engine.prepare('sddmmCsr', w.W, dY, X, { alpha });
    case 'nm':
      return op === 'forward' ? engine.prepare('spmmNM', w.W, X) : op === 'backward' ? engine.prepare('spmmNMT', w.W, dY) : engine.prepare('sddmmNM', w.W, dY, X, { alpha });
  }
}

function runCpu(engine: Engine, op: BenchOp, w: Weights, X: DenseMatrix, dY: DenseMatrix): Promise<DenseMatrix | Float32Array> {
  const alpha = 1 / X.cols;
  switch (w.format) {
    case 'dense':
      return op === 'forward' ? engine.gemm(w.W, X) : op === 'backward' ? engine.gemm(w.W, dY, { transA: true }) : engine.gemm(dY, X, { transB: true, alpha });
    case 'csr':
      return op === 'forward' ? engine.spmmCsr(w.W, X) : op === 'backward' ? engine.spmmCsrT(w.W, dY) : engine.sddmmCsr(w.W, dY, X, { alpha });
    case 'nm':
      return op === 'forward' ? engine.spmmNM(w.W, X) : op === 'backward' ? engine.spmmNMT(w.W, dY) : engine.sddmmNM(w.W, dY, X, { alpha });
  }
}

function data(result: DenseMatrix | Float32Array): Float32Array {
  return result instanceof Float32Array ? result : result.data;
}

/** The SDDMM reference scales by alpha = 1/batch; checks compare unscaled sums. */
function unscale(op: BenchOp, values: Float32Array, batch: number): Float32Array {
  return op === 'sddmm' ? values.map((v) => v * batch) : values;
}

/**
 * Measures a group: its timed members in turns when their device weights fit
 * the budget together, else one by one. Results in member order.
 */
async function measureGroup(group: Group, runs: number, budgetBytes: number): Promise<Array<[Member, BenchCaseResult[]]>> {
  const results = new Map<Member, BenchCaseResult[]>();
  const timed: TimedMember[] = [];
  for (const m of group.members) {
    if ('measure' in m) results.set(m, await m.measure());
    else timed.push(m);
  }
  const interleaved = timed.length > 1 && timed.reduce((sum, m) => sum + m.deviceBytes, 0) <= budgetBytes;
  for (const batch of interleaved ? [timed] : timed.map((m) => [m])) {
    const setUp: SetUpMember[] = [];
    try {
      for (const m of batch) setUp.push(await m.setUp());
      const timings = await timeInterleaved(
        setUp.map((u) => u.sampler),
        runs,
      );
      batch.forEach((m, i) => results.set(m, [setUp[i]!.describe(timings[i]!, interleaved)].flat()));
    } finally {
      for (const u of setUp) {
        u.sampler.dispose();
        u.dispose();
      }
    }
  }
  return group.members.map((m) => [m, results.get(m)!]);
}

async function setUpWgsparseGpu(engine: Engine, op: BenchOp, w: Weights, shape: Shape, timing: TimingOptions): Promise<SetUpMember> {
  const { X, dY } = activations(w, shape.batch);
  const prepared = await prepareGpu(engine, op, w, X, dY);
  try {
    const maxAbsError = checkResult(op, w, X, dY, unscale(op, data(await prepared.run()), shape.batch));
    return {
      sampler: gpuSampler(engine.device!, prepared, timing),
      describe: (t, interleaved) => describeCase(op, w, shape, 'wgsparse', 'webgpu', t, maxAbsError, interleaved),
      dispose: () => prepared.dispose(),
    };
  } catch (e) {
    prepared.dispose();
    throw e;
  }
}

async function setUpWgsparseCpu(engine: Engine, op: BenchOp, w: Weights, shape: Shape, timing: TimingOptions): Promise<SetUpMember> {
  const { X, dY } = activations(w, shape.batch);
  const maxAbsError = checkResult(op, w, X, dY, unscale(op, data(await runCpu(engine, op, w, X, dY)), shape.batch));
  // The engine's CPU kernels are synchronous behind an async method; timing awaits them one by one.
  const sampler = repeatedSampler(async (repeats) => {
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) await runCpu(engine, op, w, X, dY);
    return performance.now() - t0;
  }, timing);
  return { sampler, describe: (t, interleaved) => describeCase(op, w, shape, 'wgsparse', 'cpu', t, maxAbsError, interleaved), dispose: () => {} };
}

async function setUpPeer(peer: Peer, w: Weights, shape: Shape, timing: TimingOptions): Promise<SetUpMember> {
  const { X, dY } = activations(w, shape.batch);
  if (w.format === 'nm') throw new Error('peers have no N:M format');
  const prepared = await peer.prepare(w.W, X);
  try {
    const maxAbsError = checkResult('forward', w, X, dY, await prepared.result());
    return {
      sampler: repeatedSampler((repeats) => prepared.run(repeats), timing),
      describe: (t, interleaved) => describeCase('forward', w, shape, peer.impl, peer.backend, t, maxAbsError, interleaved),
      dispose: () => prepared.dispose(),
    };
  } catch (e) {
    prepared.dispose();
    throw e;
  }
}

function describeCase(op: BenchOp, w: Weights, shape: Shape, impl: BenchImpl, backend: 'webgpu' | 'cpu', t: Timing, maxAbsError: number, interleaved: boolean): BenchCaseResult {
  const nnz = storedCount(w);
  const { rows, cols, batch } = shape;
  const seconds = t.medianMs / 1000;
  const activationBytes = op === 'sddmm' ? (rows + cols) * batch * 4 + nnz * 4 : (rows + cols) * batch * 4;
  const n = w.format === 'nm' ? w.W.n : null;
  const m = w.format === 'nm' ? w.W.m : null;
  return {
    op,
    format: w.format,
    n,
    m,
    sparsity: w.format === 'dense' ? 0 : w.format === 'nm' ? 1 - w.W.n / w.W.m : 1 - nnz / (rows * cols),
    rows,
    cols,
    batch,
    nnz,
    impl,
    backend,
    ...timingFields(t),
    gflops: (2 * nnz * batch) / seconds / 1e9,
    denseEquivalentGflops: (2 * rows * cols * batch) / seconds / 1e9,
    gbps: (weightBytes(w) + activationBytes) / seconds / 1e9,
    speedupVsDense: null,
    maxAbsError,
    interleaved,
  };
}

/** speedupVsDense = wgsparse dense time / this time, for the same op, shape and backend. */
function addSpeedups(cases: BenchCaseResult[]): void {
  for (const c of cases) {
    const dense = cases.find(
      (d) => d.impl === 'wgsparse' && d.format === 'dense' && d.op === c.op && d.backend === c.backend && d.rows === c.rows && d.cols === c.cols && d.batch === c.batch,
    );
    if (dense) c.speedupVsDense = dense.medianMs / c.medianMs;
  }
}
