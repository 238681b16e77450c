import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import { gatherNMProgram, programs } from './programs.js';
import { checkDense, checkRowsMatch, checkSparse } from './checks.js';
import type { Kernel } from './kernel.js';
import type { OperationScope } from '../src/engine/gpu-context.js';
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
    const byteLength = W.rows * batch * 4;
    // Operands first, so a limit error names the operand at fault before the result.
    const x = s.upload('X', X.data);
    const weights = { values: s.upload('W.values', W.values), indices: s.upload('W.indices', W.indices) };
    const result = s.output('result', byteLength);
    encodeSpmmNM(s, W, batch, weights, x, result);
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
    const byteLength = W.cols * batch * 4;
    const dy = s.upload('dY', dY.data);
    const weights = { values: s.upload('W.values', W.values), indices: s.upload('W.indices', W.indices) };
    const result = s.output('result', byteLength);
    encodeSpmmNMT(s, W, batch, weights, dy, result);
    return { result, byteLength, decode: (bytes) => new DenseMatrix(W.cols, batch, new Float32Array(bytes)) };
  },
};

/** The column of every slot, decoded once per call (O(slots), no division per use). */
function slotColumns(W: NMMatrix): Uint32Array {
  const out = new Uint32Array(W.nnz);
  for (let k = 0; k < W.nnz; k++) out[k] = W.slotColumn(k);
  return out;
}

/** The shape of an N:M operand: what its kernels need besides the buffers. */
export interface NMShape {
  rows: number;
  cols: number;
  n: number;
  m: number;
}

/** N:M weights in GPU buffers: slot values and packed in-group positions. */
export interface NMBuffers {
  values: GPUBuffer;
  indices: GPUBuffer;
}

function nmWords(W: NMShape): { groupsPerRow: number; slotsPerRow: number; bits: number } {
  const groupsPerRow = W.cols / W.m;
  return { groupsPerRow, slotsPerRow: groupsPerRow * W.n, bits: Math.log2(W.m) };
}

/** Records Y (rows × batch) = W · X for GPU-resident N:M weights; no transfers. */
export function encodeSpmmNM(s: OperationScope, W: NMShape, batch: number, weights: NMBuffers, X: GPUBuffer, Y: GPUBuffer): void {
  const { groupsPerRow, slotsPerRow, bits } = nmWords(W);
  const batchTiles = Math.ceil(batch / GATHER_TILE_B);
  s.dispatch({
    pipeline: s.pipeline(gatherNMProgram(W.n, W.m)),
    buffers: [s.uniform([W.rows, batch, batchTiles, slotsPerRow, groupsPerRow, W.n, W.m, bits]), X, Y, weights.values, weights.indices],
    workgroups: Math.ceil(W.rows / GATHER_ROWS_PER_WORKGROUP) * batchTiles,
  });
}

/** Records dX (cols × batch) = Wᵀ · dY for GPU-resident N:M weights; no transfers. */
export function encodeSpmmNMT(s: OperationScope, W: NMShape, batch: number, weights: NMBuffers, dY: GPUBuffer, dX: GPUBuffer): void {
  const { groupsPerRow, bits } = nmWords(W);
  const batchTiles = Math.ceil(batch / TRANSPOSE_TILE_B);
  s.dispatch({
    pipeline: s.pipeline(programs.nmTranspose),
    buffers: [s.uniform([W.rows, batch, batchTiles, groupsPerRow, W.n, W.m, bits, 0]), dY, dX, weights.values, weights.indices],
    workgroups: groupsPerRow * batchTiles,
  });
}

/** The pattern words of the N:M SDDMM (see encodeSddmm). */
export function nmPatternWords(W: NMShape): number[] {
  const { groupsPerRow, slotsPerRow, bits } = nmWords(W);
  return [slotsPerRow, groupsPerRow, W.n, W.m, bits];
}
