import { CSRMatrix, DenseMatrix } from '../../src/index.js';

/** A CSR with a power-law row-length profile: row r holds about max/(r+1) nonzeros. */
export function powerLawCsr(rows: number, cols: number, seed: number): CSRMatrix {
  const rowIndices: number[] = [];
  const colIndices: number[] = [];
  const values: number[] = [];
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let r = 0; r < rows; r++) {
    const len = Math.min(cols, Math.max(0, Math.round(cols / (r + 1)) - (r % 3 === 2 ? cols : 0)));
    const taken = new Set<number>();
    while (taken.size < len) taken.add(Math.floor(next() * cols));
    for (const c of taken) {
      rowIndices.push(r);
      colIndices.push(c);
      values.push(next() * 2 - 1);
    }
  }
  return CSRMatrix.fromCOO({ rows, cols, rowIndices, colIndices, values });
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
