import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import { gatherNMProgram, programs } from './programs.js';
import { checkDense, checkRowsMatch, checkSparse } from './checks.js';
import type { Kernel } from './kernel.js';
import { GATHER_ROWS_PER_WORKGROUP, GATHER_TILE_B } from './spmm-csr.js';

const TRANSPOSE_TILE_B = 64;

/** Y = W · X for N:M W (rows × cols), X: cols × batch → rows × batch. */
export const spmmNM: Kernel<[W: NMMatrix, X: DenseMatrix], DenseMatrix> = {
  name: 'spmmNM',
  validate(W, X) {
    checkSparse('W', W, NMMatrix, 'NMMatrix');
    checkDense('X', X);
    checkRowsMatch('X', X.rows, W.cols, 'W.cols');
  },
  cpu(W, X) {
    const batch = X.cols;
    const x = X.data;
    const out = new Float32Array(W.rows * batch);
    const acc = new Float64Array(batch);
    const columns = slotColumns(W);
    const slotsPerRow = W.slotsPerRow;
    for (let r = 0; r < W.rows; r++) {
      acc.fill(0);
      for (let k = r * slotsPerRow; k < (r + 1) * slotsPerRow; k++) {
        const v = W.values[k]!;
        if (v === 0) continue;
        const xOff = columns[k]! * batch;
        for (let b = 0; b < batch; b++) acc[b]! += v * x[xOff + b]!;
      }
      out.set(acc, r * batch);
    }
    return new DenseMatrix(W.rows, batch, out);
  },
  plan(s, W, X) {
    const batch = X.cols;
    const pipeline = s.pipeline(gatherNMProgram(W.n, W.m));
    const batchTiles = Math.ceil(batch / GATHER_TILE_B);
    const byteLength = W.rows * batch * 4;
    // Operands first, so a limit error names the operand at fault before the result.
    const x = s.upload('X', X.data);
    const weights = [s.upload('W.values', W.values), s.upload('W.indices', W.indices)];
    const result = s.output('result', byteLength);
    const buffers = [s.uniform([W.rows, batch, batchTiles, W.slotsPerRow, W.groupsPerRow, W.n, W.m, W.bitsPerIndex]), x, result, ...weights];
    s.dispatch({ pipeline, buffers, workgroups: Math.ceil(W.rows / GATHER_ROWS_PER_WORKGROUP) * batchTiles });
    return { result, byteLength, decode: (bytes) => new DenseMatrix(W.rows, batch, new Float32Array(bytes)) };
  },
};

/** dX = Wᵀ · dY for N:M W, dY: rows × batch → cols × batch. */
export const spmmNMT: Kernel<[W: NMMatrix, dY: DenseMatrix], DenseMatrix> = {
  name: 'spmmNMT',
  validate(W, dY) {
    checkSparse('W', W, NMMatrix, 'NMMatrix');
    checkDense('dY', dY);
    checkRowsMatch('dY', dY.rows, W.rows, 'W.rows');
  },
  cpu(W, dY) {
    const batch = dY.cols;
    const dy = dY.data;
    const out = new Float32Array(W.cols * batch);
    const slotsPerRow = W.slotsPerRow;
    const columns = slotColumns(W);
    for (let r = 0; r < W.rows; r++) {
      const yOff = r * batch;
      for (let k = r * slotsPerRow; k < (r + 1) * slotsPerRow; k++) {
        const v = W.values[k]!;
        if (v === 0) continue;
        const xOff = columns[k]! * batch;
        for (let b = 0; b < batch; b++) out[xOff + b]! += v * dy[yOff + b]!;
      }
    }
    return new DenseMatrix(W.cols, batch, out);
  },
  plan(s, W, dY) {
    const batch = dY.cols;
    const pipeline = s.pipeline(programs.nmTranspose);
    const batchTiles = Math.ceil(batch / TRANSPOSE_TILE_B);
    const byteLength = W.cols * batch * 4;
    const dy = s.upload('dY', dY.data);
    const weights = [s.upload('W.values', W.values), s.upload('W.indices', W.indices)];
    const result = s.output('result', byteLength);
    const buffers = [s.uniform([W.rows, batch, batchTiles, W.groupsPerRow, W.n, W.m, W.bitsPerIndex, 0]), dy, result, ...weights];
    s.dispatch({ pipeline, buffers, workgroups: W.groupsPerRow * batchTiles });
    return { result, byteLength, decode: (bytes) => new DenseMatrix(W.cols, batch, new Float32Array(bytes)) };
  },
};

/** The column of every slot, decoded once per call (O(slots), no division per use). */
function slotColumns(W: NMMatrix): Uint32Array {
  const out = new Uint32Array(W.nnz);
  for (let k = 0; k < W.nnz; k++) out[k] = W.slotColumn(k);
  return out;
}
