/** The counter-based PRNG fill (kernels/primitives/random-fill.ts): the GPU stream is the CPU stream, and uniform. */
import { describe, expect, test } from 'vitest';
import { randomFill } from '../../kernels/primitives/random-fill.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { runOnGpu } from '../helpers/run-kernel.js';

const gpu = await gpuEngine();

describe(`counter-based PRNG on WebGPU (${adapterName(gpu)})`, () => {
  test('GPU stream is bit-identical to the CPU stream', async () => {
    for (const [seed, stream, first] of [
      [1, 0, 0],
      [0xdeadbeef, 7, 123_456],
      [42, 0xffffffff, 0xfffffff0],
    ] as Array<[number, number, number]>) {
      const expected = randomFill.cpu(5000, seed, stream, first);
      expect(await runOnGpu(gpu, randomFill, 5000, seed, stream, first)).toEqual(expected);
    }
  });

  test('values look uniform (chi-square over 64 bins, 99.9 % critical value 103.4 for 63 dof)', () => {
    const n = 64_000;
    const bins = new Float64Array(64);
    const values = randomFill.cpu(n, 9, 3, 0);
    for (const v of values) bins[v >>> 26]!++;
    const e = n / 64;
    const chi2 = bins.reduce((a, o) => a + ((o - e) * (o - e)) / e, 0);
    expect(chi2).toBeLessThan(103.4);
  });
});
