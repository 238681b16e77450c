/**
 * GPU radix select (kernels/primitives/select.ts), of one rank and of two
 * ranks at once (what SET's thresholds use), against its CPU twin and a sort.
 */
import { describe, expect, test } from 'vitest';
import { keyToFloat, selectRank } from '../../kernels/primitives/select.js';
import type { GpuPlan, HostKernel } from '../../src/gpu/kernel.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import type { KernelProfile } from '../../src/gpu/kernel-profile.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';

const gpu = await gpuEngine();

// Both kernel profiles on SwiftShader: 'emulation' picks each digit on one thread, 'gpu' by a workgroup scan of the bins.
for (const profile of ['emulation', 'gpu'] as const satisfies readonly KernelProfile[]) {
  const ctx = new GpuContext(gpu.device!, false, undefined, undefined, profile);
  const runOnGpu = <Args extends unknown[], Result>(_engine: unknown, kernel: HostKernel<Args, Result>, ...args: Args): Promise<Result> => {
    kernel.validate(...args);
    return ctx.run(kernel.name, (s) => kernel.plan(s, ...args));
  };

  describe(`radix select on WebGPU (${adapterName(gpu)}), ${profile} kernels`, () => {
    const cases: Array<[string, Float32Array]> = [
      ['mixed signs', Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 3)],
      ['with ties and zeros', Float32Array.from({ length: 3001 }, (_, i) => [0, -0, 1, -1, 0.5, -0.5][i % 6]!)],
      ['one value', new Float32Array([-2.5])],
      ['all negative', Float32Array.from({ length: 700 }, (_, i) => -1 - i * 0.01)],
      ['large', Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i * 0.7) * Math.exp((i % 13) - 6))],
    ];
    for (const [name, values] of cases) {
      test(name, async () => {
        const sorted = Float32Array.from(values).sort();
        for (const rank of [0, 1, values.length >> 1, values.length - 2, values.length - 1].filter((r) => r >= 0 && r < values.length)) {
          const expected = sorted[rank]!;
          expect(selectRank.cpu(values, rank)).toBe(expected);
          const got = await runOnGpu(gpu, selectRank, values, rank);
          // -0 and 0 share a rank position only by value; compare by value (Object.is would split them).
          expect(got === expected, `rank ${rank}: ${got} vs ${expected}`).toBe(true);
        }
      });
    }
  });

  /** Two ranks in one select (what SET's thresholds use), read back as floats. */
  const selectTwoRanks: HostKernel<[values: Float32Array, ranks: [number, number]], [number, number]> = {
    name: 'selectTwoRanks',
    validate() {},
    encode: selectRank.encode,
    cpu(values, ranks) {
      const sorted = Float32Array.from(values).sort();
      return [sorted[ranks[0]]!, sorted[ranks[1]]!];
    },
    plan(s, values, ranks): GpuPlan<[number, number]> {
      const state = selectRank.encode(s, s.upload('values', values), values.length, ranks);
      return { result: state, byteLength: 32, decode: (bytes) => { const u = new Uint32Array(bytes); return [keyToFloat(u[0]!), keyToFloat(u[4]!)]; } };
    },
  };

  describe(`radix select of two ranks at once on WebGPU (${adapterName(gpu)}), ${profile} kernels`, () => {
    // Near-equal values keep both ranks on one prefix for two or three passes
    // before they part; equal ranks never part; opposite signs part at once.
    const close = Float32Array.from({ length: 4000 }, (_, i) => 1 + (i % 997) * 2 ** -20);
    const mixed = Float32Array.from({ length: 20_000 }, (_, i) => Math.sin(i * 12.9898) * 3);
    const cases: Array<[string, Float32Array, [number, number]]> = [
      ['close values, adjacent ranks', close, [1999, 2000]],
      ['close values, ranks apart', close, [3, 3990]],
      ['equal ranks', mixed, [777, 777]],
      ['opposite signs', mixed, [100, 19_900]],
      ['second rank below the first', mixed, [15_000, 20]],
      ['ties and zeros', Float32Array.from({ length: 3001 }, (_, i) => [0, -0, 1, -1, 0.5, -0.5][i % 6]!), [0, 3000]],
    ];
    for (const [name, values, ranks] of cases) {
      test(name, async () => {
        const expected = selectTwoRanks.cpu(values, ranks);
        const got = await runOnGpu(gpu, selectTwoRanks, values, ranks);
        expect(got[0] === expected[0] && got[1] === expected[1], `${got} vs ${expected}`).toBe(true);
        // The same ranks one at a time agree.
        expect(await runOnGpu(gpu, selectRank, values, ranks[0])).toBe(got[0]);
      });
    }
  });
}
