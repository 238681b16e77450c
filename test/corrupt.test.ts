/**
 * Denoising corruption (kernels/corrupt.ts) in the QuickSelection authors'
 * form, x̃ = x + σ·N(0, 1), unclipped, noise per (sample, feature). On WebGPU
 * against the CPU twin and a float64 Box–Muller written here over the same
 * counter-based uniforms (src/random.ts). ln and cos are Cephes polynomials
 * in f32 on both sides, so GPU vs twin is equal but where a GPU fuses a
 * multiply-add or rounds sqrt otherwise: tolerance 2⁻²⁰ of σ·max(1, |n|)
 * plus one f32 rounding of |x̃| (measured: bit-identical on SwiftShader);
 * twin vs float64 the same bound (measured 1.3 · 2⁻²³). Then what the
 * form means: a sample's noise follows it to any batch position, a new seed
 * draws new noise, and the noise is N(0, σ²) (moments over 100,000 draws).
 */
import { describe, expect, test } from 'vitest';
import { corruptInputs, type CorruptionOptions } from '../kernels/corrupt.js';
import { programs } from '../kernels/programs.js';
import { randomU32 } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { expectSentinelTail, randomValues, SENTINEL, SLACK } from './helpers/kernel-values.js';

const gpu = await gpuEngine();
const ctx = gpu.gpuContextForLayers()!;
const { THREADS } = programs.corrupt.layout.consts;

async function onGpu(features: number, batch: number, X: Float32Array, samples: Uint32Array, options: CorruptionOptions): Promise<Float32Array> {
  const out = await ctx.run('test corrupt', (s) => {
    const o = s.upload('out', new Float32Array(features * batch + SLACK).fill(SENTINEL));
    corruptInputs.encode(s, features, batch, s.upload('X', X), s.upload('samples', samples), o, options);
    return { result: o, byteLength: (features * batch + SLACK) * 4, decode: (b) => new Float32Array(b) };
  });
  expectSentinelTail(out, features * batch, 'corrupt');
  return out.subarray(0, features * batch);
}

function onCpu(features: number, batch: number, X: Float32Array, samples: Uint32Array, options: CorruptionOptions): Float32Array {
  const out = new Float32Array(features * batch);
  corruptInputs.cpu(features, batch, X, samples, out, options);
  return out;
}

/** The standard normal of (sample, feature) in float64: Box–Muller over the same two 24-bit uniforms. */
function normal64(seed: number, sample: number, feature: number): number {
  const u = 1 - (randomU32(seed, sample, 2 * feature) >>> 8) / 2 ** 24;
  const v = (randomU32(seed, sample, 2 * feature + 1) >>> 8) / 2 ** 24;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

describe(`input corruption on WebGPU (${adapterName(gpu)}) vs CPU twin vs float64 Box–Muller`, () => {
  const shapes: Array<[features: number, batch: number]> = [
    [1, 1],
    [784, 1],
    [7, THREADS + 1],
    [784, 100],
  ];
  for (const [features, batch] of shapes) {
    test(`${features} features × batch ${batch}`, async () => {
      const options = { noiseFactor: 0.2, seed: features * 31 + batch };
      const X = randomValues(features * batch, features + batch);
      // Data-set indices as a shuffle leaves them: anything, not 0 … batch − 1.
      const samples = Uint32Array.from({ length: batch }, (_, b) => (b * 7919 + 13) % 60_000);
      const cpu = onCpu(features, batch, X, samples, options);
      const got = await onGpu(features, batch, X, samples, options);
      let worst = 0;
      let worstCpu = 0;
      for (let f = 0; f < features; f++) {
        for (let b = 0; b < batch; b++) {
          const i = f * batch + b;
          const n = normal64(options.seed, samples[b]!, f);
          const scale = options.noiseFactor * Math.max(1, Math.abs(n));
          const expected = X[i]! + options.noiseFactor * n;
          const ulp = Math.abs(expected) * 2 ** -23;
          worstCpu = Math.max(worstCpu, Math.max(0, Math.abs(cpu[i]! - expected) - ulp) / scale);
          if (!(Math.abs(cpu[i]! - expected) <= scale * 2 ** -20 + ulp)) throw new Error(`cpu (${f}, ${b}): ${cpu[i]} vs float64 ${expected}`);
          const d = Math.abs(got[i]! - cpu[i]!);
          worst = Math.max(worst, d / scale);
          if (!(d <= scale * 2 ** -20 + ulp)) throw new Error(`gpu (${f}, ${b}): ${got[i]} vs cpu ${cpu[i]}`);
        }
      }
      console.log(`corrupt ${features}×${batch}: worst |gpu − cpu| = ${(worst * 2 ** 23).toFixed(2)} · 2⁻²³ of σ·max(1, |n|), cpu vs float64 ${(worstCpu * 2 ** 23).toFixed(2)} · 2⁻²³`);
    });
  }

  test("a sample's noise follows it to any batch position; another seed draws other noise", async () => {
    const features = 300;
    const X = new Float32Array(features * 4);
    const options = { noiseFactor: 0.2, seed: 9 };
    const a = await onGpu(features, 4, X, Uint32Array.from([5, 17, 42, 1000]), options);
    const b = await onGpu(features, 4, X, Uint32Array.from([42, 5, 999, 17]), options);
    const column = (m: Float32Array, c: number) => Array.from({ length: features }, (_, f) => m[f * 4 + c]!);
    expect(column(b, 1)).toEqual(column(a, 0));
    expect(column(b, 3)).toEqual(column(a, 1));
    expect(column(b, 0)).toEqual(column(a, 2));
    // Neighbouring samples are other streams.
    expect(column(b, 2)).not.toEqual(column(a, 3));
    const c = await onGpu(features, 4, X, Uint32Array.from([5, 17, 42, 1000]), { ...options, seed: 10 });
    expect(column(c, 0)).not.toEqual(column(a, 0));
  });

  test('the noise is N(0, σ²): moments of 100,000 draws, no correlation between neighbours', async () => {
    const features = 1000;
    const batch = 100;
    const sigma = 0.2;
    const X = new Float32Array(features * batch).fill(3);
    const out = await onGpu(features, batch, X, Uint32Array.from({ length: batch }, (_, b) => b), { noiseFactor: sigma, seed: 4 });
    const n = Float64Array.from(out, (v) => (v - 3) / sigma);
    const N = n.length;
    const mean = n.reduce((a, v) => a + v, 0) / N;
    const variance = n.reduce((a, v) => a + (v - mean) ** 2, 0) / N;
    const kurtosis = n.reduce((a, v) => a + (v - mean) ** 4, 0) / N / variance ** 2;
    let lag = 0;
    for (let i = 1; i < N; i++) lag += (n[i]! - mean) * (n[i - 1]! - mean);
    // Standard errors at N = 1e5: mean 0.0032, variance 0.0045, kurtosis 0.015, correlation 0.0032; bounds at about 5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.08);
    expect(Math.abs(lag / (N - 1) / variance)).toBeLessThan(0.016);
    // Gaussian, not clipped: draws beyond 3σ exist in both tails (expected about 135 each).
    expect(n.filter((v) => v > 3).length).toBeGreaterThan(80);
    expect(n.filter((v) => v < -3).length).toBeGreaterThan(80);
  });
});
