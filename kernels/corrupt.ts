import { kernel } from '../src/gpu/kernel.js';
import { randomU32Keyed, streamKey } from '../src/random.js';
import { programs } from './programs.js';

const { THREADS } = programs.corrupt.layout.consts;

/** How inputs are corrupted: x̃ = x + noiseFactor · N(0, 1), drawn per (sample, feature) under `seed`. */
export interface CorruptionOptions {
  /** σ of the additive Gaussian noise (the QuickSelection authors use 0.2). */
  noiseFactor: number;
  /** u32; the same seed gives every sample the same noise in every epoch (the authors' form). */
  seed: number;
}

const f = Math.fround;
const SQRT_HALF = f(Math.SQRT1_2);
const TWO_PI = f(2 * Math.PI);
/** Cephes' coefficients, as f32 (the shader's literals). */
const LOG = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_E1 = f(-2.1219444e-4);
const LOG_E2 = f(0.693359375);
const COS = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const SIN = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const bits = new DataView(new ArrayBuffer(4));

/** The shader's lnPositive, step for step in f32 (u normal and positive). */
function lnPositive(u: number): number {
  bits.setFloat32(0, u);
  const word = bits.getUint32(0);
  // frexp: u = fract · 2^exp with fract in [0.5, 1).
  let e = ((word >>> 23) & 0xff) - 126;
  bits.setUint32(0, (word & 0x807fffff) | (126 << 23));
  let x = bits.getFloat32(0);
  if (x < SQRT_HALF) {
    e -= 1;
    x = f(f(x + x) - 1);
  } else {
    x = f(x - 1);
  }
  const z = f(x * x);
  let y = f(f(LOG[0]! * x) + LOG[1]!);
  for (let i = 2; i < LOG.length; i++) y = f(f(y * x) + LOG[i]!);
  y = f(f(y * x) * z);
  y = f(y + f(LOG_E1 * e));
  y = f(y + f(-0.5 * z));
  return f(f(x + y) + f(LOG_E2 * e));
}

function cosPoly(x: number): number {
  const z = f(x * x);
  let y = f(f(COS[0]! * z) + COS[1]!);
  y = f(f(y * z) + COS[2]!);
  return f(f(f(f(y * z) * z) - f(0.5 * z)) + 1);
}

function sinPoly(x: number): number {
  const z = f(x * x);
  let y = f(f(SIN[0]! * z) + SIN[1]!);
  y = f(f(y * z) + SIN[2]!);
  return f(f(f(y * z) * x) + x);
}

/** The shader's cosTwoPi: cos(2πv) for a 24-bit v in [0, 1). */
function cosTwoPi(v: number): number {
  const a = Math.min(v, 1 - v);
  if (a <= 0.125) return cosPoly(f(TWO_PI * a));
  if (a <= 0.375) return sinPoly(f(TWO_PI * (0.25 - a)));
  return -cosPoly(f(TWO_PI * (0.5 - a)));
}

/**
 * A denoising autoencoder's input corruption in the QuickSelection authors'
 * form (shaders/corrupt.wgsl): additive Gaussian noise, not clipped, out =
 * X + σ·n over feature-major X (features × batch), with n drawn by
 * Box–Muller (n = sqrt(−2 ln u)·cos(2πv)) from the counter-based generator
 * (src/random.ts, its WGSL twin in shaders/fragments/random.wgsl) with the
 * data-set index samples[b] as its stream. The noise of a sample follows it
 * through any shuffle, and the two uniforms behind it are the same bits on
 * both sides; ln and cos are Cephes polynomials in f32 on both sides (WGSL's
 * builtins are not accurate enough to agree), so GPU and CPU differ only
 * where a GPU fuses a multiply-add or rounds sqrt differently: a few ulp.
 * out must not alias X (the clean inputs stay the autoencoder's targets).
 */
export const corruptInputs = kernel({
  name: 'corruptInputs',
  cpu(features: number, batch: number, X: Float32Array, samples: ArrayLike<number>, out: Float32Array, options: CorruptionOptions) {
    const sigma = f(options.noiseFactor);
    for (let b = 0; b < batch; b++) {
      const key = streamKey(options.seed >>> 0, samples[b]! >>> 0);
      for (let i = 0; i < features; i++) {
        const u = f(1 - (randomU32Keyed(key, 2 * i) >>> 8) / 16777216);
        const v = (randomU32Keyed(key, 2 * i + 1) >>> 8) / 16777216;
        const n = f(f(Math.sqrt(f(-2 * lnPositive(u)))) * cosTwoPi(v));
        const at = i * batch + b;
        out[at] = f(X[at]! + f(sigma * n));
      }
    }
  },
  encode(s, features: number, batch: number, X: GPUBuffer, samples: GPUBuffer, out: GPUBuffer, options: CorruptionOptions) {
    const count = features * batch;
    s.dispatch(programs.corrupt, {
      bindings: { X, samples, out },
      uniforms: { count, batch, seed: options.seed >>> 0, sigma: options.noiseFactor },
      workgroups: Math.ceil(count / THREADS),
    });
  },
});
