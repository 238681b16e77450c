// `npm run bench -- --model`: the GPU execution model of the products at a
// few shapes, for one device profile — the table the CLI prints and the
// `model` field of the benchmark JSON (documented in bench/README.md).
import { CSRMatrix } from '../../src/index.js';
import { analyzeOperation, linesPer512B, sectorsPerAccess, type KernelModel, type OperationAnalysis } from './analyze.js';
import { modelGatherCsr, modelGatherCsrT, modelGatherCsrTWarp, modelGatherCsrWarp, modelGatherSkew, modelSddmmCsr, modelSddmmCsrWarp, skewedLayers } from './kernels.js';
import type { TrainStepModel } from './train-step.js';
import { PROFILES, type DeviceProfile, type ProfileName } from './profiles.js';
import { analyzeGemm, modelGemm } from './gemm.js';
import { evolutionAnalysis, modelEvolution } from './evolution.js';

export interface ModelShape {
  rows: number;
  cols: number;
  batch: number;
}

export interface ModelConfig {
  profile: ProfileName;
  shapes: ModelShape[];
  sparsities: number[];
  /** Workgroups traced per dispatch (evenly spaced, first and last included); the rest are not analysed. */
  maxWorkgroups: number;
}

export const DEFAULT_MODEL_SHAPES: ModelShape[] = [512, 4096].flatMap((n) => [1, 64, 128].map((batch) => ({ rows: n, cols: n, batch })));
export const DEFAULT_MODEL_SPARSITIES = [0.9, 0.99];
export const DEFAULT_MODEL_WORKGROUPS = 32;

/** The `model` field of the benchmark JSON. */
export interface BenchModel {
  profile: DeviceProfile;
  /** Where the traces came from: JavaScript models of the shaders (bench/model/kernels.ts), checked event for event against the shaders' TRACE variants by the test suite. */
  traces: 'js-model';
  kernels: KernelModel[];
  /** Dispatches of one recorded training step (bench/model/train-step.ts), when a WebGPU device was there to record it. */
  trainSteps?: TrainStepModel[];
}

/** Runs the model: every shape × sparsity × product (forward, its transpose, SDDMM) × kernel profile (emulation, gpu). */
export function runModel(config: ModelConfig): { model: BenchModel; analyses: OperationAnalysis[] } {
  const profile = PROFILES[config.profile];
  const options = { maxWorkgroups: config.maxWorkgroups };
  const analyses: OperationAnalysis[] = [];
  const layers = new Map<string, CSRMatrix>();
  for (const shape of config.shapes) {
    for (const sparsity of config.sparsities) {
      const key = `${shape.rows}x${shape.cols}@${sparsity}`;
      let W = layers.get(key);
      if (!W) {
        W = CSRMatrix.random({ rows: shape.rows, cols: shape.cols, density: 1 - sparsity, seed: 1 });
        layers.set(key, W);
      }
      // Each product twice: the emulation profile's shader (today's SwiftShader path) and the gpu profile's beside it.
      const traces = [
        modelGatherCsr(W, shape.batch, options),
        modelGatherCsrWarp(W, shape.batch, options),
        modelGatherCsrT(W, shape.batch, options),
        modelGatherCsrTWarp(W, shape.batch, options),
        modelSddmmCsr(W, shape.batch, options),
        modelSddmmCsrWarp(W, shape.batch, options),
      ];
      for (const trace of traces) {
        analyses.push(analyzeOperation(trace, profile));
      }
    }
    // The dense layer's product W · X by the GEMM (bench/model/gemm.ts), both profiles; and once per W, X as wide as W's
    // columns (4096³ at 4096²), unless a batch already is.
    const sameW = config.shapes.filter((s) => s.rows === shape.rows && s.cols === shape.cols);
    const products = sameW[0] === shape && !sameW.some((s) => s.batch === s.cols) ? [shape.batch, shape.cols] : [shape.batch];
    for (const n of products) {
      for (const kernels of ['emulation', 'gpu'] as const) analyses.push(analyzeGemm(modelGemm(kernels, { m: shape.rows, n, k: shape.cols }, options), profile));
    }
  }
  // SET evolution at 1 M connections (bench/model/evolution.ts): dispatches, read-backs and serial chains, before (emulation) and after (gpu).
  const evolving = CSRMatrix.random({ rows: 4096, cols: 4096, density: 0.06, seed: 1 });
  for (const kernels of ['emulation', 'gpu'] as const) analyses.push(evolutionAnalysis(evolving, modelEvolution(evolving, 0.3, 7, kernels), profile));
  // Skewed layers at batch 128 (bench/model/kernels.ts, skewedLayers): gatherWarp before and after length bins and split rows.
  for (const layer of skewedLayers()) for (const after of [false, true]) analyses.push(analyzeOperation(modelGatherSkew(layer, 128, after, options), profile));
  return { model: { profile, traces: 'js-model', kernels: analyses.map((a) => a.model) }, analyses };
}

const num = (x: number | null, digits = 1): string => (x === null ? '-' : x.toFixed(digits));

/** The table the CLI prints: one line per kernel, variant and shape. */
export function formatModelTable(model: BenchModel, analyses: OperationAnalysis[]): string {
  const p = model.profile;
  const header = ['kernel', 'variant', 'W', 'sparsity', 'batch', 'ld sec/access', 'ld sec/512B', 'st sec/512B', 'all sec/512B', 'ld lines/512B', 'active lanes', 'WG/SM', 'max resident', 'serial steps', 'dispatches', 'read-backs', 'wgm ways ld/st', 'MA/wgm ld'];
  const rows = analyses.map(({ model: k, loads }) => [
    k.kernel,
    k.variant,
    `${k.rows}×${k.cols}`,
    `${(k.sparsity * 100).toFixed(1)}%`,
    String(k.batch),
    num(sectorsPerAccess(loads)),
    num(k.sectorsPer512B.loads),
    num(k.sectorsPer512B.stores),
    num(k.sectorsPer512B.all),
    num(linesPer512B(loads)),
    num(k.activeLanes, 2),
    num(k.workgroupsPerSM.dispatched, 2),
    `${k.workgroupsPerSM.maxResident} (${k.workgroupsPerSM.limitedBy})`,
    String(k.maxSerialSteps),
    String(k.dispatches),
    String(k.readbacks),
    k.workgroupMemory ? `${num(k.workgroupMemory.maxConflictWays.loads, 0)}/${num(k.workgroupMemory.maxConflictWays.stores, 0)}` : '-',
    num(k.workgroupMemory?.madsPerLoad ?? null),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => '  ' + r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    `GPU execution model — ${p.label}: ${p.multiprocessors} multiprocessors, ${p.warpSize}-lane warps (a model of the shaders of both kernel profiles, not a measurement)`,
    line(header),
    '  ' + widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '  sec = 32-byte sectors (16 per 512 useful bytes is perfect coalescing), lines = 128-byte lines (4 is perfect; ×4 to compare with sectors);',
    '  WG/SM = workgroups dispatched per multiprocessor (aim for ≥ 2); serial steps = memory accesses of the longest invocation;',
    '  dispatches and read-backs = those of one host-level call (engine.spmm …), counted from kernels/*.ts, not measured;',
    '  wgm ways = most distinct words one workgroup-memory bank serves in one warp-wide load / store (1 = no bank conflict), MA/wgm ld = multiply-adds per workgroup-memory load (GEMM).',
  ].join('\n');
}
