/**
 * SET pruning: the CPU survivors (counters + radix select) equal a literal
 * transcription of the reference implementation (sort, scan for the value
 * closest to zero from both ends), the GPU's equal the CPU's for the same
 * weights, and they remove what the paper says (ζ of the negative and ζ of
 * the positive weights, those closest to zero).
 */
import { describe, expect, test } from 'vitest';
import { selectRanksCpu, setKeepFlagsCpu, setThresholdRanks } from '../../kernels/set/prune.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError, RandomStream } from '../../src/index.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { setKeepFlagsGpu } from '../helpers/gpu-wrappers.js';

const engine = await gpuEngine();
const ctx = new GpuContext(engine.device!, false, undefined);

function weights(n: number, seed: number, shape: 'mixed' | 'positive' | 'negative' | 'ties'): Float32Array {
  const rng = new RandomStream(seed);
  return Float32Array.from({ length: n }, (_, i) => {
    switch (shape) {
      case 'mixed':
        return rng.uniform(-1, 1);
      case 'positive':
        return rng.uniform(0.01, 1);
      case 'negative':
        return rng.uniform(-1, -0.01);
      case 'ties':
        return [0.5, -0.5, 0.25, -0.25, 0.5][i % 5]!;
    }
  });
}

/** The reference implementation's rule, transcribed literally (a full sort). */
function referenceKeepFlags(values: Float32Array, zeta: number): Uint32Array {
  const n = values.length;
  const flags = new Uint32Array(n);
  if (n === 0) return flags;
  const sorted = Float32Array.from(values).sort();
  let first = 0;
  for (let i = 1; i < n; i++) if (Math.abs(sorted[i]!) < Math.abs(sorted[first]!)) first = i;
  let lastFromEnd = 0; // argmin over the reversed array: the last occurrence
  for (let i = 1; i < n; i++) if (Math.abs(sorted[n - 1 - i]!) < Math.abs(sorted[n - 1 - lastFromEnd]!)) lastFromEnd = i;
  const { negative, positive } = setThresholdRanks(n, first, n - lastFromEnd, zeta);
  for (let i = 0; i < n; i++) flags[i] = values[i]! > sorted[positive]! || values[i]! < sorted[negative]! ? 1 : 0;
  return flags;
}

describe('the CPU selection against a sort', () => {
  test('selectRanksCpu returns the sorted values at both ranks (ties, ±0, tiny arrays)', () => {
    const rng = new RandomStream(9);
    for (const n of [1, 2, 5, 300, 5000]) {
      const values = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? (i % 14 === 0 ? 0 : -0) : Math.round(rng.uniform(-20, 20)) / 4));
      const sorted = Float32Array.from(values).sort();
      for (const [r0, r1] of [[0, n - 1], [Math.floor(n / 3), Math.floor((2 * n) / 3)], [n - 1, n - 1]] as Array<[number, number]>) {
        const [a, b] = selectRanksCpu(values, r0, r1);
        expect(Object.is(a, sorted[r0]), `n ${n}, rank ${r0}: ${a} vs ${sorted[r0]}`).toBe(true);
        expect(Object.is(b, sorted[r1]), `n ${n}, rank ${r1}: ${b} vs ${sorted[r1]}`).toBe(true);
      }
    }
  });
});

describe(`SET magnitude pruning on WebGPU (${adapterName(engine)}) vs the CPU reference`, () => {
  for (const [name, values] of [
    ['mixed signs, 10,000', weights(10_000, 1, 'mixed')],
    ['no negative weights', weights(3_000, 2, 'positive')],
    ['no positive weights', weights(3_000, 3, 'negative')],
    ['ties at the threshold', weights(1_001, 4, 'ties')],
    ['one weight', new Float32Array([0.3])],
    ['with exact zeros', Float32Array.from(weights(2_000, 5, 'mixed'), (v, i) => (i % 50 === 0 ? 0 : v))],
  ] as Array<[string, Float32Array]>) {
    for (const zeta of [0, 0.3, 1]) {
      test(`${name}, ζ = ${zeta}`, async () => {
        const cpu = setKeepFlagsCpu(values, zeta);
        // ζ = 0 is the one documented difference: nothing is removed.
        expect(cpu).toEqual(zeta === 0 ? new Uint32Array(values.length).fill(1) : referenceKeepFlags(values, zeta));
        const gpu = await setKeepFlagsGpu(ctx, values, zeta);
        expect(gpu).toEqual(cpu);
      });
    }
  }

  test('ζ = 0.3 removes ~30 % of the negatives and ~30 % of the positives, those closest to zero', () => {
    const values = weights(20_000, 6, 'mixed');
    const keep = setKeepFlagsCpu(values, 0.3);
    const neg = values.filter((v) => v < 0).length;
    const pos = values.length - neg;
    const removedNeg = values.filter((v, i) => v < 0 && !keep[i]).length;
    const removedPos = values.filter((v, i) => v > 0 && !keep[i]).length;
    expect(Math.abs(removedNeg / neg - 0.3)).toBeLessThan(0.002);
    expect(Math.abs(removedPos / pos - 0.3)).toBeLessThan(0.002);
    const keptMinAbs = Math.min(...values.filter((_, i) => keep[i]).map(Math.abs));
    const removedMaxAbsNeg = Math.max(...values.filter((v, i) => v < 0 && !keep[i]).map(Math.abs));
    const keptMinAbsNeg = Math.min(...values.filter((v, i) => v < 0 && keep[i]).map(Math.abs));
    expect(removedMaxAbsNeg).toBeLessThanOrEqual(keptMinAbsNeg);
    expect(keptMinAbs).toBeGreaterThan(0);
  });

  describe('the rule at its edges (documented in setKeepFlagsCpu, Engine.evolveSet and the README)', () => {
    const both = async (values: Float32Array, zeta: number): Promise<Uint32Array> => {
      const cpu = setKeepFlagsCpu(values, zeta);
      expect(await setKeepFlagsGpu(ctx, values, zeta)).toEqual(cpu);
      return cpu;
    };
    const removed = (flags: Uint32Array): number => flags.length - flags.reduce((a, b) => a + b, 0);

    test('ties at a threshold all go: six equal weights with ζ = 0.3 are all removed, as the reference removes them', async () => {
      const six = new Float32Array(6).fill(0.5);
      expect(referenceKeepFlags(six, 0.3)).toEqual(new Uint32Array(6));
      expect(await both(six, 0.3)).toEqual(new Uint32Array(6));
      // Among distinct magnitudes only the threshold's ties go beyond ζ.
      const mixed = Float32Array.of(-0.4, -0.3, -0.3, -0.3, -0.2, 0.2, 0.5, 0.5, 0.5, 0.9);
      expect(await both(mixed, 0.3)).toEqual(referenceKeepFlags(mixed, 0.3));
    });

    test('stored zeros (+0 and −0) are never kept; besides them ζ of each sign goes', async () => {
      // 942 weights: 300 zeros (half of them −0), 321 negative, 321 positive.
      const values = Float32Array.from({ length: 942 }, (_, i) => (i < 300 ? (i % 2 ? -0 : 0) : i % 2 ? -(i / 1000) : i / 1000));
      const flags = await both(values, 0.3);
      expect(flags).toEqual(referenceKeepFlags(values, 0.3));
      for (let i = 0; i < 300; i++) expect(flags[i], `zero at ${i}`).toBe(0);
      const signedRemoved = removed(flags) - 300;
      expect(signedRemoved).toBeGreaterThanOrEqual(Math.floor(0.3 * 642) - 2);
      expect(signedRemoved).toBeLessThanOrEqual(Math.ceil(0.3 * 642) + 2);
    });

    test('ζ = 0 removes nothing (where the reference would still drop the weight closest to zero)', async () => {
      for (const values of [weights(1_000, 7, 'mixed'), new Float32Array(6).fill(0.5), Float32Array.of(0, -0, 0.1, -0.1)]) {
        expect(removed(referenceKeepFlags(values, 0))).toBeGreaterThan(0);
        expect(removed(await both(values, 0))).toBe(0);
      }
    });
  });

  test('ζ outside [0, 1] is a typed error naming zeta', async () => {
    expect(() => setKeepFlagsCpu(new Float32Array(3), 1.5)).toThrow(InvalidArgumentError);
    await expect(setKeepFlagsGpu(ctx, new Float32Array(3), -0.1)).rejects.toMatchObject({ argument: 'zeta' });
  });
});
