import { CSRMatrix, DenseMatrix, NMMatrix } from '../src/index.js';

/** A benchmark's weight matrix in one of the three formats. */
export type Weights = { format: 'dense'; W: DenseMatrix } | { format: 'csr'; W: CSRMatrix } | { format: 'nm'; W: NMMatrix };

export function makeWeights(format: 'dense' | 'csr' | 'nm', rows: number, cols: number, opts: { sparsity?: number; n?: number; m?: number; seed: number }): Weights {
  switch (format) {
    case 'dense':
      return { format, W: DenseMatrix.random(rows, cols, { seed: opts.seed }) };
    case 'csr':
      return { format, W: CSRMatrix.random({ rows, cols, density: 1 - (opts.sparsity ?? 0), seed: opts.seed, init: 'uniform' }) };
    case 'nm':
      return { format, W: NMMatrix.random({ rows, cols, n: opts.n ?? 2, m: opts.m ?? 4, seed: opts.seed, init: 'uniform' }) };
  }
}

export function storedCount(w: Weights): number {
  return w.format === 'dense' ? w.W.rows * w.W.cols : w.W.nnz;
}

/** Bytes of the weight structure: values plus whatever indices the format stores. */
export function weightBytes(w: Weights): number {
  switch (w.format) {
    case 'dense':
      return w.W.data.byteLength;
    case 'csr':
      return w.W.values.byteLength + w.W.colIdx.byteLength + w.W.rowPtr.byteLength;
    case 'nm':
      return w.W.values.byteLength + w.W.indices.byteLength;
  }
}

/** Calls fn(k, row, col, value) for every stored weight, in storage order. O(stored). */
export function forEachEntry(w: Weights, fn: (k: number, row: number, col: number, value: number) => void): void {
  if (w.format === 'dense') {
    const { rows, cols, data } = w.W;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) fn(r * cols + c, r, c, data[r * cols + c]!);
  } else if (w.format === 'csr') {
    const { rows, rowPtr, colIdx, values } = w.W;
    for (let r = 0; r < rows; r++) for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) fn(k, r, colIdx[k]!, values[k]!);
  } else {
    const W = w.W;
    const perRow = W.slotsPerRow;
    for (let k = 0; k < W.nnz; k++) fn(k, Math.floor(k / perRow), W.slotColumn(k), W.values[k]!);
  }
}
