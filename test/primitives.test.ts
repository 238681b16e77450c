/**
 * GPU primitives used by topology evolution, each against its CPU twin and a
 * naive loop, on sizes around the block boundaries and across recursion levels.
 */
import { describe, expect, test } from 'vitest';
import { exclusiveScan } from '../kernels/primitives/scan.js';
import { encodeRadixSelect, keyToFloat, selectRank } from '../kernels/primitives/select.js';
import type { GpuPlan, Kernel } from '../src/gpu/kernel.js';
import { compactIndices } from '../kernels/primitives/compact.js';
import { randomFill } from '../kernels/primitives/random-fill.js';
import { CSRMatrix, RandomStream } from '../src/index.js';
import { csrDerivedIndices, transposeBands } from '../kernels/csr-transpose.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr } from './helpers/cases.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';

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

describe(`radix select on WebGPU (${adapterName(gpu)})`, () => {
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

/** Two ranks in one select (what SET's thresholds use), read back as floats. */
const selectTwoRanks: Kernel<[values: Float32Array, ranks: [number, number]], [number, number]> = {
  name: 'selectTwoRanks',
  validate() {},
  cpu(values, ranks) {
    const sorted = Float32Array.from(values).sort();
    return [sorted[ranks[0]]!, sorted[ranks[1]]!];
  },
  plan(s, values, ranks): GpuPlan<[number, number]> {
    const state = encodeRadixSelect(s, s.upload('values', values), values.length, ranks);
    return { result: state, byteLength: 32, decode: (bytes) => { const u = new Uint32Array(bytes); return [keyToFloat(u[0]!), keyToFloat(u[4]!)]; } };
  },
};

describe(`radix select of two ranks at once on WebGPU (${adapterName(gpu)})`, () => {
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

/** Wᵀ as a CSR (via COO), e.g. to turn skewed rows into skewed columns. */
function transposed(W: CSRMatrix): CSRMatrix {
  const rows = W.rowIndices();
  return CSRMatrix.fromCOO({ rows: W.cols, cols: W.rows, rowIndices: Array.from(W.colIdx), colIndices: Array.from(rows), values: Array.from(W.values) });
}

describe(`CSR derived indices built on WebGPU (${adapterName(gpu)})`, () => {
  for (const [name, W] of [
    ['random', CSRMatrix.random({ rows: 300, cols: 200, density: 0.05, seed: 1 })],
    ['power-law rows', powerLawCsr(80, 120, 2)],
    ['empty rows and columns', csrWithEmptyLines(40, 33, 3)],
    ['nnz 0', emptyCsr(5, 7)],
    // Mean column length ≥ 32: the band-wise counting path (transposeBands > 1).
    ['long columns', CSRMatrix.random({ rows: 701, cols: 23, density: 0.3, seed: 4 })],
    ['long columns, one row per band (fully dense)', CSRMatrix.random({ rows: 40, cols: 9, density: 1, seed: 5 })],
    ['long columns, empty rows and columns', csrWithEmptyLines(400, 9, 6)],
    ['long columns, power-law column lengths', transposed(powerLawCsr(40, 2000, 7))],
  ] as Array<[string, CSRMatrix]>) {
    test(`${name}: rowOf and transpose index equal the host's`, async () => {
      const expected = csrDerivedIndices.cpu(W);
      if (name.startsWith('long columns')) expect(transposeBands(W.rows, W.cols, W.nnz)).toBeGreaterThan(1);
      else expect(transposeBands(W.rows, W.cols, W.nnz)).toBe(1);
      const got = await runOnGpu(gpu, csrDerivedIndices, W);
      expect(got.rowOf).toEqual(expected.rowOf);
      expect(got.colPtr).toEqual(expected.colPtr);
      expect(got.rowIdx).toEqual(expected.rowIdx);
      expect(got.perm).toEqual(expected.perm);
    });
  }
});
