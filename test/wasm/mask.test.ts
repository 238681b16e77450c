/**
 * The dropout mask in WebAssembly SIMD (kernels/wasm/mask.wat) against the
 * counter-based draw it transcribes (src/random.ts randomU32Keyed), element
 * by element: counts around the vector width and the small-count cut-off,
 * rates whose 2^24 threshold is fractional, keys with the top bit set; on one
 * thread and split over three; and the activation kernel's CPU twin gives the
 * same bits with and without WebAssembly.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { createEngine, CSRMatrix, DenseMatrix, randomU32 } from '../../src/index.js';
import { randomU32Keyed, streamKey } from '../../src/random.js';
import { fillMaskWasm } from '../../kernels/wasm/mask-wasm.js';
import { parallelRunCount, setParallelThreshold } from '../../kernels/wasm/pool.js';
import { activate, derive } from '../../kernels/activation.js';
import { withoutWasm } from '../helpers/wasm.js';

function reference(count: number, key: number, threshold: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = randomU32Keyed(key, i) >>> 8 >= threshold ? scale : 0;
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const cases = [1024, 1025, 1027, 4096, 4099, 128_000].flatMap((count) =>
  [0.3, 0.1, 0.5, 1e-7, 0.9999].map((rate, r) => ({ count, rate, key: r % 2 ? 0xdeadbeef : streamKey(randomU32(7, 1, count), 1) })),
);

async function expectAll(): Promise<void> {
  for (const { count, rate, key } of cases) {
    const threshold = Math.fround(rate) * 16777216;
    const scale = Math.fround(1 / (1 - rate));
    const out = new Float32Array(count + 3).fill(-1);
    expect(fillMaskWasm(out, count, key, threshold, scale)).toBe(true);
    expect(bits(out.subarray(0, count)), `count ${count} rate ${rate}`).toEqual(bits(reference(count, key, threshold, scale)));
    // Nothing past count is written.
    expect(Array.from(out.subarray(count))).toEqual([-1, -1, -1]);
  }
}

describe('dropout mask in WebAssembly', () => {
  test('equals the counter-based draw, element by element, on one thread', async () => {
    await expectAll();
    // Short masks stay in JavaScript.
    expect(fillMaskWasm(new Float32Array(1023), 1023, 1, 5e6, 2)).toBe(false);
  });

  const engines: Array<{ dispose(): void }> = [];
  afterAll(() => engines.forEach((e) => e.dispose()));
  test('and split over three threads', async () => {
    const e = await createEngine({ backend: 'cpu', threads: 3 });
    engines.push(e);
    // An engine's CPU work selects its threads for the kernels that follow (as fit does).
    await e.spmmCsr(CSRMatrix.random({ rows: 4, cols: 4, density: 0.5, seed: 1 }), DenseMatrix.random(4, 4));
    const saved = setParallelThreshold(0);
    const before = parallelRunCount();
    try {
      await expectAll();
    } finally {
      setParallelThreshold(saved);
    }
    expect(parallelRunCount()).toBeGreaterThan(before);
  });

  test('activate and derive give the same bits with and without WebAssembly', () => {
    const count = 3 * 4096 + 5;
    const Z = DenseMatrix.random(count, 1, { seed: 9 }).data;
    const p = { nonlinearity: 'leaky' as const, alpha: -0.6, rate: 0.3, seed: 5, stream: 2 };
    const run = () => {
      const A = new Float32Array(count);
      activate.cpu(Z, A, p, true, 17);
      const G = DenseMatrix.random(count, 1, { seed: 10 }).data;
      derive.cpu(Z, G, p, 17);
      return [...bits(A), ...bits(G)];
    };
    const simd = run();
    expect(simd).toEqual(withoutWasm(run));
    // Some dropped, some kept.
    const A = new Float32Array(simd.slice(0, count)).map((_, i) => new Float32Array(new Uint32Array([simd[i]!]).buffer)[0]!);
    expect(A.some((v) => v === 0) && A.some((v) => v !== 0)).toBe(true);
  });

  /** activate/derive against a naive f32 loop over the mask as the GPU draws it, for counts around the vector width. */
  function expectLeakyMatchesNaive(): void {
    const f = Math.fround;
    for (const count of [1024, 4099, 3 * 4096 + 5]) {
      for (const p of [
        { nonlinearity: 'leaky' as const, alpha: 0.6, rate: 0.3, seed: 3, stream: 1 },
        { nonlinearity: 'leaky' as const, alpha: 0, rate: 0, seed: 3, stream: 1 },
        { nonlinearity: 'leaky' as const, alpha: -0.01, rate: 0.5, seed: 8, stream: 4 },
      ]) {
        const Z = DenseMatrix.random(count, 1, { seed: count }).data;
        Z[0] = -0;
        Z[1] = 0;
        const G0 = DenseMatrix.random(count, 1, { seed: count + 1 }).data;
        for (const training of [true, false]) {
          const A = new Float32Array(count);
          activate.cpu(Z, A, p, training, 23);
          const G = Float32Array.from(G0);
          derive.cpu(Z, G, p, 23);
          // The mask as the GPU draws it: the dropout draws of this step, or none.
          const key = streamKey(randomU32(p.seed, p.stream, 23), p.stream);
          const m = p.rate > 0 ? reference(count, key, f(p.rate) * 16777216, f(1 / (1 - p.rate))) : new Float32Array(count).fill(1);
          const alpha = f(p.alpha);
          const wantA = Z.map((z, i) => f((z > 0 ? z : f(alpha * z)) * (training ? m[i]! : 1)));
          const wantG = G0.map((g, i) => f(f(g * (Z[i]! > 0 ? 1 : alpha)) * m[i]!));
          const label = `count ${count} alpha ${p.alpha} rate ${p.rate} training ${training}`;
          expect(bits(A), label).toEqual(bits(wantA));
          expect(bits(G), label).toEqual(bits(wantG));
        }
      }
    }
  }

  test('the fused leaky ReLU equals a naive f32 loop, with and without dropout, split over threads too', async () => {
    const e = await createEngine({ backend: 'cpu', threads: 3 });
    engines.push(e);
    await e.spmmCsr(CSRMatrix.random({ rows: 4, cols: 4, density: 0.5, seed: 1 }), DenseMatrix.random(4, 4));
    expectLeakyMatchesNaive();
    // Every call split into parts (starting on 4-element multiples, the tail part shorter): the same bits.
    const saved = setParallelThreshold(0);
    const before = parallelRunCount();
    try {
      expectLeakyMatchesNaive();
    } finally {
      setParallelThreshold(saved);
    }
    expect(parallelRunCount()).toBeGreaterThan(before);
  });
});
