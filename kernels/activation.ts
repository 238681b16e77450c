import type { OperationScope, UniformBlock } from '../src/gpu/gpu-context.js';
import type { Kernel } from '../src/gpu/kernel.js';
import { randomU32, streamKey } from '../src/random.js';
import { programs } from './programs.js';

const { THREADS } = programs.activate.layout.consts;

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

function params(s: OperationScope, count: number, p: ActivationParams, training: boolean): UniformBlock<typeof programs.activate.layout> {
  const dropout = training && p.rate > 0;
  return s.uniforms(programs.activate, { count, dropout: dropout ? 1 : 0, seed: p.seed >>> 0, stream: p.stream >>> 0, alpha: p.alpha, rate: p.rate, scale: 1 / (1 - p.rate) });
}

/**
 * The dropout mask of a training step as the GPU draws it: element i is kept
 * (scaled by 1/(1 − rate)) iff its uniform draw is ≥ rate. Returns the stream
 * key and the 24-bit threshold so loops draw inline, without a call per element.
 */
function maskDraws(p: ActivationParams, step: number): { key: number; threshold: number } {
  const batchSeed = randomU32(p.seed >>> 0, p.stream >>> 0, step >>> 0);
  // randomUnit(u) = (u >>> 8) / 2^24 ≥ fround(rate)  ⇔  (u >>> 8) ≥ fround(rate) · 2^24 (exact: both sides are multiples of 2^-24 apart).
  return { key: streamKey(batchSeed, p.stream >>> 0), threshold: Math.fround(p.rate) * 16777216 };
}

/**
 * Fills out[i] = scale or 0 (element i kept or dropped) for i < count: the
 * counter-based draw of randomU32Keyed with both mix32 rounds written out, as
 * this loop runs for every activation of every batch on the CPU backend.
 */
function fillMask(out: Float32Array, count: number, key: number, threshold: number, scale: number): void {
  for (let i = 0; i < count; i++) {
    let x = (i ^ key) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    x = ((x ^ (x >>> 16)) + key) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    x = (x ^ (x >>> 16)) >>> 0;
    out[i] = x >>> 8 >= threshold ? scale : 0;
  }
}

let maskScratch = new Float32Array(0);
function maskOf(count: number, p: ActivationParams, step: number): Float32Array {
  if (maskScratch.length < count) maskScratch = new Float32Array(count);
  const { key, threshold } = maskDraws(p, step);
  fillMask(maskScratch, count, key, threshold, Math.fround(1 / (1 - p.rate)));
  return maskScratch;
}

/**
 * A = f(Z) · mask over `count` elements. On the GPU `step` holds the training
 * step (one u32) that seeds this batch's mask; the CPU twin takes the step.
 */
export const activate: Kernel<
  [Z: Float32Array, A: Float32Array, p: ActivationParams, training: boolean, step: number],
  void,
  [count: number, p: ActivationParams, training: boolean, Z: GPUBuffer, A: GPUBuffer, step: GPUBuffer]
> = {
  name: 'activate',
  cpu(Z, A, p, training, step) {
    const alpha = Math.fround(p.alpha);
    if (!training || p.rate <= 0) {
      for (let i = 0; i < Z.length; i++) {
        const z = Z[i]!;
        A[i] = z > 0 ? z : alpha * z;
      }
      return;
    }
    const mask = maskOf(Z.length, p, step);
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      // Multiplied by 0 when dropped, as on the GPU (keeps −0 and NaN as they are there).
      A[i] = (z > 0 ? z : alpha * z) * mask[i]!;
    }
  },
  encode(s, count, p, training, Z, A, step) {
    s.dispatch(programs.activate, { bindings: { z: Z, values: A, step }, uniforms: params(s, count, p, training), workgroups: Math.ceil(count / THREADS) });
  },
};

/** G ← G · f'(Z) · mask in place (dA becomes dZ), with the forward's mask. */
export const derive: Kernel<
  [Z: Float32Array, G: Float32Array, p: ActivationParams, step: number],
  void,
  [count: number, p: ActivationParams, Z: GPUBuffer, G: GPUBuffer, step: GPUBuffer]
> = {
  name: 'derive',
  cpu(Z, G, p, step) {
    const alpha = Math.fround(p.alpha);
    if (p.rate <= 0) {
      for (let i = 0; i < Z.length; i++) G[i] = G[i]! * (Z[i]! > 0 ? 1 : alpha);
      return;
    }
    const mask = maskOf(Z.length, p, step);
    for (let i = 0; i < Z.length; i++) G[i] = G[i]! * (Z[i]! > 0 ? 1 : alpha) * mask[i]!;
  },
  encode(s, count, p, Z, G, step) {
    s.dispatch(programs.derive, { bindings: { z: Z, values: G, step }, uniforms: params(s, count, p, true), workgroups: Math.ceil(count / THREADS) });
  },
};
