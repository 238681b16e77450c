/**
 * Host-side formats: CSRMatrix, NMMatrix, DenseMatrix and the counter-based
 * random numbers they are drawn from. Every structural claim is checked
 * against an independent loop here, never against the class's own helpers.
 */
import { describe, expect, test } from 'vitest';
import { expectArgError } from './helpers/expect-error.js';
import { CSRMatrix, DenseMatrix, NMMatrix, RandomStream, randomU32, randomUnit, SUPPORTED_M } from '../src/index.js';
import { erdosRenyiDensity } from '../src/formats/csr.js';
import { csrWithEmptyLines, emptyCsr, expectSeededCsr, nmSlotShapes, powerLawCsr } from './helpers/cases.js';

/** Expects `fn` to throw an InvalidArgumentError (or subclass) naming `argument`. */

/** A small deterministic generator independent of src/random.ts (LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A dense matrix with roughly `fill` of its entries nonzero (small integers, exact in f32). */
function sparseDense(rows: number, cols: number, fill: number, seed: number): DenseMatrix {
  const next = lcg(seed);
  const d = new DenseMatrix(rows, cols);
  for (let i = 0; i < d.data.length; i++) if (next() < fill) d.data[i] = Math.floor(next() * 19) - 9 || 10;
  return d;
}

/** Independent check of the CSR invariants, without the constructor's code. */
function checkCsrStructure(A: CSRMatrix): void {
  expect(A.rowPtr.length).toBe(A.rows + 1);
  expect(A.rowPtr[0]).toBe(0);
  expect(A.rowPtr[A.rows]).toBe(A.nnz);
  expect(A.values.length).toBe(A.nnz);
  // Plain loops (not expect per element): this also runs over 10⁶ rows.
  for (let r = 0; r < A.rows; r++) {
    if (A.rowPtr[r + 1]! < A.rowPtr[r]!) throw new Error(`rowPtr decreases at row ${r}`);
    for (let k = A.rowPtr[r]! + 1; k < A.rowPtr[r + 1]!; k++) {
      if (!(A.colIdx[k]! > A.colIdx[k - 1]!)) throw new Error(`row ${r}: columns not strictly increasing at ${k}`);
    }
  }
  for (let k = 0; k < A.nnz; k++) if (A.colIdx[k]! >= A.cols) throw new Error(`column ${A.colIdx[k]} out of range at ${k}`);
}

describe('CSRMatrix constructor', () => {
  const ok = () => ({ rows: 3, cols: 4, rowPtr: Uint32Array.of(0, 2, 2, 3), colIdx: Uint32Array.of(0, 3, 1), values: Float32Array.of(1, 2, 3) });

  test('accepts a valid CSR and reports nnz and density', () => {
    const A = new CSRMatrix(ok());
    expect(A.nnz).toBe(3);
    expect(A.density).toBeCloseTo(3 / 12, 12);
    expect(A.toDense().toArray()).toEqual([
      [1, 0, 0, 2],
      [0, 0, 0, 0],
      [0, 3, 0, 0],
    ]);
    expect(Array.from(A.rowCounts())).toEqual([2, 0, 1]);
  });

  test('rejects each malformed part, naming it', () => {
    expectArgError(() => new CSRMatrix({ ...ok(), rows: -1 }), 'rows');
    expectArgError(() => new CSRMatrix({ ...ok(), rows: 2.5 }), 'rows');
    expectArgError(() => new CSRMatrix({ ...ok(), cols: Number.NaN }), 'cols');
    expectArgError(() => new CSRMatrix({ ...ok(), rowPtr: [0, 2, 2, 3] as unknown as Uint32Array }), 'rowPtr');
    expectArgError(() => new CSRMatrix({ ...ok(), colIdx: Int32Array.of(0, 3, 1) as unknown as Uint32Array }), 'colIdx');
    expectArgError(() => new CSRMatrix({ ...ok(), values: Float64Array.of(1, 2, 3) as unknown as Float32Array }), 'values');
    // Wrong lengths.
    expectArgError(() => new CSRMatrix({ ...ok(), rowPtr: Uint32Array.of(0, 2, 3) }), 'rowPtr');
    expectArgError(() => new CSRMatrix({ ...ok(), colIdx: Uint32Array.of(0, 3) }), 'colIdx');
    expectArgError(() => new CSRMatrix({ ...ok(), values: Float32Array.of(1, 2, 3, 4) }), 'values');
    // rowPtr must start at 0 and never decrease.
    expectArgError(() => new CSRMatrix({ ...ok(), rowPtr: Uint32Array.of(1, 2, 2, 3) }), 'rowPtr');
    expectArgError(() => new CSRMatrix({ ...ok(), rowPtr: Uint32Array.of(0, 2, 1, 3) }), 'rowPtr');
    // Column indices: out of range, unsorted, duplicated.
    expectArgError(() => new CSRMatrix({ ...ok(), colIdx: Uint32Array.of(0, 4, 1) }), 'colIdx');
    expectArgError(() => new CSRMatrix({ ...ok(), colIdx: Uint32Array.of(3, 0, 1) }), 'colIdx');
    expectArgError(() => new CSRMatrix({ ...ok(), colIdx: Uint32Array.of(2, 2, 1) }), 'colIdx');
    // Non-finite values.
    expectArgError(() => new CSRMatrix({ ...ok(), values: Float32Array.of(1, Number.NaN, 3) }), 'values');
    expectArgError(() => new CSRMatrix({ ...ok(), values: Float32Array.of(1, 2, Number.POSITIVE_INFINITY) }), 'values');
    expectArgError(() => new CSRMatrix({ ...ok(), values: Float32Array.of(Number.NEGATIVE_INFINITY, 2, 3) }), 'values');
  });

  test('a non-monotone rowPtr is blamed on rowPtr even when its bad span makes colIdx look unsorted', () => {
    // colIdx = [2, 0, 1] is a valid pattern for rowPtr [0, 1, 1, 3]; with the
    // decreasing rowPtr [0, 3, 1, 3] the fault is rowPtr, not the columns.
    expectArgError(() => new CSRMatrix({ rows: 3, cols: 4, rowPtr: Uint32Array.of(0, 3, 1, 3), colIdx: Uint32Array.of(2, 0, 1), values: Float32Array.of(1, 2, 3) }), 'rowPtr');
  });

  test('empty shapes are valid', () => {
    expect(emptyCsr(0, 0).nnz).toBe(0);
    expect(emptyCsr(5, 0).toDense().data.length).toBe(0);
    expect(emptyCsr(0, 7).density).toBe(0);
    expect(new CSRMatrix({ rows: 2, cols: 3, rowPtr: new Uint32Array(3), colIdx: new Uint32Array(0), values: new Float32Array(0) }).toDense().toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});

describe('CSRMatrix.fromDense / toDense / fromCOO', () => {
  test('fromDense then toDense round-trips exactly and drops zeros only', () => {
    for (const [rows, cols, fill, seed] of [
      [1, 1, 1, 1],
      [7, 13, 0.3, 2],
      [40, 9, 0.05, 3],
      [16, 64, 0.9, 4],
      [5, 5, 0, 5],
    ] as const) {
      const d = sparseDense(rows, cols, fill, seed);
      const A = CSRMatrix.fromDense(d);
      checkCsrStructure(A);
      let nonzeros = 0;
      for (const v of d.data) if (v !== 0) nonzeros++;
      expect(A.nnz).toBe(nonzeros);
      expect(A.toDense().data).toEqual(d.data);
      expect(A.toDense().rows).toBe(rows);
      expect(A.toDense().cols).toBe(cols);
    }
  });

  test('fromCOO accepts triplets in any order and equals fromDense', () => {
    const d = sparseDense(12, 17, 0.25, 9);
    const rowIndices: number[] = [];
    const colIndices: number[] = [];
    const values: number[] = [];
    for (let r = 0; r < d.rows; r++) for (let c = 0; c < d.cols; c++) if (d.get(r, c) !== 0) (rowIndices.push(r), colIndices.push(c), values.push(d.get(r, c)));
    // Shuffle the triplets (Fisher–Yates with an independent generator).
    const next = lcg(77);
    for (let i = rowIndices.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      for (const a of [rowIndices, colIndices, values]) [a[i], a[j]] = [a[j]!, a[i]!];
    }
    // Reverse order too: the input is then certainly not sorted.
    for (const order of ['shuffled', 'reversed']) {
      const ri = order === 'reversed' ? [...rowIndices].reverse() : rowIndices;
      const ci = order === 'reversed' ? [...colIndices].reverse() : colIndices;
      const vi = order === 'reversed' ? [...values].reverse() : values;
      const A = CSRMatrix.fromCOO({ rows: 12, cols: 17, rowIndices: ri, colIndices: ci, values: vi });
      const B = CSRMatrix.fromDense(d);
      checkCsrStructure(A);
      expect(A.rowPtr).toEqual(B.rowPtr);
      expect(A.colIdx).toEqual(B.colIdx);
      expect(A.values).toEqual(B.values);
    }
  });

  test("duplicates are an error by default and with 'error', added with 'sum'", () => {
    const coo = { rows: 3, cols: 3, rowIndices: [2, 0, 2, 1, 2], colIndices: [1, 0, 1, 2, 1], values: [1.5, 4, 2, -1, 0.25] };
    expectArgError(() => CSRMatrix.fromCOO(coo), 'colIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...coo, duplicates: 'error' }), 'colIndices');
    const A = CSRMatrix.fromCOO({ ...coo, duplicates: 'sum' });
    checkCsrStructure(A);
    expect(A.nnz).toBe(3);
    expect(A.toDense().toArray()).toEqual([
      [4, 0, 0],
      [0, 0, -1],
      [0, 3.75, 0],
    ]);
  });

  test('fromCOO rejects out-of-range or non-integer indices and mismatched lengths', () => {
    const base = { rows: 2, cols: 2, rowIndices: [0, 1], colIndices: [1, 0], values: [1, 2] };
    expectArgError(() => CSRMatrix.fromCOO({ ...base, rowIndices: [0, 2] }), 'rowIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, rowIndices: [-1, 0] }), 'rowIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, colIndices: [0.5, 0] }), 'colIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, colIndices: [1, 2] }), 'colIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, colIndices: [1] }), 'colIndices');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, values: [1, 2, 3] }), 'values');
    expectArgError(() => CSRMatrix.fromCOO({ ...base, values: [1, Number.NaN] }), 'values');
  });
});

describe('CSRMatrix.random', () => {
  test('the same seed gives the same matrix; another seed another one', () => {
    const a = expectSeededCsr({ rows: 50, cols: 80, density: 0.1, seed: 42 });
    expect(a.nnz).toBeGreaterThan(0);
  });

  test('rows are sorted and unique, values follow the init', () => {
    for (const [rows, cols, density] of [
      [30, 1000, 0.01],
      [200, 50, 0.5],
      [64, 64, 0.97],
      [3, 5, 1],
    ] as const) {
      const A = CSRMatrix.random({ rows, cols, density, seed: rows + cols, init: 'uniform' });
      checkCsrStructure(A);
      for (const v of A.values) expect(v >= -1 && v < 1).toBe(true);
    }
    // He uniform: |w| < sqrt(6 / fan-in) with fan-in = cols.
    const H = CSRMatrix.random({ rows: 40, cols: 150, density: 0.2, seed: 5 });
    const limit = Math.sqrt(6 / 150);
    let maxAbs = 0;
    for (const v of H.values) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThan(limit);
    expect(maxAbs).toBeGreaterThan(0.9 * limit);
  });

  test('density = 1 gives the full matrix and density = 0 the empty one', () => {
    const full = CSRMatrix.random({ rows: 6, cols: 9, density: 1, seed: 3 });
    expect(full.nnz).toBe(54);
    checkCsrStructure(full);
    expect(CSRMatrix.random({ rows: 6, cols: 9, density: 0, seed: 3 }).nnz).toBe(0);
  });

  test('nnz is close to p·rows·cols (both binomial regimes)', () => {
    // nnz ~ Binomial(rows·cols, p), sd = sqrt(rows·cols·p·(1−p)). We allow 5 sd
    // (a false failure has probability < 1e-6 per case; seeds are fixed anyway).
    for (const [rows, cols, density, seed] of [
      [400, 300, 0.02, 1], // row mean 6: exact inversion
      [300, 2000, 0.1, 2], // row mean 200: normal approximation
      [100, 10_000, 0.5, 3],
      [2000, 10, 0.3, 4],
    ] as const) {
      const A = CSRMatrix.random({ rows, cols, density, seed });
      const n = rows * cols;
      const sd = Math.sqrt(n * density * (1 - density));
      expect(Math.abs(A.nnz - n * density), `${rows}×${cols} p=${density}: nnz ${A.nnz}`).toBeLessThan(5 * sd);
      // Row counts are Binomial(cols, p): their sample variance is within 25%
      // of cols·p·(1−p) (relative standard error sqrt(2/(rows−1)) ≤ 7% here).
      const counts = Array.from(A.rowCounts());
      const mean = counts.reduce((s, c) => s + c, 0) / rows;
      const variance = counts.reduce((s, c) => s + (c - mean) ** 2, 0) / (rows - 1);
      const expected = cols * density * (1 - density);
      expect(variance / expected, `row-count variance ${variance} vs ${expected}`).toBeGreaterThan(0.75);
      expect(variance / expected).toBeLessThan(1.25);
    }
  });

  test('columns are drawn uniformly: every column about equally often', () => {
    // 1000 rows × 20 columns at p = 0.5: each column count ~ Binomial(1000, 0.5),
    // sd ≈ 15.8. Chi-square of the 20 column counts against their mean has
    // 19 degrees of freedom; 50 is beyond its 99.99th percentile (≈ 43.8).
    const A = CSRMatrix.random({ rows: 1000, cols: 20, density: 0.5, seed: 11 });
    const counts = new Array<number>(20).fill(0);
    for (const c of A.colIdx) counts[c]!++;
    const mean = A.nnz / 20;
    const chi = counts.reduce((s, c) => s + (c - mean) ** 2 / mean, 0);
    expect(chi).toBeLessThan(50);
  });

  test('the epsilon formula: p = ε(rows + cols)/(rows·cols), capped at 1', () => {
    expect(erdosRenyiDensity({ rows: 100, cols: 300, epsilon: 20 })).toBeCloseTo((20 * 400) / 30_000, 15);
    expect(erdosRenyiDensity({ rows: 784, cols: 1000, epsilon: 20 })).toBeCloseTo((20 * 1784) / 784_000, 15);
    expect(erdosRenyiDensity({ rows: 10, cols: 10, epsilon: 20 })).toBe(1);
    expect(erdosRenyiDensity({ rows: 10, cols: 10, epsilon: 5 })).toBe(1); // exactly 5·20/100 = 1
    expect(erdosRenyiDensity({ rows: 0, cols: 10, epsilon: 5 })).toBe(0);
    expect(erdosRenyiDensity({ rows: 10, cols: 10, density: 0.3 })).toBe(0.3);
    // Capped: a tiny layer at large epsilon is dense.
    expect(CSRMatrix.random({ rows: 8, cols: 12, epsilon: 20, seed: 1 }).nnz).toBe(96);
    // Uncapped: nnz ≈ p·rows·cols within 5 sd.
    const p = (11 * (500 + 700)) / (500 * 700);
    const A = CSRMatrix.random({ rows: 500, cols: 700, epsilon: 11, seed: 9 });
    const sd = Math.sqrt(500 * 700 * p * (1 - p));
    expect(Math.abs(A.nnz - 500 * 700 * p)).toBeLessThan(5 * sd);
  });

  test('density and epsilon are checked', () => {
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4 }), 'density');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, density: 0.5, epsilon: 1 }), 'density');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, density: 1.5 }), 'density');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, density: Number.NaN }), 'density');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, epsilon: 0 }), 'epsilon');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, epsilon: Number.POSITIVE_INFINITY }), 'epsilon');
    expectArgError(() => CSRMatrix.random({ rows: -4, cols: 4, density: 0.5 }), 'rows');
    expectArgError(() => CSRMatrix.random({ rows: 4, cols: 4, density: 0.5, init: 'zeros' as never }), 'init');
  });

  test('memory is O(nnz): 10⁶ × 10⁶ at ε = 1 builds quickly with ~2 M nonzeros', () => {
    const t0 = performance.now();
    const A = CSRMatrix.random({ rows: 1_000_000, cols: 1_000_000, epsilon: 1, seed: 7 });
    const seconds = (performance.now() - t0) / 1000;
    // p = 2·10⁶/10¹²; nnz ~ Binomial(10¹², 2·10⁻⁶): mean 2·10⁶, sd ≈ 1414; 5 sd.
    expect(Math.abs(A.nnz - 2_000_000)).toBeLessThan(5 * 1414);
    // ~0.5 s here; a dense or per-entry pass (10¹² steps) could never finish in 15 s.
    expect(seconds).toBeLessThan(15);
    const bytes = A.rowPtr.byteLength + A.colIdx.byteLength + A.values.byteLength;
    expect(bytes).toBe(4 * 1_000_001 + 8 * A.nnz);
    checkCsrStructure(A);
    // Columns spread over the whole range: mean column ≈ 5·10⁵ (SE ≈ 204; allow 10 SE).
    let sum = 0;
    for (const c of A.colIdx) sum += c;
    expect(Math.abs(sum / A.nnz - 499_999.5)).toBeLessThan(2040);
  });

  test('very wide rows: columns beyond 2²⁴ and odd columns are reachable', () => {
    // 10 rows × 2²⁵ columns at p = 10⁻⁵: ~3,355 nonzeros; about half must be odd.
    const cols = 2 ** 25;
    const A = CSRMatrix.random({ rows: 10, cols, density: 1e-5, seed: 3 });
    expect(A.nnz).toBeGreaterThan(3000);
    let odd = 0;
    let beyond = 0;
    for (const c of A.colIdx) (odd += c & 1), (beyond += c >= 2 ** 24 ? 1 : 0);
    // Half the columns lie beyond 2²⁴: Binomial(nnz, 1/2) again.
    expect(Math.abs(beyond - A.nnz / 2)).toBeLessThan(6 * Math.sqrt(A.nnz / 4));
    // Binomial(nnz, 1/2): sd ≈ 29; allow 6 sd around nnz/2.
    expect(Math.abs(odd - A.nnz / 2), `${odd} of ${A.nnz} columns are odd`).toBeLessThan(6 * Math.sqrt(A.nnz / 4));
  });
});

describe('CSRMatrix derived indices', () => {
  const cases: Array<[string, CSRMatrix]> = [
    ['power-law rows', powerLawCsr(60, 45, 3)],
    ['empty rows and columns', csrWithEmptyLines(23, 31, 4)],
    ['random', CSRMatrix.random({ rows: 70, cols: 90, density: 0.07, seed: 8 })],
    ['empty', emptyCsr(4, 6)],
    ['full', CSRMatrix.random({ rows: 5, cols: 7, density: 1, seed: 1 })],
  ];

  for (const [name, A] of cases) {
    test(`transposeIndex is consistent with the CSR (${name})`, () => {
      const { colPtr, rowIdx, perm, order } = A.transposeIndex();
      expect(colPtr.length).toBe(A.cols + 1);
      expect(colPtr[0]).toBe(0);
      expect(colPtr[A.cols]).toBe(A.nnz);
      expect(rowIdx.length).toBe(A.nnz);
      expect(perm.length).toBe(A.nnz);
      // Every stored (row, col, value) appears exactly once through the transpose.
      const seen = new Uint8Array(A.nnz);
      const dense = A.toDense();
      const rebuilt = new DenseMatrix(A.rows, A.cols);
      for (let c = 0; c < A.cols; c++) {
        expect(colPtr[c + 1]!).toBeGreaterThanOrEqual(colPtr[c]!);
        for (let j = colPtr[c]!; j < colPtr[c + 1]!; j++) {
          const r = rowIdx[j]!;
          const k = perm[j]!;
          if (j > colPtr[c]!) expect(r).toBeGreaterThan(rowIdx[j - 1]!);
          expect(k).toBeLessThan(A.nnz);
          expect(seen[k]).toBe(0);
          seen[k] = 1;
          expect(A.colIdx[k]).toBe(c);
          expect(k >= A.rowPtr[r]! && k < A.rowPtr[r + 1]!).toBe(true);
          rebuilt.data[r * A.cols + c] = A.values[k]!;
        }
      }
      expect(seen.every((s) => s === 1)).toBe(true);
      expect(rebuilt.data).toEqual(dense.data);
      // Column counts against an independent count from the dense form.
      for (let c = 0; c < A.cols; c++) {
        let count = 0;
        for (let r = 0; r < A.rows; r++) if (dense.get(r, c) !== 0) count++;
        expect(colPtr[c + 1]! - colPtr[c]!).toBe(count);
      }
      // order: a permutation of the columns by decreasing length.
      expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: A.cols }, (_, i) => i));
      const len = (c: number) => colPtr[c + 1]! - colPtr[c]!;
      for (let i = 1; i < order.length; i++) expect(len(order[i - 1]!)).toBeGreaterThanOrEqual(len(order[i]!));
    });

    test(`rowOrder and rowIndices (${name})`, () => {
      const order = A.rowOrder();
      expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: A.rows }, (_, i) => i));
      const len = (r: number) => A.rowPtr[r + 1]! - A.rowPtr[r]!;
      for (let i = 1; i < order.length; i++) expect(len(order[i - 1]!)).toBeGreaterThanOrEqual(len(order[i]!));
      const rowOf = A.rowIndices();
      expect(rowOf.length).toBe(A.nnz);
      let k = 0;
      for (let r = 0; r < A.rows; r++) for (let i = 0; i < len(r); i++) expect(rowOf[k++]).toBe(r);
    });
  }

  test('rowOrder really reorders rows of different lengths', () => {
    const A = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 0]]));
    expect(Array.from(A.rowOrder())).toEqual([1, 3, 0, 2]);
    expect(Array.from(A.transposeIndex().order)).toEqual([0, 1, 2]);
    const B = CSRMatrix.fromDense(DenseMatrix.fromRows([[0, 1, 1], [0, 0, 1], [0, 0, 1]]));
    expect(Array.from(B.transposeIndex().order)).toEqual([2, 1, 0]);
    expect(Array.from(B.rowIndices())).toEqual([0, 0, 1, 2]);
  });
});

/** Independent magnitude pruning: per group, pick the n largest |w|, ties to the lower position. */
function naivePrune(d: DenseMatrix, n: number, m: number): { dense: DenseMatrix; positions: number[] } {
  const out = new DenseMatrix(d.rows, d.cols);
  const positions: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    for (let g = 0; g < d.cols / m; g++) {
      const picked: number[] = [];
      for (let t = 0; t < n; t++) {
        let best = -1;
        for (let i = 0; i < m; i++) {
          if (picked.includes(i)) continue;
          if (best < 0 || Math.abs(d.get(r, g * m + i)) > Math.abs(d.get(r, g * m + best))) best = i;
        }
        picked.push(best);
      }
      picked.sort((a, b) => a - b);
      for (const i of picked) out.data[r * d.cols + g * m + i] = d.get(r, g * m + i);
      positions.push(...picked);
    }
  }
  return { dense: out, positions };
}

/** A dense matrix whose every group of m holds at most n nonzeros (some fewer). */
function nmDense(rows: number, cols: number, n: number, m: number, seed: number): DenseMatrix {
  const next = lcg(seed);
  const d = new DenseMatrix(rows, cols);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / m; g++) {
      const count = Math.floor(next() * (n + 1));
      const pos = new Set<number>();
      while (pos.size < count) pos.add(Math.floor(next() * m));
      for (const p of pos) d.data[r * cols + g * m + p] = Math.floor(next() * 200) / 8 - 12.5 || 1;
    }
  }
  return d;
}

const NM_CASES: Array<[number, number]> = [
  [2, 4],
  [1, 4],
  [2, 8],
  [1, 2],
  [4, 16],
];

describe('NMMatrix', () => {
  test('SUPPORTED_M', () => {
    expect([...SUPPORTED_M]).toEqual([2, 4, 8, 16]);
  });

  for (const [n, m] of NM_CASES) {
    describe(`${n}:${m}`, () => {
      test('fromDense of a valid matrix round-trips exactly', () => {
        const rows = 9;
        const cols = m * 7;
        const d = nmDense(rows, cols, n, m, n * 100 + m);
        const W = NMMatrix.fromDense(d, { n, m });
        expect(W.n).toBe(n);
        expect(W.m).toBe(m);
        expect(W.nnz).toBe(rows * (cols / m) * n);
        expect(W.slotsPerRow).toBe((cols / m) * n);
        expect(W.bitsPerIndex).toBe(Math.log2(m));
        expect(W.toDense().data).toEqual(d.data);
        // Rebuilding from the parts validates and gives the same matrix.
        const again = new NMMatrix({ rows, cols, n, m, values: W.values, indices: W.indices });
        expect(again.toDense().data).toEqual(d.data);
      });

      test('pruneDense keeps the n largest |w| of each group (naive reference, ties included)', () => {
        const rows = 11;
        const cols = m * 6;
        // Small integers so |w| ties are frequent (including zeros and ±v).
        const next = lcg(n * 31 + m);
        const d = new DenseMatrix(rows, cols);
        for (let i = 0; i < d.data.length; i++) d.data[i] = Math.floor(next() * 7) - 3;
        const W = NMMatrix.pruneDense(d, { n, m });
        const ref = naivePrune(d, n, m);
        expect(W.toDense().data).toEqual(ref.dense.data);
        const positions = Array.from({ length: W.nnz }, (_, k) => W.slotPosition(k));
        expect(positions).toEqual(ref.positions);
        // Pruning an already valid matrix changes nothing.
        const valid = nmDense(5, m * 3, n, m, 5);
        expect(NMMatrix.pruneDense(valid, { n, m }).toDense().data).toEqual(valid.data);
      });

      test('random has exactly n distinct sorted positions per group, is seeded and roughly uniform', () => {
        const rows = 200;
        const cols = m * 10;
        const W = NMMatrix.random({ rows, cols, n, m, seed: 4, init: 'uniform' });
        const again = NMMatrix.random({ rows, cols, n, m, seed: 4, init: 'uniform' });
        expect(again.indices).toEqual(W.indices);
        expect(again.values).toEqual(W.values);
        const other = NMMatrix.random({ rows, cols, n, m, seed: 5, init: 'uniform' });
        if (n < m) expect(other.indices).not.toEqual(W.indices);
        expect(other.values).not.toEqual(W.values);
        const hits = new Array<number>(m).fill(0);
        const groups = rows * (cols / m);
        for (let g = 0; g < groups; g++) {
          for (let t = 0; t < n; t++) {
            const p = W.slotPosition(g * n + t);
            expect(p).toBeLessThan(m);
            if (t > 0) expect(p).toBeGreaterThan(W.slotPosition(g * n + t - 1));
            hits[p]!++;
          }
        }
        // Each position is kept with probability n/m; count ~ Binomial(groups, n/m).
        // 6 sd around the mean.
        const q = n / m;
        const sd = Math.sqrt(groups * q * (1 - q));
        for (const h of hits) expect(Math.abs(h - groups * q)).toBeLessThanOrEqual(6 * sd + 1e-9);
        for (const v of W.values) expect(v >= -1 && v < 1).toBe(true);
        // Dense form has at most n nonzeros per group.
        const d = W.toDense();
        for (let i = 0; i < d.data.length; i += m) {
          let nz = 0;
          for (let j = 0; j < m; j++) if (d.data[i + j] !== 0) nz++;
          expect(nz).toBeLessThanOrEqual(n);
        }
      });

      test('slotColumn = group · m + in-group position, matching toDense', () => {
        const rows = 4;
        const cols = m * 5;
        const d = new DenseMatrix(rows, cols);
        // Distinct values so each slot can be located in the dense form.
        const next = lcg(m);
        let v = 1;
        for (let r = 0; r < rows; r++) {
          for (let g = 0; g < cols / m; g++) {
            const pos = new Set<number>();
            while (pos.size < n) pos.add(Math.floor(next() * m));
            for (const p of pos) d.data[r * cols + g * m + p] = v++;
          }
        }
        const W = NMMatrix.fromDense(d, { n, m });
        for (let k = 0; k < W.nnz; k++) {
          const row = Math.floor(k / W.slotsPerRow);
          const group = Math.floor((k % W.slotsPerRow) / n);
          const col = W.slotColumn(k);
          expect(Math.floor(col / m)).toBe(group);
          expect(col % m).toBe(W.slotPosition(k));
          expect(d.get(row, col)).toBe(W.values[k]);
        }
      });
    });
  }

  test('m = 8 packs 3-bit positions, 10 per word, little end first', () => {
    // 1 row × 96 cols at 1:8 → 12 slots → 2 words.
    const positions = [7, 0, 5, 3, 1, 6, 2, 4, 7, 1, 6, 3];
    const d = new DenseMatrix(1, 96);
    positions.forEach((p, g) => (d.data[g * 8 + p] = g + 1));
    const W = NMMatrix.fromDense(d, { n: 1, m: 8 });
    let word0 = 0;
    for (let k = 0; k < 10; k++) word0 += positions[k]! * 2 ** (3 * k);
    const word1 = positions[10]! + positions[11]! * 8;
    expect(Array.from(W.indices)).toEqual([word0, word1]);
    expect(W.indices[0]!).toBeLessThan(2 ** 30); // bits 30–31 unused
    for (let k = 0; k < 12; k++) {
      expect(W.slotPosition(k)).toBe(positions[k]);
      expect(W.slotColumn(k)).toBe(k * 8 + positions[k]!);
    }
    // Hand-packed words are accepted by the constructor and decode the same way.
    const H = new NMMatrix({ rows: 1, cols: 96, n: 1, m: 8, values: Float32Array.from(positions, (_, i) => i + 1), indices: Uint32Array.of(word0, word1) });
    expect(H.toDense().data).toEqual(d.data);
    // 2:8 over 5 groups: 10 slots fill exactly one word, 11–12 slots need two.
    expect(NMMatrix.random({ rows: 1, cols: 40, n: 2, m: 8 }).indices.length).toBe(1);
    expect(NMMatrix.random({ rows: 1, cols: 48, n: 2, m: 8 }).indices.length).toBe(2);
    // m = 16: 4 bits, 8 per word, the top field uses bit 31.
    const P = new NMMatrix({ rows: 1, cols: 128, n: 1, m: 16, values: new Float32Array(8).fill(1), indices: Uint32Array.of(0xf0000000) });
    expect(P.slotPosition(7)).toBe(15);
    expect(P.slotColumn(7)).toBe(7 * 16 + 15);
    expect(NMMatrix.pruneDense(P.toDense(), { n: 1, m: 16 }).indices[0]).toBe(0xf0000000);
  });

  test('constructor and builders reject malformed input, naming it', () => {
    const good = NMMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0, 2, 0, 3, 4, 0]]), { n: 2, m: 4 });
    const parts = () => ({ rows: 1, cols: 8, n: 2, m: 4, values: Float32Array.from(good.values), indices: Uint32Array.from(good.indices) });
    expect(new NMMatrix(parts()).toDense().data).toEqual(good.toDense().data);
    expectArgError(() => new NMMatrix({ ...parts(), cols: 6 }), 'cols');
    expectArgError(() => new NMMatrix({ ...parts(), n: 5 }), 'n');
    expectArgError(() => new NMMatrix({ ...parts(), n: 0 }), 'n');
    expectArgError(() => new NMMatrix({ ...parts(), m: 3 }), 'm');
    expectArgError(() => new NMMatrix({ ...parts(), m: 32 }), 'm');
    expectArgError(() => new NMMatrix({ ...parts(), values: new Float32Array(3) }), 'values');
    expectArgError(() => new NMMatrix({ ...parts(), indices: new Uint32Array(2) }), 'indices');
    expectArgError(() => new NMMatrix({ ...parts(), values: Float32Array.of(1, Number.NaN, 3, 4) }), 'values');
    // Positions must strictly increase within a group: (1, 1) and (3, 0).
    expectArgError(() => new NMMatrix({ ...parts(), indices: Uint32Array.of(1 | (1 << 2)) }), 'indices');
    expectArgError(() => new NMMatrix({ ...parts(), indices: Uint32Array.of(3 | (0 << 2)) }), 'indices');
    const d = DenseMatrix.fromRows([[1, 1, 1, 0]]);
    expectArgError(() => NMMatrix.fromDense(d, { n: 2, m: 4 }), 'dense');
    expectArgError(() => NMMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0]]), { n: 1, m: 4 }), 'dense');
    expectArgError(() => NMMatrix.fromDense(d, { n: 2, m: 3 }), 'm');
    expectArgError(() => NMMatrix.pruneDense(d, { n: 5, m: 4 }), 'n');
    expectArgError(() => NMMatrix.random({ rows: 2, cols: 6, n: 2, m: 4 }), 'cols');
    expectArgError(() => NMMatrix.random({ rows: 2, cols: 64, n: 2, m: 32 }), 'm');
  });
});

describe('NMMatrix.slotColumns', () => {
  // Against the per-slot decoder.
  test.each(nmSlotShapes)('%i:%i on %i × %i matches slotColumn(k) for every slot', (n, m, rows, cols) => {
    const W = NMMatrix.random({ rows, cols, n, m, seed: rows * cols + n });
    const columns = W.slotColumns();
    expect(columns.length).toBe(W.nnz);
    for (let k = 0; k < W.nnz; k++) expect(columns[k]).toBe(W.slotColumn(k));
  });
});

describe('DenseMatrix', () => {
  test('construction, get, toArray, transpose, fromRows', () => {
    const A = DenseMatrix.fromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(A.rows).toBe(2);
    expect(A.cols).toBe(3);
    expect(A.get(1, 0)).toBe(4);
    expect(A.get(0, 2)).toBe(3);
    expect(Array.from(A.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(A.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const T = A.transpose();
    expect(T.rows).toBe(3);
    expect(T.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(DenseMatrix.zeros(2, 2).data).toEqual(new Float32Array(4));
    expect(new DenseMatrix(2, 2, [1, 2, 3, 4]).data).toBeInstanceOf(Float32Array);
    const shared = Float32Array.of(1, 2);
    expect(new DenseMatrix(1, 2, shared).data).toBe(shared);
    expect(DenseMatrix.fromRows([]).rows).toBe(0);
  });

  test('random is seeded and in [lo, hi)', () => {
    const a = DenseMatrix.random(20, 30, { seed: 3, lo: 2, hi: 5 });
    expect(DenseMatrix.random(20, 30, { seed: 3, lo: 2, hi: 5 }).data).toEqual(a.data);
    expect(DenseMatrix.random(20, 30, { seed: 4, lo: 2, hi: 5 }).data).not.toEqual(a.data);
    let min = Infinity;
    let max = -Infinity;
    for (const v of a.data) (min = Math.min(min, v)), (max = Math.max(max, v));
    expect(min).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThan(5);
    expect(max - min).toBeGreaterThan(2.9);
  });

  test('rejects bad shapes and data lengths', () => {
    expectArgError(() => new DenseMatrix(-1, 2), 'rows');
    expectArgError(() => new DenseMatrix(2, 1.5), 'cols');
    expectArgError(() => new DenseMatrix(2, 2, new Float32Array(3)), 'data');
    expectArgError(() => new DenseMatrix(2, 2, [1, 2, 3, 4, 5]), 'data');
    expectArgError(() => DenseMatrix.fromRows([[1, 2], [3]]), 'rows[1]');
  });
});

describe('RandomStream / randomU32', () => {
  test('deterministic: f(seed, stream, counter), and RandomStream walks the counter', () => {
    const s = new RandomStream(123, 7);
    const t = new RandomStream(123, 7);
    for (let i = 0; i < 100; i++) {
      const v = s.nextU32();
      expect(v).toBe(randomU32(123, 7, i));
      expect(t.nextU32()).toBe(v);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
    expect(new RandomStream(123, 7).next()).toBe(randomUnit(123, 7, 0));
    expect(randomUnit(123, 7, 5)).toBe((randomU32(123, 7, 5) >>> 8) / 2 ** 24);
    // Seed, stream and counter all matter.
    expect(randomU32(1, 0, 0)).not.toBe(randomU32(2, 0, 0));
    expect(randomU32(1, 0, 0)).not.toBe(randomU32(1, 1, 0));
    expect(randomU32(1, 0, 0)).not.toBe(randomU32(1, 0, 1));
    // Pinned values: a change of the hash would break the GPU twin (shaders/fragments/random.wgsl).
    // (lowbias32 maps 0 to 0, so seed 0, stream 0, counter 0 draws 0.)
    expect([randomU32(0, 0, 0), randomU32(1, 2, 3), randomU32(0xffffffff, 0xffffffff, 0xffffffff)]).toEqual([0, 3106051243, 1693864417]);
  });

  /** Chi-square statistic of `draws` values bucketed into 16 bins. */
  function chiSquare16(bucket: (i: number) => number, draws: number): number {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < draws; i++) counts[bucket(i)]!++;
    const expected = draws / 16;
    return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  }

  // χ² with 15 degrees of freedom: mean 15, 99.999th percentile ≈ 44.3. A
  // threshold of 45 fails a good generator with probability < 1e-5 (and the
  // seeds are fixed, so the test is deterministic); a bias of 2% in one bin
  // over 160,000 draws already adds ≈ 40.
  const THRESHOLD = 45;
  const DRAWS = 160_000;

  test('top, middle and low 4 bits are uniform over consecutive counters (chi-square, 16 bins)', () => {
    for (const [seed, stream] of [
      [1, 0],
      [42, 3],
      [0xdeadbeef, 0x2a4],
    ] as const) {
      expect(chiSquare16((i) => randomU32(seed, stream, i) >>> 28, DRAWS)).toBeLessThan(THRESHOLD);
      expect(chiSquare16((i) => (randomU32(seed, stream, i) >>> 14) & 15, DRAWS)).toBeLessThan(THRESHOLD);
      expect(chiSquare16((i) => randomU32(seed, stream, i) & 15, DRAWS)).toBeLessThan(THRESHOLD);
    }
    // Across seeds and streams at a fixed counter (how the GPU indexes it).
    expect(chiSquare16((i) => randomU32(i, 9, 0) >>> 28, DRAWS)).toBeLessThan(THRESHOLD);
    expect(chiSquare16((i) => randomU32(5, i, 0) & 15, DRAWS)).toBeLessThan(THRESHOLD);
    // Pairs of successive draws are independent: 4×4 joint bins of 2 bits each.
    expect(chiSquare16((i) => ((randomU32(8, 0, 2 * i) >>> 30) << 2) | (randomU32(8, 0, 2 * i + 1) >>> 30), DRAWS)).toBeLessThan(THRESHOLD);
    // The check can fail: a generator with a visibly biased bin does.
    expect(chiSquare16((i) => (i % 50 === 0 ? 0 : randomU32(1, 0, i) >>> 28), DRAWS)).toBeGreaterThan(THRESHOLD);
  });

  test('next, uniform, nextInt and normal have the right ranges and moments', () => {
    const s = new RandomStream(9, 1);
    let sum = 0;
    let sumSq = 0;
    const N = 50_000;
    for (let i = 0; i < N; i++) {
      const u = s.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    // Mean of U(0,1): SE = 1/sqrt(12 N) ≈ 0.0013; allow 6 SE.
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.008);
    sum = 0;
    for (let i = 0; i < N; i++) {
      const z = s.normal();
      sum += z;
      sumSq += z * z;
    }
    // N(0,1): mean SE ≈ 0.0045, variance SE ≈ 0.0063; allow ~6 SE.
    expect(Math.abs(sum / N)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / N - 1)).toBeLessThan(0.04);
    const hits = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) {
      const k = s.nextInt(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      hits[k]!++;
    }
    for (const h of hits) expect(Math.abs(h - 10_000)).toBeLessThan(600); // sd ≈ 93
    for (let i = 0; i < 1000; i++) {
      const v = s.uniform(-3, 2);
      expect(v >= -3 && v < 2).toBe(true);
    }
  });

  test('nextInt(n) reaches odd values for n beyond 2²⁴ (documented for n ≪ 2³²)', () => {
    const s = new RandomStream(1, 0);
    let odd = 0;
    const N = 4000;
    for (let i = 0; i < N; i++) odd += s.nextInt(2 ** 25) & 1;
    // Binomial(4000, 1/2): sd ≈ 32; allow 6 sd.
    expect(Math.abs(odd - N / 2), `${odd} of ${N} draws were odd`).toBeLessThan(190);
  });

  test('binomial: exact at the ends, mean and variance in both regimes', () => {
    const s = new RandomStream(3, 0);
    expect(s.binomial(10, 0)).toBe(0);
    expect(s.binomial(10, 1)).toBe(10);
    expect(s.binomial(0, 0.5)).toBe(0);
    for (const [n, p] of [
      [100, 0.05],
      [1000, 0.3],
      [1_000_000, 2e-6],
    ] as const) {
      const R = 20_000;
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < R; i++) {
        const k = s.binomial(n, p);
        expect(Number.isInteger(k) && k >= 0 && k <= n).toBe(true);
        sum += k;
        sumSq += k * k;
      }
      const mean = sum / R;
      const variance = sumSq / R - mean * mean;
      const mu = n * p;
      const v = n * p * (1 - p);
      // Mean SE = sqrt(v/R); allow 6 SE. Variance within 10% (its SE ≈ 1%).
      expect(Math.abs(mean - mu)).toBeLessThan(6 * Math.sqrt(v / R));
      expect(Math.abs(variance / v - 1)).toBeLessThan(0.1);
    }
  });
});
