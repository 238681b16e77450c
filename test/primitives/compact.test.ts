/** GPU stream compaction (kernels/primitives/compact.ts) against its CPU twin and a naive loop. */
import { describe, expect, test } from 'vitest';
import { compactIndices } from '../../kernels/primitives/compact.js';
import { RandomStream } from '../../src/index.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { runOnGpu } from '../helpers/run-kernel.js';

const gpu = await gpuEngine();

describe(`stream compaction on WebGPU (${adapterName(gpu)})`, () => {
  for (const [name, n, p] of [
    ['empty', 0, 0.5],
    ['none set', 1000, 0],
    ['all set', 1000, 1],
    ['random 30 %', 70_001, 0.3],
  ] as Array<[string, number, number]>) {
    test(name, async () => {
      const rng = new RandomStream(n + 7);
      const flags = Uint32Array.from({ length: n }, () => (rng.next() < p ? 1 : 0));
      const expected: number[] = [];
      flags.forEach((f, i) => f && expected.push(i));
      expect(Array.from(compactIndices.cpu(flags))).toEqual(expected);
      expect(Array.from(await runOnGpu(gpu, compactIndices, flags))).toEqual(expected);
    });
  }
});
