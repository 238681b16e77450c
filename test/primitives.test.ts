/**
 * GPU primitives used by topology evolution, each against its CPU twin and a
 * naive loop, on sizes around the block boundaries and across recursion levels.
 */
import { describe, expect, test } from 'vitest';
import { exclusiveScan } from '../kernels/primitives/scan.js';
import { RandomStream } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';

const gpu = await gpuEngine();

function naiveExclusiveScan(values: Uint32Array): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 1; i < values.length; i++) out[i] = out[i - 1]! + values[i - 1]!;
  return out;
}

describe(`exclusive scan on WebGPU (${adapterName(gpu)})`, () => {
  for (const n of [0, 1, 2, 511, 512, 513, 1000, 262_144, 262_145, 300_001]) {
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
