import type { OperationScope } from '../src/engine/gpu-context.js';
import { randomU32, randomUnit } from '../src/random.js';
import { programs } from './programs.js';

const THREADS = 256;

/**
 * A linear layer's nonlinearity and dropout, fused (shaders/activation.wgsl):
 * the leaky family f(z) = z for z > 0 and alpha·z otherwise, then inverted
 * dropout while training. The mask is redrawn, not stored, from
 * (seed, stream, step, element), identically on the GPU and the CPU.
 */
export interface ActivationParams {
  /** Slope for z ≤ 0: 0 for ReLU, 1 for identity, ±0.6 for the SET reference's alternated ReLU. */
  alpha: number;
  /** Dropout rate in [0, 1); 0 disables it. */
  rate: number;
  seed: number;
  /** Independent mask streams per layer. */
  stream: number;
}

function params(s: OperationScope, count: number, p: ActivationParams, training: boolean): GPUBuffer {
  const dropout = training && p.rate > 0;
  return s.uniform([count, dropout ? 1 : 0, p.seed >>> 0, p.stream >>> 0, p.alpha, p.rate, 1 / (1 - p.rate), 0], [4, 5, 6, 7]);
}

/** A = f(Z) · mask, count elements; `step` holds the training step (one u32) that seeds this batch's mask. */
export function encodeActivate(s: OperationScope, count: number, p: ActivationParams, training: boolean, Z: GPUBuffer, A: GPUBuffer, step: GPUBuffer): void {
  s.dispatch({ pipeline: s.pipeline(programs.activate), buffers: [params(s, count, p, training), Z, A, step], workgroups: Math.ceil(count / THREADS) });
}

/** G ← G · f'(Z) · mask in place (dA becomes dZ), with the forward's mask. */
export function encodeDerive(s: OperationScope, count: number, p: ActivationParams, Z: GPUBuffer, G: GPUBuffer, step: GPUBuffer): void {
  s.dispatch({ pipeline: s.pipeline(programs.derive), buffers: [params(s, count, p, true), Z, G, step], workgroups: Math.ceil(count / THREADS) });
}

/** The mask's scale for element i at a training step: 0 or 1/(1 − rate), as the GPU draws it. */
function keepScale(p: ActivationParams, step: number, scale: number): (i: number) => number {
  if (p.rate <= 0) return () => 1;
  const batchSeed = randomU32(p.seed >>> 0, p.stream >>> 0, step >>> 0);
  return (i) => (randomUnit(batchSeed, p.stream >>> 0, i) >= Math.fround(p.rate) ? scale : 0);
}

/** CPU twin of encodeActivate. */
export function activateCpu(Z: Float32Array, A: Float32Array, p: ActivationParams, training: boolean, step: number): void {
  const alpha = Math.fround(p.alpha);
  const mask = keepScale(training ? p : { ...p, rate: 0 }, step, Math.fround(1 / (1 - p.rate)));
  for (let i = 0; i < Z.length; i++) {
    const z = Z[i]!;
    A[i] = (z > 0 ? z : alpha * z) * mask(i);
  }
}

/** CPU twin of encodeDerive. */
export function deriveCpu(Z: Float32Array, G: Float32Array, p: ActivationParams, step: number): void {
  const alpha = Math.fround(p.alpha);
  const mask = keepScale(p, step, Math.fround(1 / (1 - p.rate)));
  for (let i = 0; i < Z.length; i++) G[i] = G[i]! * (Z[i]! > 0 ? 1 : alpha) * mask(i);
}
