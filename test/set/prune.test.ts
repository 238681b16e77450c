/**
 * SET pruning: the CPU survivors (counters + radix select) equal a literal
 * transcription of the reference implementation (sort, scan for the value
 * closest to zero from both ends), the GPU's equal the CPU's for the same
 * weights, and they remove what the paper says (ζ of the negative and ζ of
 * the positive weights, those closest to zero).
 */
import { describe, expect, test } from 'vitest';
import { doubleAsFixed, selectRanksCpu, setKeepFlagsCpu, setRanks, setThresholdRanks } from '../../kernels/set/prune.js';
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

/** The double k ulps above x (k < 0: below), x > 0. */
function ulps(x: number, k: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(k));
  return view.getFloat64(0);
}

describe(`SET's threshold ranks on WebGPU (${adapterName(engine)}): setRanks = setThresholdRanks's float64 rule, exactly`, () => {
  test('doubleAsFixed is exact: (hi · 2³² + lo) / 2^frac is the double itself; below 2⁻⁶⁴ it is 0', () => {
    for (const x of [1, 0.7, 0.3, 2 ** -53, 1 - 2 ** -53, 2 ** -64, 0.1 + 0.2]) {
      const { hi, lo, frac } = doubleAsFixed(x);
      expect(hi).toBeLessThan(2 ** 21);
      expect((hi * 2 ** 32 + lo) / 2 ** frac).toBe(x);
    }
    expect(doubleAsFixed(0)).toEqual({ hi: 0, lo: 0, frac: 0 });
    expect(doubleAsFixed(2 ** -65)).toEqual({ hi: 0, lo: 0, frac: 0 });
  });

  test('random and adversarial counts and ζ (products and sums that land within an ulp of an integer)', async () => {
    const rng = new RandomStream(21);
    const int = (below: number): number => Math.floor(rng.uniform(0, 1) * below);
    // One group per (n, ζ): stats records [a, below, above, 0] with below + above ≤ n − 1.
    const groups: Array<{ n: number; zeta: number; stats: Uint32Array }> = [];
    const group = (n: number, zeta: number, pairs: Array<[number, number]>): void => {
      for (let r = 0; r < 24; r++) {
        const below = int(n);
        pairs.push([below, int(n - below)]);
      }
      pairs.push([0, 0], [n - 1, 0], [0, n - 1], [Math.floor((n - 1) / 2), Math.floor(n / 2) - 1 < 0 ? 0 : Math.floor((n - 1) / 2)]);
      const stats = new Uint32Array(pairs.length * 4);
      pairs.forEach(([b, a], i) => stats.set([0x3f000000, b, Math.min(a, n - 1 - b)], 4 * i));
      groups.push({ n, zeta, stats });
    };
    const sizes = [1, 2, 3, 10, 1000, 2 ** 20 + 3, 1_007_915, 2 ** 31 - 1, 2 ** 32 - 1];
    const zetas = [0.3, 0.5, 1, 0.1, 0.7, 0.9999, 1 - 2 ** -53, 2 ** -53, 2 ** -64, 1.5 * 2 ** -64, 2 ** -65, 5e-324, 1e-300, 0.25, 0.1 + 0.2];
    for (const n of sizes) for (const zeta of zetas) group(n, zeta, []);
    for (let g = 0; g < 120; g++) {
      const n = Math.max(2, Math.floor(2 ** rng.uniform(1, 32)));
      // (1 − ζ) · first within a few ulps of an integer k, and last + ζ · (n − last) too.
      const first = 1 + int(n - 1);
      const k = 1 + int(first);
      const last = 1 + int(n - 1);
      const d = n - last;
      const m = int(d + 1);
      const step = int(7) - 3;
      group(n, Math.min(1, Math.max(0, 1 - ulps(k / first, step))), [[first, 0]]);
      if (d > 0) group(n, Math.min(1, ulps(m / d, step) || 0), [[0, n - last]]);
      group(n, rng.uniform(0, 1), []);
    }
    const gpu = await ctx.run('setRanks test', (s) => {
      const total = groups.reduce((a, g) => a + g.stats.length * 2, 0);
      const out = s.output('ranks', total * 4);
      let at = 0;
      for (const { n, zeta, stats } of groups) {
        const states = setRanks.encode(s, s.upload('stats', stats), n, zeta, stats.length / 4);
        s.copy(states, out, stats.length * 8, at);
        at += stats.length * 8;
      }
      return { result: out, byteLength: total * 4, decode: (bytes) => new Uint32Array(bytes) };
    });
    let at = 0;
    let checked = 0;
    for (const { n, zeta, stats } of groups) {
      const cpu = setRanks.cpu(stats, n, zeta);
      const got = gpu.subarray(at, at + cpu.length);
      for (let i = 0; i < cpu.length; i += 8) {
        const where = `n ${n}, ζ ${zeta}, below ${stats[i / 2 + 1]}, above ${stats[i / 2 + 2]}`;
        expect([got[i + 2], got[i + 6]], where).toEqual([cpu[i + 2], cpu[i + 6]]);
      }
      expect(got).toEqual(cpu);
      at += cpu.length;
      checked += cpu.length / 8;
    }
    expect(checked).toBeGreaterThan(10_000);
  }, 60_000);

  test('the CPU twin is setThresholdRanks, record by record', () => {
    // first 30, last 60: (1 − 0.3) · 30 is exactly 20.99999999999999867 but rounds to the double 21, so 21; floor(60 + 0.3 · 40) = 72;
    // first 0, last 1: 0 and floor(1 + 0.3 · 99) = 30.
    const stats = Uint32Array.of(0, 30, 40, 0, 0, 0, 99, 0);
    expect(setRanks.cpu(stats, 100, 0.3)).toEqual(Uint32Array.of(0, 0, 21, 0, 0, 0, 72, 0, 0, 0, 0, 0, 0, 0, 30, 0));
    expect(setThresholdRanks(100, 30, 60, 0.3)).toEqual({ negative: 21, positive: 72 });
  });
});
