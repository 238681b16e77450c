import { expect } from 'vitest';
import { CSRMatrix, DenseMatrix, NMMatrix, type CSRRandomOptions } from '../../src/index.js';

/** A seeded uniform stream in [0, 1): the LCG of Numerical Recipes, so case matrices are the same on every run and machine. */
export function lcgUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A CSR whose row r holds lengths[r] entries at distinct columns drawn from
 * `next`; the value of entry k (in storage order of the draws) is `value(k)`,
 * by default a draw in [-1, 1) taken after the row's columns. Skewed shapes
 * (long rows, power laws) are written as their row lengths.
 */
export function csrOfRowLengths(lengths: readonly number[], cols: number, next: () => number, value: (k: number) => number = () => next() * 2 - 1): CSRMatrix {
  const rowIndices: number[] = [];
  const colIndices: number[] = [];
  const values: number[] = [];
  lengths.forEach((len, r) => {
    const taken = new Set<number>();
    while (taken.size < len) taken.add(Math.floor(next() * cols));
    for (const c of taken) {
      values.push(value(rowIndices.length));
      rowIndices.push(r);
      colIndices.push(c);
    }
  });
  return CSRMatrix.fromCOO({ rows: lengths.length, cols, rowIndices, colIndices, values });
}

/** A CSR with a power-law row-length profile: row r holds about max/(r+1) nonzeros. */
export function powerLawCsr(rows: number, cols: number, seed: number): CSRMatrix {
  const lengths = Array.from({ length: rows }, (_, r) => Math.min(cols, Math.max(0, Math.round(cols / (r + 1)) - (r % 3 === 2 ? cols : 0))));
  return csrOfRowLengths(lengths, cols, lcgUniform(seed));
}

/** Wᵀ as a CSR (via COO), e.g. to turn skewed rows into skewed columns. */
export function transposedCsr(W: CSRMatrix): CSRMatrix {
  return CSRMatrix.fromCOO({ rows: W.cols, cols: W.rows, rowIndices: Array.from(W.colIdx), colIndices: Array.from(W.rowIndices()), values: Array.from(W.values) });
}

/** A CSR whose listed rows and columns are empty. */
export function csrWithEmptyLines(rows: number, cols: number, seed: number): CSRMatrix {
  const base = CSRMatrix.random({ rows, cols, density: 0.3, seed, init: 'uniform' }).toDense();
  for (let r = 0; r < rows; r += 3) base.data.fill(0, r * cols, (r + 1) * cols);
  for (let c = 1; c < cols; c += 4) for (let r = 0; r < rows; r++) base.data[r * cols + c] = 0;
  return CSRMatrix.fromDense(base);
}

export function emptyCsr(rows: number, cols: number): CSRMatrix {
  return new CSRMatrix({ rows, cols, rowPtr: new Uint32Array(rows + 1), colIdx: new Uint32Array(0), values: new Float32Array(0) });
}

/** Row-wise sum of |w|·|x| — the scale of float rounding in each output. */
export function absProductScale(W: DenseMatrix, X: DenseMatrix, transW = false): Float64Array {
  const rows = transW ? W.cols : W.rows;
  const inner = transW ? W.rows : W.cols;
  const out = new Float64Array(rows * X.cols);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < inner; p++) {
      const w = Math.abs(transW ? W.get(p, i) : W.get(i, p));
      if (w === 0) continue;
      for (let b = 0; b < X.cols; b++) out[i * X.cols + b]! += w * Math.abs(X.get(p, b));
    }
  }
  return out;
}

/** A seeded random or edge-case CSR and the batch to multiply it with (spmm.test.ts, sddmm.test.ts). */
export interface CsrCase {
  name: string;
  W: CSRMatrix;
  batch: number;
}

export const csrCases: CsrCase[] = [
  { name: 'random 37×50 batch 9', W: CSRMatrix.random({ rows: 37, cols: 50, density: 0.2, seed: 1, init: 'uniform' }), batch: 9 },
  { name: 'random 130×70 batch 128', W: CSRMatrix.random({ rows: 130, cols: 70, density: 0.1, seed: 2, init: 'uniform' }), batch: 128 },
  { name: 'random 200×300 batch 67 (not tile multiples)', W: CSRMatrix.random({ rows: 200, cols: 300, density: 0.05, seed: 3, init: 'uniform' }), batch: 67 },
  { name: 'batch 1', W: CSRMatrix.random({ rows: 65, cols: 33, density: 0.3, seed: 4, init: 'uniform' }), batch: 1 },
  { name: '1×1', W: CSRMatrix.random({ rows: 1, cols: 1, density: 1, seed: 5, init: 'uniform' }), batch: 1 },
  { name: 'density 1', W: CSRMatrix.random({ rows: 19, cols: 23, density: 1, seed: 6, init: 'uniform' }), batch: 5 },
  { name: 'nnz 0', W: emptyCsr(17, 29), batch: 4 },
  { name: 'empty rows and columns', W: csrWithEmptyLines(41, 37, 7), batch: 13 },
  { name: 'power-law rows (one row ≫ others)', W: powerLawCsr(97, 300, 8), batch: 70 },
  // Batch a multiple of 4 takes the vec4 loads: a partial tile inside one thread's 16 columns, and across tiles.
  { name: 'batch 20 (vec4 loads, partial tile)', W: CSRMatrix.random({ rows: 45, cols: 61, density: 0.2, seed: 10, init: 'uniform' }), batch: 20 },
  { name: 'power-law rows, batch 136 (vec4, two tiles)', W: powerLawCsr(83, 150, 11), batch: 136 },
  { name: 'long rows (chunking)', W: CSRMatrix.random({ rows: 9, cols: 1000, density: 0.6, seed: 9, init: 'uniform' }), batch: 3 },
];

export interface NMShape {
  n: number;
  m: number;
  rows: number;
  cols: number;
  batch: number;
}

export const nmShapes: NMShape[] = [
  { n: 2, m: 4, rows: 33, cols: 64, batch: 9 },
  { n: 2, m: 4, rows: 130, cols: 260, batch: 128 },
  { n: 1, m: 4, rows: 21, cols: 44, batch: 1 },
  { n: 2, m: 8, rows: 50, cols: 96, batch: 70 },
  { n: 1, m: 2, rows: 7, cols: 6, batch: 3 },
  { n: 4, m: 16, rows: 12, cols: 48, batch: 5 },
  { n: 4, m: 4, rows: 5, cols: 8, batch: 2 },
  { n: 2, m: 4, rows: 1, cols: 4, batch: 1 },
  { n: 2, m: 8, rows: 19, cols: 40, batch: 12 },
  { n: 1, m: 4, rows: 40, cols: 24, batch: 132 },
  // Word-aligned rows (nmWordAligned): the gather's flat loop loads a packed word every 32 / log2(M) slots.
  { n: 2, m: 8, rows: 13, cols: 80, batch: 8 },
  { n: 2, m: 4, rows: 37, cols: 96, batch: 12 },
  { n: 4, m: 16, rows: 9, cols: 64, batch: 8 },
  { n: 1, m: 2, rows: 11, cols: 128, batch: 7 },
];

/**
 * [n, m, rows, cols] for checks of where each N:M slot's column is decoded
 * from: every M, an N that leaves slots spanning packed words, rows that
 * start mid-word, single-group rows and a single row.
 */
export const nmSlotShapes: Array<[n: number, m: number, rows: number, cols: number]> = [
  // One line per M (2, 4, 8, 16: 1 to 4 bits a position).
  [1, 2, 3, 2], [1, 2, 11, 34],
  [2, 4, 5, 12], [1, 4, 7, 4], [2, 4, 7, 36], [1, 4, 5, 64], [2, 4, 1, 4],
  [3, 8, 4, 24], [2, 8, 9, 16], [2, 8, 9, 40],
  [5, 16, 3, 48], [4, 16, 3, 48],
];

/**
 * The N:M matrix of a shape and its test name. Pruning a dense random matrix
 * exercises real magnitude choices; zeroing some groups exercises zero-valued
 * padding slots.
 */
export function nmCase({ n, m, rows, cols, batch }: NMShape): { name: string; W: NMMatrix } {
  const dense = DenseMatrix.random(rows, cols, { seed: rows * 7 + cols });
  for (let i = 0; i < dense.data.length; i += 11 * m) dense.data.fill(0, i, i + m);
  return { name: `${n}:${m} ${rows}×${cols} batch ${batch}`, W: NMMatrix.pruneDense(dense, { n, m }) };
}

/** CSRMatrix.random with `options` is seeded: the same seed gives the same matrix, seed + 1 another structure. Returns the matrix. */
export function expectSeededCsr(options: CSRRandomOptions & { seed: number }): CSRMatrix {
  const a = CSRMatrix.random(options);
  const b = CSRMatrix.random(options);
  const c = CSRMatrix.random({ ...options, seed: options.seed + 1 });
  expect(b.rowPtr).toEqual(a.rowPtr);
  expect(b.colIdx).toEqual(a.colIdx);
  expect(b.values).toEqual(a.values);
  const same = c.nnz === a.nnz && c.colIdx.every((v, i) => v === a.colIdx[i]);
  expect(same).toBe(false);
  return a;
}
