import type { OperationScope, UniformBlock } from '../src/gpu/gpu-context.js';
import { kernel } from '../src/gpu/kernel.js';
import { randomU32, streamKey } from '../src/random.js';
import { programs } from './programs.js';
import { fillMaskWasm, leakyWasm, type MaskDraws } from './wasm/mask-wasm.js';

const { THREADS, LEAKY, SIGMOID, TANH } = programs.activate.layout.consts;

/**
 * Which f a layer applies: the leaky family f(z) = z for z > 0 and alpha·z
 * otherwise (ReLU, identity, leaky ReLU), the logistic sigmoid, or tanh.
 */
export type Nonlinearity = 'leaky' | 'sigmoid' | 'tanh';

const KIND_CODE: Record<Nonlinearity, number> = { leaky: LEAKY, sigmoid: SIGMOID, tanh: TANH };

/**
 * A linear layer's nonlinearity and dropout, fused (shaders/activation.wgsl):
 * f, then inverted dropout while training. The mask is redrawn, not stored,
 * from (seed, stream, step, element), identically on the GPU and the CPU.
 */
export interface ActivationParams {
  nonlinearity: Nonlinearity;
  /** The leaky family's slope for z ≤ 0: 0 for ReLU, 1 for identity, ±0.6 for the SET reference's alternated ReLU; unused otherwise. */
  alpha: number;
  /** Dropout rate in [0, 1); 0 disables it. */
  rate: number;
  seed: number;
  /** Independent mask streams per layer. */
  stream: number;
}

/**
 * The uniforms of fragments/activation.wgsl for p: what the activation
 * passes and the products' epilogues that fuse them (kernels/spmm.ts) write.
 */
export function activationUniforms(p: ActivationParams, training: boolean) {
  const dropout = training && p.rate > 0;
  return { kind: KIND_CODE[p.nonlinearity], dropout: dropout ? 1 : 0, seed: p.seed >>> 0, stream: p.stream >>> 0, alpha: p.alpha, rate: p.rate, scale: 1 / (1 - p.rate) };
}

function params(s: OperationScope, count: number, p: ActivationParams, training: boolean): UniformBlock<typeof programs.activate.layout> {
  return s.uniforms(programs.activate, { count, ...activationUniforms(p, training) });
}

/**
 * The dropout mask of a training step as the GPU draws it: element i is kept
 * (scaled by 1/(1 − rate)) iff its uniform draw is ≥ rate. Returns the stream
 * key and the 24-bit threshold so loops draw inline, without a call per element.
 */
function maskDraws(p: ActivationParams, step: number): MaskDraws {
  const batchSeed = randomU32(p.seed >>> 0, p.stream >>> 0, step >>> 0);
  // randomUnit(u) = (u >>> 8) / 2^24 ≥ fround(rate)  ⇔  (u >>> 8) ≥ fround(rate) · 2^24 (exact: both sides are multiples of 2^-24 apart).
  return { key: streamKey(batchSeed, p.stream >>> 0), threshold: Math.fround(p.rate) * 16777216, scale: Math.fround(1 / (1 - p.rate)) };
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
  const { key, threshold, scale } = maskDraws(p, step);
  // The same draws in WebAssembly SIMD, on the engine's threads (kernels/wasm/mask.wat).
  if (!fillMaskWasm(maskScratch, count, key, threshold, scale)) fillMask(maskScratch, count, key, threshold, scale);
  return maskScratch;
}

const f32 = Math.fround;
// Cephes' tanhf coefficients as the f32 the shader's literals become.
const T4 = f32(-5.70498872745e-3);
const T3 = f32(2.06390887954e-2);
const T2 = f32(-5.37397155531e-2);
const T1 = f32(1.33314422036e-1);
const T0 = f32(-3.33332819422e-1);

// The shader's sigmoidOf / tanhOf / fPrime, one f32 rounding per operation
// as there. exp is the one step that differs: the GPU's exp is its own
// approximation (WGSL allows 3 + 2|x| ulp), Math.exp is within 1 ulp before
// the rounding to f32.

/** 1/(1 + e^−z) from e = exp(−|z|) ≤ 1: never overflows, saturates to 0 and 1. */
function sigmoid32(z: number): number {
  const e = f32(Math.exp(-Math.abs(z)));
  const d = f32(1 + e);
  return z >= 0 ? f32(1 / d) : f32(e / d);
}

function tanh32(z: number): number {
  const x = Math.abs(z);
  let y: number;
  if (x < 0.625) {
    const x2 = f32(x * x);
    let p = f32(f32(T4 * x2) + T3);
    p = f32(f32(p * x2) + T2);
    p = f32(f32(p * x2) + T1);
    p = f32(f32(p * x2) + T0);
    y = f32(f32(f32(p * x2) * x) + x);
  } else {
    const t = f32(Math.exp(-2 * x));
    y = f32(f32(1 - t) / f32(1 + t));
  }
  return z >= 0 ? y : -y;
}

/** σ'(z) = σ(1 − σ), written e/(1 + e)² so that it keeps its precision where σ is near 0 or 1. */
function sigmoidPrime32(z: number): number {
  const e = f32(Math.exp(-Math.abs(z)));
  const d = f32(1 + e);
  return f32(e / f32(d * d));
}

/** tanh'(z) = 1 − tanh², written 4t/(1 + t)² with t = e^−2|z| (no cancellation near ±1). */
function tanhPrime32(z: number): number {
  const t = f32(Math.exp(-2 * Math.abs(z)));
  const d = f32(1 + t);
  return f32(f32(4 * t) / f32(d * d));
}

const SMOOTH: Record<Exclude<Nonlinearity, 'leaky'>, { f: (z: number) => number; fPrime: (z: number) => number }> = {
  sigmoid: { f: sigmoid32, fPrime: sigmoidPrime32 },
  tanh: { f: tanh32, fPrime: tanhPrime32 },
};

/**
 * A = f(Z) · mask over `count` elements. On the GPU `step` holds the training
 * step (one u32) that seeds this batch's mask; the CPU twin takes the step.
 */
export const activate = kernel({
  name: 'activate',
  cpu(Z: Float32Array, A: Float32Array, p: ActivationParams, training: boolean, step: number) {
    if (p.nonlinearity !== 'leaky') {
      const { f } = SMOOTH[p.nonlinearity];
      if (!training || p.rate <= 0) {
        for (let i = 0; i < Z.length; i++) A[i] = f(Z[i]!);
        return;
      }
      const mask = maskOf(Z.length, p, step);
      for (let i = 0; i < Z.length; i++) A[i] = f(Z[i]!) * mask[i]!;
      return;
    }
    const alpha = Math.fround(p.alpha);
    const draws = training && p.rate > 0 ? maskDraws(p, step) : undefined;
    // f and the mask in one pass of WebAssembly SIMD on the engine's threads (kernels/wasm/mask.wat).
    if (leakyWasm('activateLeaky', Z, A, alpha, draws)) return;
    if (!draws) {
      for (let i = 0; i < Z.length; i++) {
        const z = Z[i]!;
        A[i] = z > 0 ? z : alpha * z;
      }
      return;
    }
    const mask = maskOf(Z.length, p, step);
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      // Multiplied by 0 when dropped, as on the GPU (keeps −0 and NaN as they are there); f32 products as there.
      A[i] = (z > 0 ? z : f32(alpha * z)) * mask[i]!;
    }
  },
  encode(s, count: number, p: ActivationParams, training: boolean, Z: GPUBuffer, A: GPUBuffer, step: GPUBuffer) {
    s.dispatch(programs.activate, { bindings: { z: Z, values: A, step }, uniforms: params(s, count, p, training), workgroups: Math.ceil(count / THREADS) });
  },
});

/**
 * G ← G · f'(Z) · mask in place (dA becomes dZ), with the forward's mask.
 * f' comes from Z: the model's backward pass keeps the pre-activations, while
 * the forward's output buffer has been overwritten with dA by then.
 */
export const derive = kernel({
  name: 'derive',
  cpu(Z: Float32Array, G: Float32Array, p: ActivationParams, step: number) {
    if (p.nonlinearity !== 'leaky') {
      const { fPrime } = SMOOTH[p.nonlinearity];
      if (p.rate <= 0) {
        for (let i = 0; i < Z.length; i++) G[i] = G[i]! * fPrime(Z[i]!);
        return;
      }
      const mask = maskOf(Z.length, p, step);
      for (let i = 0; i < Z.length; i++) G[i] = f32(G[i]! * fPrime(Z[i]!)) * mask[i]!;
      return;
    }
    const alpha = Math.fround(p.alpha);
    const draws = p.rate > 0 ? maskDraws(p, step) : undefined;
    if (leakyWasm('deriveLeaky', Z, G, alpha, draws)) return;
    if (!draws) {
      for (let i = 0; i < Z.length; i++) G[i] = G[i]! * (Z[i]! > 0 ? 1 : alpha);
      return;
    }
    const mask = maskOf(Z.length, p, step);
    for (let i = 0; i < Z.length; i++) G[i] = f32(G[i]! * (Z[i]! > 0 ? 1 : alpha)) * mask[i]!;
  },
  encode(s, count: number, p: ActivationParams, Z: GPUBuffer, G: GPUBuffer, step: GPUBuffer) {
    s.dispatch(programs.derive, { bindings: { z: Z, values: G, step }, uniforms: params(s, count, p, true), workgroups: Math.ceil(count / THREADS) });
  },
});
