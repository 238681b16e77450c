/**
 * Top-k (kernels/primitives/top-k.ts): a radix select of the threshold, then
 * one workgroup gathering the k largest in index order, ties at the
 * threshold going to lower indices. On WebGPU (both kernel profiles, as the
 * select differs between them) against the CPU twin and a sort written
 * here. Edge cases: k = 1, k = count, all equal, ties straddling the cut,
 * -0 against +0, counts off a workgroup multiple, one value.
 */
import { describe, expect, test } from 'vitest';
import { programs } from '../../kernels/programs.js';
import { topK, type TopK } from '../../kernels/primitives/top-k.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import type { KernelProfile } from '../../src/gpu/kernel-profile.js';
import { RandomStream } from '../../src/index.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';

const gpu = await gpuEngine();
const { THREADS } = programs.topKGather.layout.consts;

/** The k largest by value (then lower index), as index-ordered pairs; -0 ranks below +0. */
function reference(values: Float32Array, k: number): { indices: number[]; values: number[] } {
  // -0 as a double between the largest negative f32 and 0.
  const rank = (v: number) => (Object.is(v, -0) ? -1e-300 : v);
  const order = Array.from(values, (_, i) => i).sort((a, b) => rank(values[b]!) - rank(values[a]!) || a - b);
  const indices = order.slice(0, k).sort((a, b) => a - b);
  return { indices, values: indices.map((i) => values[i]!) };
}

function expectSame(got: TopK, expected: { indices: number[]; values: number[] }, label: string): void {
  expect(Array.from(got.indices), `${label}: indices`).toEqual(expected.indices);
  // By bits: -0 and +0 are different answers here.
  expect(Array.from(got.values).map((v) => (Object.is(v, -0) ? '-0' : String(v))), `${label}: values`).toEqual(expected.values.map((v) => (Object.is(v, -0) ? '-0' : String(v))));
}

const random = (count: number, seed: number) => {
  const r = new RandomStream(seed, 11);
  return Float32Array.from({ length: count }, () => r.uniform(-5, 5));
};

const cases: Array<[string, Float32Array, number[]]> = [
  ['one value', new Float32Array([3.5]), [1]],
  ['random, off a workgroup multiple', random(2 * THREADS + 17, 1), [1, 2, 50, 2 * THREADS, 2 * THREADS + 17]],
  ['784 strengths (non-negative)', Float32Array.from(random(784, 2), Math.abs), [1, 50, 783, 784]],
  ['all equal: the lowest indices win', new Float32Array(600).fill(0.25), [1, 7, 256, 599, 600]],
  // Ties straddle the cut in several chunks: values cycle through 5 levels.
  ['ties across chunks', Float32Array.from({ length: 1500 }, (_, i) => (i * 7) % 5), [1, 299, 300, 301, 450, 700, 1499]],
  ['-0 below +0, negatives', Float32Array.from({ length: 300 }, (_, i) => [0, -0, -1, 2][i % 4]!), [1, 75, 76, 150, 151, 200, 300]],
  ['large', random(20_000, 3), [1, 50, 10_000, 20_000]],
];

for (const profile of ['emulation', 'gpu'] as const satisfies readonly KernelProfile[]) {
  const ctx = new GpuContext(gpu.device!, false, undefined, undefined, profile);
  describe(`top-k on WebGPU (${adapterName(gpu)}), ${profile} kernels, vs CPU twin vs a sort`, () => {
    for (const [name, values, ks] of cases) {
      test(name, async () => {
        for (const k of ks) {
          const expected = reference(values, k);
          expectSame(topK.cpu(values, k), expected, `cpu k=${k}`);
          topK.validate(values, k);
          expectSame(await ctx.run('test topK', (s) => topK.plan(s, values, k)), expected, `gpu k=${k}`);
        }
      });
    }
  });
}

describe('top-k bad input', () => {
  test('k outside [1, count] and NaN are errors naming the argument', () => {
    const values = new Float32Array([1, 2, 3]);
    for (const k of [0, 4, 1.5, -1, Number.NaN]) expect(() => topK.validate(values, k)).toThrow(/^k: /);
    expect(() => topK.validate(new Float32Array([1, Number.NaN]), 1)).toThrow(/^values: .*NaN at 1/);
  });
});
