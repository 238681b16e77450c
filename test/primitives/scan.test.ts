/**
 * The GPU exclusive scan (kernels/primitives/scan.ts) against its CPU twin and
 * a naive loop, on sizes around the block boundaries and across recursion levels.
 */
import { describe, expect, test } from 'vitest';
import { exclusiveScan } from '../../kernels/primitives/scan.js';
import { RandomStream } from '../../src/index.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { runOnGpu } from '../helpers/run-kernel.js';

const gpu = await gpuEngine();

function naiveExclusiveScan(values: Uint32Array): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 1; i < values.length; i++) out[i] = out[i - 1]! + values[i - 1]!;
  return out;
}

describe(`exclusive scan on WebGPU (${adapterName(gpu)})`, () => {
  // Chunks of 64: one, two and three levels of totals, and every boundary between.
  for (const n of [0, 1, 2, 63, 64, 65, 4095, 4096, 4097, 10_000, 64 ** 3, 64 ** 3 + 3]) {
    test(`${n} values`, async () => {
      const rng = new RandomStream(n + 1);
      const values = Uint32Array.from({ length: n }, () => rng.nextInt(50));
      const expected = naiveExclusiveScan(values);
      const [g, c] = [await runOnGpu(gpu, exclusiveScan, values), exclusiveScan.cpu(values)];
      expect(c).toEqual(expected);
      expect(g).toEqual(expected);
    });
  }
});
