import { DenseMatrix, type Engine, type PreparedOperation } from '../src/index.js';
import { checkResult } from './check.js';
import { makeWeights, storedCount, weightBytes, type Weights } from './operands.js';
import type { Peer } from './peers.js';
import { BENCH_SCHEMA, type BenchCaseResult, type BenchImpl, type BenchOp, type BenchReport } from './schema.js';
import { timeGpuOperation, timeRepeated, type Timing, type TimingOptions } from './timing.js';
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
    timing: { runs: 10, warmups: 2, targetRunMs: quick ? 20 : 50, maxRepeats: 256 },
    mathjsSparsities: [0.9, 0.99],
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
  cpu: Engine;
  peers: Peer[];
  onProgress?: (p: SuiteProgress) => void;
  signal?: AbortSignal;
  environment: { runtime: string; platform: string };
}

interface Task {
  label: string;
  run: () => Promise<BenchCaseResult | BenchCaseResult[]>;
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

/** Runs the whole suite; results of one op and shape are measured back to back so ratios share conditions. */
export async function runSuite(config: SuiteConfig, env: SuiteEnvironment): Promise<BenchReport> {
  const tasks: Task[] = [];
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
    for (const v of variants(config)) {
      const key = `${shape.rows}x${shape.cols}:${describeVariant(v)}`;
      const bytes = estimateWeightBytes(v.format, shape, v.sparsity);
      if (bytes > gpu.maxBufferBytes) {
        skipped.push({ label: `${describeVariant(v)} ${shapeLabel(shape)}`, reason: `weights need ${bytes} bytes, over the device's ${gpu.maxBufferBytes}-byte buffer limit` });
        continue;
      }
      for (const op of config.ops) {
        tasks.push({
          label: `webgpu ${op} ${describeVariant(v)} ${shapeLabel(shape)}`,
          run: () => {
            const w = weights(key, () => makeWeights(v.format, shape.rows, shape.cols, { sparsity: v.sparsity, n: v.n ?? 2, m: v.m ?? 4, seed: 7 + shapeIndex }));
            return measureWgsparseGpu(gpu, op, w, shape, config.timing);
          },
        });
      }
    }
    for (const peer of env.peers.filter((p) => p.backend === 'webgpu')) {
      tasks.push({
        label: `webgpu forward dense ${peer.impl} ${shapeLabel(shape)}`,
        run: () => measurePeer(peer, weights(`${shape.rows}x${shape.cols}:dense`, () => makeWeights('dense', shape.rows, shape.cols, { seed: 7 + shapeIndex })), shape, config.timing),
      });
    }
  }

  for (const shape of env.gpu ? config.evolve : []) {
    const gpu = env.gpu!;
    tasks.push({
      label: `webgpu evolve / round trip / epoch, ${shape.rows}×${shape.cols} at density ${shape.density}`,
      run: () => measureEvolution(gpu, shape, { ...config.timing, warmups: 1 }),
    });
  }

  const cs = config.cpuShape;
  for (const v of variants(config)) {
    const key = `cpu:${describeVariant(v)}`;
    const make = () => makeWeights(v.format, cs.rows, cs.cols, { sparsity: v.sparsity, n: v.n ?? 2, m: v.m ?? 4, seed: 99 });
    tasks.push({ label: `cpu forward ${describeVariant(v)} ${shapeLabel(cs)}`, run: () => measureWgsparseCpu(env.cpu, 'forward', weights(key, make), cs, config.timing) });
    for (const peer of env.peers.filter((p) => p.backend === 'cpu')) {
      const wanted = peer.impl === 'mathjs' ? v.format === 'csr' && config.mathjsSparsities.includes(v.sparsity) : v.format === 'dense';
      if (!wanted) continue;
      tasks.push({ label: `cpu forward ${describeVariant(v)} ${peer.impl} ${shapeLabel(cs)}`, run: () => measurePeer(peer, weights(key, make), cs, config.timing) });
    }
  }

  const cases: BenchCaseResult[] = [];
  for (const [i, task] of tasks.entries()) {
    if (env.signal?.aborted) throw new Error('benchmark aborted');
    env.onProgress?.({ done: i, total: tasks.length, label: task.label });
    const results = [await task.run()].flat();
    cases.push(...results);
    env.onProgress?.({ done: i + 1, total: tasks.length, label: task.label, result: results[0]! });
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
    config: { quick: config.quick, runs: config.timing.runs, shapes: config.shapes, cpuShape: config.cpuShape },
    skipped,
    cases,
  };
}

function shapeLabel(s: Shape): string {
  return `${s.rows}×${s.cols}×${s.batch}`;
}

function estimateWeightBytes(format: string, s: Shape, sparsity: number): number {
  const cells = s.rows * s.cols;
  return format === 'dense' ? cells * 4 : format === 'csr' ? Math.ceil(cells * (1 - sparsity) * 4) : Math.ceil(cells * (1 - sparsity) * 4);
}

function activations(w: Weights, batch: number): { X: DenseMatrix; dY: DenseMatrix } {
  return { X: DenseMatrix.random(w.W.cols, batch, { seed: 5 }), dY: DenseMatrix.random(w.W.rows, batch, { seed: 6 }) };
}

async function prepareGpu(engine: Engine, op: BenchOp, w: Weights, X: DenseMatrix, dY: DenseMatrix): Promise<PreparedOperation<DenseMatrix | Float32Array>> {
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

async function measureWgsparseGpu(engine: Engine, op: BenchOp, w: Weights, shape: Shape, timing: TimingOptions): Promise<BenchCaseResult> {
  const { X, dY } = activations(w, shape.batch);
  const prepared = await prepareGpu(engine, op, w, X, dY);
  try {
    const maxAbsError = checkResult(op, w, X, dY, unscale(op, data(await prepared.run()), shape.batch));
    const t = await timeGpuOperation(engine.device!, prepared, timing);
    return describeCase(op, w, shape, 'wgsparse', 'webgpu', t, maxAbsError);
  } finally {
    prepared.dispose();
  }
}

async function measureWgsparseCpu(engine: Engine, op: BenchOp, w: Weights, shape: Shape, timing: TimingOptions): Promise<BenchCaseResult> {
  const { X, dY } = activations(w, shape.batch);
  const maxAbsError = checkResult(op, w, X, dY, unscale(op, data(await runCpu(engine, op, w, X, dY)), shape.batch));
  // The engine's CPU kernels are synchronous behind an async method; timing awaits them one by one.
  const t = await timeRepeated(async (repeats) => {
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) await runCpu(engine, op, w, X, dY);
    return performance.now() - t0;
  }, timing);
  return describeCase(op, w, shape, 'wgsparse', 'cpu', t, maxAbsError);
}

async function measurePeer(peer: Peer, w: Weights, shape: Shape, timing: TimingOptions): Promise<BenchCaseResult> {
  const { X, dY } = activations(w, shape.batch);
  if (w.format === 'nm') throw new Error('peers have no N:M format');
  const prepared = await peer.prepare(w.W, X);
  try {
    const maxAbsError = checkResult('forward', w, X, dY, await prepared.result());
    const t = await timeRepeated((repeats) => prepared.run(repeats), timing);
    return describeCase('forward', w, shape, peer.impl, peer.backend, t, maxAbsError);
  } finally {
    prepared.dispose();
  }
}

function describeCase(op: BenchOp, w: Weights, shape: Shape, impl: BenchImpl, backend: 'webgpu' | 'cpu', t: Timing, maxAbsError: number): BenchCaseResult {
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
    medianMs: t.medianMs,
    minMs: t.minMs,
    runs: t.runs,
    repeatsPerRun: t.repeatsPerRun,
    timing: t.timing,
    gflops: (2 * nnz * batch) / seconds / 1e9,
    denseEquivalentGflops: (2 * rows * cols * batch) / seconds / 1e9,
    gbps: (weightBytes(w) + activationBytes) / seconds / 1e9,
    speedupVsDense: null,
    maxAbsError,
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
