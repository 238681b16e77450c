/** Format construction, conversions and derived indices, against naive references. */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, NMMatrix, RandomStream, randomU32 } from '../src/index.js';
import { packPositions } from '../src/formats/nm.js';
import { expectSeededCsr } from './helpers/cases.js';

describe('CSRMatrix', () => {
  test('fromDense → toDense round-trips and drops exact zeros', () => {
    const D = DenseMatrix.random(13, 17, { seed: 1 });
    for (let i = 0; i < D.data.length; i += 3) D.data[i] = 0;
    const W = CSRMatrix.fromDense(D);
    expect(W.toDense().data).toEqual(D.data);
    expect(W.nnz).toBe(D.data.filter((v) => v !== 0).length);
  });

  test('fromCOO sorts any order and sums duplicates when asked', () => {
    const W = CSRMatrix.fromCOO({ rows: 3, cols: 4, rowIndices: [2, 0, 2, 0, 2], colIndices: [3, 1, 0, 1, 3], values: [1, 2, 3, 4, 5], duplicates: 'sum' });
    expect(W.toDense().toArray()).toEqual([
      [0, 6, 0, 0],
      [0, 0, 0, 0],
      [3, 0, 0, 6],
    ]);
    expect(Array.from(W.colIdx)).toEqual([1, 0, 3]);
  });

  test('random: seeded, rows sorted and unique, density within 4 standard deviations', () => {
    const a = expectSeededCsr({ rows: 300, cols: 400, density: 0.05, seed: 9 });
    // nnz ~ Binomial(120000, 0.05): mean 6000, sd ≈ 75.5.
    expect(Math.abs(a.nnz - 6000)).toBeLessThan(4 * 75.5);
    // He-uniform values lie within ±sqrt(6 / cols).
    const limit = Math.sqrt(6 / 400);
    expect(a.values.every((v) => Math.abs(v) <= limit)).toBe(true);
  });

  test('epsilon: p = ε(rows + cols)/(rows·cols), capped at 1 (dense, as in SET)', () => {
    const W = CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 1 });
    const p = (20 * (1000 + 784)) / (1000 * 784);
    const sd = Math.sqrt(1000 * 784 * p * (1 - p));
    expect(Math.abs(W.nnz - 1000 * 784 * p)).toBeLessThan(4 * sd);
    expect(CSRMatrix.random({ rows: 10, cols: 1000, epsilon: 20, seed: 1 }).nnz).toBe(10 * 1000);
  });

  test('a 10⁶ × 10⁶ matrix at ε = 1 is built in O(nnz) memory', () => {
    const t0 = performance.now();
    const W = CSRMatrix.random({ rows: 1_000_000, cols: 1_000_000, epsilon: 1, seed: 5 });
    const ms = performance.now() - t0;
    // Expected nnz = ε(rows + cols) = 2,000,000 (sd ≈ 1414).
    expect(Math.abs(W.nnz - 2_000_000)).toBeLessThan(10_000);
    expect(W.rowPtr.length).toBe(1_000_001);
    expect(W.values.length).toBe(W.nnz);
    console.log(`10⁶ × 10⁶, ε = 1: ${W.nnz} nonzeros in ${ms.toFixed(0)} ms`);
  });

  test('transpose index lists every nonzero once, columns ascending by row, order by length', () => {
    const W = CSRMatrix.random({ rows: 57, cols: 41, density: 0.15, seed: 2, init: 'uniform' });
    const { colPtr, rowIdx, perm, order } = W.transposeIndex();
    const seen = new Set<number>();
    const dense = W.toDense();
    for (let c = 0; c < W.cols; c++) {
      for (let k = colPtr[c]!; k < colPtr[c + 1]!; k++) {
        expect(seen.has(perm[k]!)).toBe(false);
        seen.add(perm[k]!);
        expect(W.colIdx[perm[k]!]).toBe(c);
        expect(W.values[perm[k]!]).toBe(dense.get(rowIdx[k]!, c));
        if (k > colPtr[c]!) expect(rowIdx[k]!).toBeGreaterThan(rowIdx[k - 1]!);
      }
    }
    expect(seen.size).toBe(W.nnz);
    const lengths = Array.from(order, (c) => colPtr[c + 1]! - colPtr[c]!);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
    expect(new Set(order).size).toBe(W.cols);
  });

  test('rowOrder sorts rows by decreasing length; rowIndices is the COO row array', () => {
    const W = CSRMatrix.random({ rows: 80, cols: 60, density: 0.1, seed: 4 });
    const counts = W.rowCounts();
    const lengths = Array.from(W.rowOrder(), (r) => counts[r]!);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
    const rows = W.rowIndices();
    for (let r = 0; r < W.rows; r++) for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) expect(rows[k]).toBe(r);
  });
});

describe('NMMatrix', () => {
  for (const [n, m] of [
    [2, 4],
    [1, 4],
    [2, 8],
    [1, 2],
    [4, 16],
  ] as Array<[number, number]>) {
    test(`${n}:${m} pruneDense keeps the n largest |w| per group; fromDense round-trips`, () => {
      const D = DenseMatrix.random(7, m * 5, { seed: n * 10 + m });
      const W = NMMatrix.pruneDense(D, { n, m });
      const P = W.toDense();
      // Naive reference: per group, rank by |w| (ties: lower position) and keep the top n.
      for (let r = 0; r < D.rows; r++) {
        for (let g = 0; g < D.cols / m; g++) {
          const idx = Array.from({ length: m }, (_, i) => g * m + i);
          const keep = new Set([...idx].sort((a, b) => Math.abs(D.get(r, b)) - Math.abs(D.get(r, a)) || a - b).slice(0, n));
          for (const c of idx) expect(P.get(r, c)).toBe(keep.has(c) ? D.get(r, c) : 0);
        }
      }
      expect(NMMatrix.fromDense(P, { n, m }).toDense().data).toEqual(P.data);
      expect(W.values.length).toBe(7 * (m * 5 / m) * n);
    });
  }

  test('random has exactly n distinct increasing positions per group', () => {
    const W = NMMatrix.random({ rows: 9, cols: 64, n: 3, m: 8, seed: 3 });
    for (let g = 0; g < W.nnz / 3; g++) {
      const pos = [0, 1, 2].map((t) => W.slotPosition(g * 3 + t));
      expect(pos[0]!).toBeLessThan(pos[1]!);
      expect(pos[1]!).toBeLessThan(pos[2]!);
      expect(pos[2]!).toBeLessThan(8);
    }
  });

  test('3-bit positions (m = 8) pack 10 per word; slotColumn adds the group offset', () => {
    const positions = Array.from({ length: 25 }, (_, i) => i % 8);
    const packed = packPositions(positions, 8);
    expect(packed.length).toBe(3);
    expect((packed[1]! >>> 3) & 7).toBe(positions[11]);
    const W = NMMatrix.fromDense(DenseMatrix.fromRows([[0, 5, 0, 6, 7, 0, 0, 8]]), { n: 2, m: 4 });
    expect([0, 1, 2, 3].map((k) => W.slotColumn(k))).toEqual([1, 3, 4, 7]);
  });
});

describe('random streams', () => {
  test('deterministic per (seed, stream, counter) and roughly uniform (chi-square, 16 bins, 99.9 % critical value 37.7)', () => {
    expect(randomU32(1, 2, 3)).toBe(randomU32(1, 2, 3));
    expect(randomU32(1, 2, 3)).not.toBe(randomU32(1, 2, 4));
    const rng = new RandomStream(77);
    const bins = new Float64Array(16);
    const n = 32_000;
    for (let i = 0; i < n; i++) bins[Math.floor(rng.next() * 16)]!++;
    const e = n / 16;
    expect(bins.reduce((a, o) => a + ((o - e) * (o - e)) / e, 0)).toBeLessThan(37.7);
  });

  test('binomial sampler matches mean and variance', () => {
    const rng = new RandomStream(5);
    for (const [n, p] of [
      [1000, 0.002],
      [1000, 0.3],
    ] as Array<[number, number]>) {
      const draws = Array.from({ length: 4000 }, () => rng.binomial(n, p));
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(draws.length));
    }
  });
});
