// The kernel profiles side by side on one adapter: every product measured
// with the 'emulation' shapes (tuned on SwiftShader) and the 'gpu' shapes
// (src/gpu/kernel-profile.ts), the two taking turns run by run, beside what
// the GPU execution model predicts for each (bench/model/). On a lent GPU
// this is the measurement that says whether the model's ranking holds
// (bench/gpu/run.sh profiles); on SwiftShader it is the recipe's dry run.
import type { Engine } from '../src/index.js';
import { analyzeOperation } from './model/analyze.js';
import { modelGatherCsr, modelGatherCsrT, modelGatherCsrTWarp, modelGatherCsrWarp, modelSddmmCsr, modelSddmmCsrWarp } from './model/kernels.js';
import { PROFILES, type ProfileName } from './model/profiles.js';
import type { OperationTrace } from './model/trace.js';
import { makeWeights, type Weights } from './operands.js';
import type { BenchOp } from './schema.js';
import { activations, prepareGpu, type Shape } from './suite.js';
import { gpuSampler, timeInterleaved, timingFields, type Timing, type TimingOptions } from './timing.js';

export const PROFILES_SCHEMA = 'wgsparse-profiles/1';

export interface ProfilesConfig {
  shapes: Shape[];
  /** CSR sparsities; every shape also runs dense (GEMM) and 2:4. */
  sparsities: number[];
  ops: BenchOp[];
  timing: TimingOptions;
  /** The device profile the model predictions are for. */
  modelProfile: ProfileName;
  /** Workgroups the model traces per dispatch (evenly spaced). */
  modelWorkgroups: number;
}

export function defaultProfilesConfig(quick: boolean): ProfilesConfig {
  return {
    shapes: quick ? [{ rows: 512, cols: 512, batch: 64 }] : [1024, 4096].flatMap((n) => [64, 128].map((batch) => ({ rows: n, cols: n, batch }))),
    sparsities: [0.9, 0.99],
    ops: ['forward', 'backward', 'sddmm'],
    timing: { runs: quick ? 9 : 15, warmups: 2, targetRunMs: quick ? 10 : 20, maxRepeats: 256 },
    modelProfile: 'h100',
    modelWorkgroups: 16,
  };
}

/** What the model says of one variant: sectors per 512 useful bytes (loads) and active lanes. */
export interface ProfilePrediction {
  variant: string;
  loadSectorsPer512B: number | null;
  activeLanes: number | null;
}

export interface ProfileCase {
  op: BenchOp;
  format: 'dense' | 'csr' | 'nm';
  sparsity: number;
  rows: number;
  cols: number;
  batch: number;
  emulation: Timing;
  gpu: Timing;
  /** emulation median / gpu median: above 1 when the GPU-shaped kernels are faster here. */
  gpuSpeedup: number;
  /** Largest |difference| between the two profiles' results (they sum in different orders). */
  maxAbsDiff: number;
  /** The model's figures for both variants (CSR only: the products the model covers). */
  model: { emulation: ProfilePrediction; gpu: ProfilePrediction } | null;
}

export interface ProfilesReport {
  schema: typeof PROFILES_SCHEMA;
  date: string;
  adapter: { vendor: string; architecture: string; description: string } | null;
  modelProfile: ProfileName;
  timing: TimingOptions;
  cases: ProfileCase[];
}

export interface ProfilesProgress {
  done: number;
  total: number;
  label: string;
  result: ProfileCase;
}

/**
 * Measures every op × format × shape with both engines, which must borrow one
 * device (createEngine({ device, kernels })) so they share the adapter's state
 * and the ratio compares kernels, not devices.
 */
export async function compareProfiles(engines: { emulation: Engine; gpu: Engine }, config: ProfilesConfig, onProgress?: (p: ProfilesProgress) => void): Promise<ProfilesReport> {
  const { emulation, gpu } = engines;
  if (emulation.kernelProfile?.profile !== 'emulation' || gpu.kernelProfile?.profile !== 'gpu') {
    throw new Error(`compareProfiles needs an 'emulation' and a 'gpu' engine, got ${emulation.kernelProfile?.profile} and ${gpu.kernelProfile?.profile}`);
  }
  if (emulation.device !== gpu.device) throw new Error('compareProfiles needs both engines on one device (createEngine({ device, kernels }))');
  const device = gpu.device!;
  const formats = [{ format: 'dense' as const, sparsity: 0 }, ...config.sparsities.map((sparsity) => ({ format: 'csr' as const, sparsity })), { format: 'nm' as const, sparsity: 0.5 }];
  const total = config.shapes.length * formats.length * config.ops.length;
  const cases: ProfileCase[] = [];
  for (const [s, shape] of config.shapes.entries()) {
    for (const f of formats) {
      const w = makeWeights(f.format, shape.rows, shape.cols, { sparsity: f.sparsity, n: 2, m: 4, seed: 11 + s });
      for (const op of config.ops) {
        const measured = await measurePair(device, emulation, gpu, op, w, shape, config.timing);
        const result: ProfileCase = { op, format: f.format, sparsity: f.sparsity, ...shape, ...measured, model: f.format === 'csr' ? predict(op, w, shape.batch, config) : null };
        cases.push(result);
        onProgress?.({ done: cases.length, total, label: `${op} ${f.format}${f.format === 'csr' ? ` ${Math.round(f.sparsity * 100)}%` : ''} ${shape.rows}×${shape.cols}×${shape.batch}`, result });
      }
    }
  }
  const a = gpu.adapterInfo;
  return {
    schema: PROFILES_SCHEMA,
    date: new Date().toISOString(),
    adapter: a ? { vendor: a.vendor, architecture: a.architecture, description: a.description } : null,
    modelProfile: config.modelProfile,
    timing: config.timing,
    cases,
  };
}

async function measurePair(device: GPUDevice, emulation: Engine, gpu: Engine, op: BenchOp, w: Weights, shape: Shape, timing: TimingOptions) {
  const { X, dY } = activations(w, shape.batch);
  const prepared = [await prepareGpu(emulation, op, w, X, dY)];
  try {
    prepared.push(await prepareGpu(gpu, op, w, X, dY));
    const [a, b] = await Promise.all(prepared.map(async (p) => flat(await p.run())));
    let maxAbsDiff = 0;
    for (let i = 0; i < a!.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a![i]! - b![i]!));
    const samplers = prepared.map((p) => gpuSampler(device, p, timing));
    try {
      const [te, tg] = await timeInterleaved(samplers, timing.runs);
      return { emulation: timingFields(te!), gpu: timingFields(tg!), gpuSpeedup: te!.medianMs / tg!.medianMs, maxAbsDiff };
    } finally {
      for (const s of samplers) s.dispose();
    }
  } finally {
    for (const p of prepared) p.dispose();
  }
}

function flat(result: unknown): Float32Array {
  return result instanceof Float32Array ? result : (result as { data: Float32Array }).data;
}

function predict(op: BenchOp, w: Weights, batch: number, config: ProfilesConfig): ProfileCase['model'] {
  if (w.format !== 'csr') return null;
  const options = { maxWorkgroups: config.modelWorkgroups };
  const [emulation, gpu]: OperationTrace[] =
    op === 'forward'
      ? [modelGatherCsr(w.W, batch, options), modelGatherCsrWarp(w.W, batch, options)]
      : op === 'backward'
        ? [modelGatherCsrT(w.W, batch, options), modelGatherCsrTWarp(w.W, batch, options)]
        : [modelSddmmCsr(w.W, batch, options), modelSddmmCsrWarp(w.W, batch, options)];
  const figures = (trace: OperationTrace): ProfilePrediction => {
    const k = analyzeOperation(trace, PROFILES[config.modelProfile]).model;
    return { variant: k.variant, loadSectorsPer512B: k.sectorsPer512B.loads, activeLanes: k.activeLanes };
  };
  return { emulation: figures(emulation!), gpu: figures(gpu!) };
}

const fixed = (x: number | null, digits: number) => (x === null ? '-' : x.toFixed(digits));

/** The table the CLI prints. */
export function formatProfiles(report: ProfilesReport): string {
  const header = ['op', 'format', 'shape', 'emulation ms', 'gpu ms', 'gpu speedup', 'max |diff|', 'model sectors/512B emu → gpu'];
  const rows = report.cases.map((c) => [
    c.op,
    c.format === 'csr' ? `csr ${Math.round(c.sparsity * 100)}%` : c.format === 'nm' ? '2:4' : 'dense',
    `${c.rows}×${c.cols}×${c.batch}`,
    c.emulation.medianMs.toFixed(3),
    c.gpu.medianMs.toFixed(3),
    `${c.gpuSpeedup.toFixed(2)}×`,
    c.maxAbsDiff.toExponential(1),
    c.model ? `${fixed(c.model.emulation.loadSectorsPer512B, 1)} → ${fixed(c.model.gpu.loadSectorsPer512B, 1)}` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, widths.map((n) => '-'.repeat(n)), ...rows].map((r) => r.map((cell, i) => cell.padStart(widths[i]!)).join('  ')).join('\n');
}
