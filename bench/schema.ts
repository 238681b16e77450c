import type { BenchModel } from './model/run.js';
import { PROFILE_NAMES } from './model/profiles.js';

export type { BenchModel } from './model/run.js';

/**
 * The benchmark's JSON format (documented in bench/README.md). Version it when
 * a field changes meaning.
 */
export const BENCH_SCHEMA = 'wgsparse-bench/1';


export type BenchOp = 'forward' | 'backward' | 'sddmm';
/** Topology-evolution cases (SET): GPU evolve, the CPU round trip it replaces, and a training epoch for scale. */
export type EvolveOp = 'evolve' | 'evolve-roundtrip' | 'epoch';
/** One epoch of the SET reference's MLP on MNIST on the CPU backend, per thread count (bench/train-epoch.ts). */
export type TrainEpochOp = 'train-epoch';
export type BenchFormat = 'dense' | 'csr' | 'nm';
export type BenchImpl = 'wgsparse' | 'tfjs-webgpu' | 'tfjs-cpu' | 'mathjs';

export interface BenchCaseResult {
  op: BenchOp | EvolveOp | TrainEpochOp;
  format: BenchFormat;
  /** N and M of an N:M case (null otherwise). */
  n: number | null;
  m: number | null;
  /** Fraction of zero weights, 0 for dense. */
  sparsity: number;
  /** W is rows × cols (outputs × inputs); activations are cols × batch. */
  rows: number;
  cols: number;
  batch: number;
  /** Stored weights (rows·cols for dense). */
  nnz: number;
  impl: BenchImpl;
  backend: 'webgpu' | 'cpu';
  medianMs: number;
  minMs: number;
  runs: number;
  /** Products per timed run (tiny kernels are repeated inside one submission). */
  repeatsPerRun: number;
  /** 'timestamp': GPU timestamp queries; 'wall': performance.now around submit → onSubmittedWorkDone (or a CPU call). */
  timing: 'timestamp' | 'wall';
  /** Useful GFLOP/s: 2·nnz·batch / median time. */
  gflops: number;
  /** 2·rows·cols·batch / median time: what a dense kernel would need to match. */
  denseEquivalentGflops: number;
  /** Minimum bytes moved (operands read once, result written once) / median time. */
  gbps: number;
  /** Median time of the dense case of the same op, shape, impl family and backend, divided by this case's. */
  speedupVsDense: number | null;
  /** Largest |difference| from the reference on the checked rows. */
  maxAbsError: number;
  /**
   * true when this case's timed runs alternated, run by run, with the other
   * formats (and peers) of its op and shape, so ratios between them compare
   * runs taken under the same conditions; false when it was timed alone (its
   * group's weights exceeded the interleaving budget). Absent for evolve cases.
   */
  interleaved?: boolean;
  /** epoch cases: the epoch time is extrapolated from this many measured batches (absent when measured whole). */
  extrapolatedFromBatches?: number;
  /** train-epoch cases: the CPU threads it ran on (1, or every core). */
  threads?: number;
  /** train-epoch cases: the network's widths, input first (rows, cols: the widest layer and the input). */
  layers?: number[];
  /** train-epoch cases: training samples in the epoch (medianMs is the epoch's training time, without the test pass). */
  samples?: number;
  /** train-epoch cases: the reference implementation's epoch (seconds) the floor is stated against. */
  referenceSeconds?: number;
  /** train-epoch cases: the one-thread epoch's median / this one's, from the same run. */
  speedupVsOneThread?: number;
}

export interface BenchReport {
  schema: typeof BENCH_SCHEMA;
  date: string;
  adapter: { vendor: string; architecture: string; description: string } | null;
  features: string[];
  limits: Record<string, number>;
  environment: { runtime: string; platform: string };
  config: {
    quick: boolean;
    runs: number;
    shapes: Array<{ rows: number; cols: number; batch: number }>;
    cpuShape: { rows: number; cols: number; batch: number };
    /** What was asked for (absent in reports written before these fields existed). */
    ops?: BenchOp[];
    sparsities?: number[];
    nm?: Array<[number, number]>;
    /** The evolve layers asked for (empty: evolution not measured). */
    evolve?: Array<{ rows: number; cols: number; density: number; batch: number }>;
    /** The peers measured (empty: none). */
    peers?: BenchImpl[];
  };
  /** Cases, and floor checks, that could not run here, each with the reason (never dropped silently). */
  skipped: BenchSkip[];
  cases: BenchCaseResult[];
  /** The performance floors evaluated on this report (bench/report.ts checkFloors); written to the JSON files. */
  floors?: FloorCheck[];
  /**
   * The GPU execution model (`--model`, bench/model): figures a model of the
   * shaders gives for a device profile, not measurements. A report with a
   * model may have no cases (`--model` alone does not time anything).
   */
  model?: BenchModel;
}

/** A case (or group of cases) that did not run, or a floor check that could not be evaluated, and why. */
export interface BenchSkip {
  kind: 'case' | 'check';
  /** The case (e.g. `webgpu forward 512×512×64`) or the floor's name. */
  label: string;
  reason: string;
}

/** One of the performance floors, evaluated on one run. */
export interface FloorCheck {
  name: string;
  /** The measured ratio of medians (null when not measured). */
  ratio: number | null;
  floor: number;
  pass: boolean;
  status: 'pass' | 'miss' | 'not measured';
  /** The floor is about GPU behaviour: an emulated adapter (SwiftShader) cannot meet or refute it. */
  needsGpu: boolean;
  /** Why it was not measured, or why a miss says little (e.g. the adapter is SwiftShader); null otherwise. */
  reason: string | null;
  /** The two medians and the shape, or 'not measured in this run'. */
  detail: string;
}

const REQUIRED_NUMBERS = ['sparsity', 'rows', 'cols', 'batch', 'nnz', 'medianMs', 'minMs', 'runs', 'gflops'] as const;

/** Returns the schema violations of a parsed report (empty when valid). */
export function validateReport(report: unknown): string[] {
  const problems: string[] = [];
  if (typeof report !== 'object' || report === null) return ['report is not an object'];
  const r = report as Record<string, unknown>;
  if (r.schema !== BENCH_SCHEMA) problems.push(`schema must be ${BENCH_SCHEMA}`);
  if (typeof r.date !== 'string' || Number.isNaN(Date.parse(r.date))) problems.push('date must be an ISO date string');
  const a = r.adapter as Record<string, unknown> | null;
  if (a !== null && (typeof a !== 'object' || ['vendor', 'architecture', 'description'].some((k) => typeof a[k] !== 'string'))) {
    problems.push('adapter must be null or have string vendor, architecture, description');
  }
  if (!Array.isArray(r.skipped)) problems.push('skipped must be an array');
  else {
    r.skipped.forEach((s: unknown, i: number) => {
      const k = s as Record<string, unknown>;
      if (!['case', 'check'].includes(k?.kind as string)) problems.push(`skipped[${i}].kind must be case or check`);
      if (typeof k?.label !== 'string' || typeof k?.reason !== 'string' || k.reason === '') problems.push(`skipped[${i}] needs a label and a reason`);
    });
  }
  if (r.model !== undefined) problems.push(...validateModel(r.model));
  if (!Array.isArray(r.cases) || (r.cases.length === 0 && r.model === undefined)) return [...problems, 'cases must be a non-empty array (or empty beside a model)'];
  r.cases.forEach((c: unknown, i: number) => {
    const k = c as Record<string, unknown>;
    if (!['forward', 'backward', 'sddmm', 'evolve', 'evolve-roundtrip', 'epoch', 'train-epoch'].includes(k.op as string)) problems.push(`cases[${i}].op`);
    if (!['dense', 'csr', 'nm'].includes(k.format as string)) problems.push(`cases[${i}].format`);
    if (!['wgsparse', 'tfjs-webgpu', 'tfjs-cpu', 'mathjs'].includes(k.impl as string)) problems.push(`cases[${i}].impl`);
    if (!['webgpu', 'cpu'].includes(k.backend as string)) problems.push(`cases[${i}].backend`);
    for (const f of REQUIRED_NUMBERS) if (typeof k[f] !== 'number' || !Number.isFinite(k[f])) problems.push(`cases[${i}].${f} must be a finite number`);
    if (k.format === 'nm' && (typeof k.n !== 'number' || typeof k.m !== 'number')) problems.push(`cases[${i}]: N:M case needs n and m`);
    if (k.interleaved !== undefined && typeof k.interleaved !== 'boolean') problems.push(`cases[${i}].interleaved must be a boolean when present`);
    // An epoch lasts seconds: its runs are pairs of epochs (bench/train-epoch.ts), one or a few.
    if (typeof k.runs === 'number' && k.runs < (k.op === 'train-epoch' ? 1 : 10)) problems.push(`cases[${i}].runs must be ≥ ${k.op === 'train-epoch' ? 1 : 10}`);
    if (k.op === 'train-epoch' && !(Number.isInteger(k.threads) && (k.threads as number) >= 1)) problems.push(`cases[${i}]: a train-epoch case needs threads`);
    if (typeof k.minMs === 'number' && typeof k.medianMs === 'number' && k.minMs > k.medianMs) problems.push(`cases[${i}]: minMs > medianMs`);
  });
  return problems;
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isRatioOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

/** The violations of a report's `model` field (bench/README.md, "GPU execution model"). */
export function validateModel(model: unknown): string[] {
  const problems: string[] = [];
  if (typeof model !== 'object' || model === null) return ['model must be an object'];
  const m = model as Record<string, unknown>;
  const p = m.profile as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null || !(PROFILE_NAMES as readonly unknown[]).includes(p.name)) problems.push(`model.profile.name must be one of ${PROFILE_NAMES.join(', ')}`);
  else for (const f of ['multiprocessors', 'warpSize', 'maxThreadsPerSM', 'maxWorkgroupsPerSM', 'workgroupMemoryPerSM']) if (!isCount(p[f]) || p[f] === 0) problems.push(`model.profile.${f} must be a positive integer`);
  if (m.traces !== 'js-model') problems.push('model.traces must be js-model');
  if (m.trainSteps !== undefined) {
    if (!Array.isArray(m.trainSteps)) problems.push('model.trainSteps must be an array');
    else
      m.trainSteps.forEach((t: unknown, i: number) => {
        const e = (t ?? {}) as Record<string, unknown>;
        if (!['emulation', 'gpu'].includes(e.profile as string) || typeof e.fused !== 'boolean' || typeof e.model !== 'string') problems.push(`model.trainSteps[${i}] needs a model, a profile (emulation or gpu) and fused`);
        for (const f of ['batch', 'dispatches', 'smallDispatches']) if (!isCount(e[f])) problems.push(`model.trainSteps[${i}].${f} must be a non-negative integer`);
      });
  }
  if (!Array.isArray(m.kernels)) return [...problems, 'model.kernels must be an array'];
  m.kernels.forEach((k: unknown, i: number) => {
    const e = (k ?? {}) as Record<string, unknown>;
    const at = `model.kernels[${i}]`;
    if (typeof e.kernel !== 'string' || typeof e.variant !== 'string') problems.push(`${at} needs a kernel and a variant`);
    for (const f of ['rows', 'cols', 'batch', 'maxSerialSteps', 'dispatches', 'readbacks']) if (!isCount(e[f])) problems.push(`${at}.${f} must be a non-negative integer`);
    if (!(typeof e.sparsity === 'number' && e.sparsity >= 0 && e.sparsity <= 1)) problems.push(`${at}.sparsity must be in [0, 1]`);
    const s = e.sectorsPer512B as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || !['loads', 'stores', 'all'].every((f) => isRatioOrNull(s[f]))) problems.push(`${at}.sectorsPer512B must hold loads, stores and all (numbers or null)`);
    else if (typeof s.all === 'number' && s.all < 16 - 1e-9) problems.push(`${at}.sectorsPer512B.all is below 16, which 32-byte sectors cannot reach`);
    if (!(e.activeLanes === null || (typeof e.activeLanes === 'number' && e.activeLanes >= 0 && e.activeLanes <= 1))) problems.push(`${at}.activeLanes must be in [0, 1] or null`);
    const w = e.workgroupsPerSM as Record<string, unknown> | null;
    if (
      typeof w !== 'object' ||
      w === null ||
      !isRatioOrNull(w.dispatched) ||
      w.dispatched === null ||
      !isCount(w.maxResident) ||
      !isCount(w.resident) ||
      !(isCount(w.waves) || w.waves === null) ||
      !['threads', 'workgroups', 'workgroup memory'].includes(w.limitedBy as string)
    ) {
      problems.push(`${at}.workgroupsPerSM must hold dispatched, maxResident, limitedBy, resident and waves`);
    }
  });
  return problems;
}
