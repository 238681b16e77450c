import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import { gatherNMProgram } from './programs.js';
import { checkDense, checkRowsMatch, checkSparse } from './checks.js';
import type { Kernel } from '../src/gpu/kernel.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { GATHER_ROWS_PER_WORKGROUP, GATHER_TILE_B, gatherCpu, gatherPlan } from './spmm-csr.js';
import { scatterWasm } from './wasm/scatter-wasm.js';
import { nmColumns } from './wasm/instance.js';

/** Y = W · X for N:M W (rows × cols), X: cols × batch → rows × batch. */
export const spmmNM: Kernel<[W: NMMatrix, X: DenseMatrix], DenseMatrix> = {
  name: 'spmmNM',
  validate(W, X) {
    checkSparse('W', W, NMMatrix, 'NMMatrix');
    checkDense('X', X);
    checkRowsMatch('X', X.rows, W.cols, 'W.cols');
  },
  cpu(W, X) {
    // The CSR gather with implicit row pointers: every row holds slotsPerRow slots.
    return gatherCpu(W.rows, X, W.rowPointers(), nmColumns(W), W.values, undefined);
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

/**
 * dX = Wᵀ · dY for N:M W, dY: rows × batch → cols × batch. On the GPU a gather
 * through W's transpose index, like spmmCsrT (a walk of every row per group
 * of M columns, atomic-free without an index, measured 2.4× slower on
 * SwiftShader and gave a GPU only groups × batch tiles of parallel work).
 */
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
    const slotsPerRow = W.slotsPerRow;
    const simd = scatterWasm(W.rows, W.cols, batch, W.rowPointers(), nmColumns(W), W.values, dy);
    if (simd) return new DenseMatrix(W.cols, batch, simd);
    const columns = W.slotColumns();
    // The SIMD kernel's float32 arithmetic (products rounded, then added in row order).
    const out = new Float32Array(W.cols * batch);
    const batch4 = batch - (batch % 4);
    for (let r = 0; r < W.rows; r++) {
      const yOff = r * batch;
      for (let k = r * slotsPerRow; k < (r + 1) * slotsPerRow; k++) {
        const v = W.values[k]!;
        const xOff = columns[k]! * batch;
        let b = 0;
        for (; b < batch4; b += 4) {
          out[xOff + b]! += Math.fround(v * dy[yOff + b]!);
          out[xOff + b + 1]! += Math.fround(v * dy[yOff + b + 1]!);
          out[xOff + b + 2]! += Math.fround(v * dy[yOff + b + 2]!);
          out[xOff + b + 3]! += Math.fround(v * dy[yOff + b + 3]!);
        }
        for (; b < batch; b++) out[xOff + b]! += Math.fround(v * dy[yOff + b]!);
      }
    }
    return new DenseMatrix(W.cols, batch, out);
  },
  plan(s, W, dY) {
    // The CSR transpose's gather through W's transpose index (cached on W):
    // rows of Wᵀ are W's columns, and each gathers its rows' dY.
    const t = W.transposeIndex();
    return gatherPlan(s, W.cols, dY, t.colPtr, t.rowIdx, W.values, t.order, t.perm);
  },
};

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

/**
 * Whether every row starts on a packed word, so the gather walks a row's
 * slots in one flat loop and loads a word every 32 / log2(M) slots (2:4 when
 * cols % 32 == 0, 2:8 when cols % 40 == 0).
 */
export function nmWordAligned(W: NMShape): boolean {
  const { slotsPerRow, bits } = nmWords(W);
  return slotsPerRow % Math.floor(32 / bits) === 0;
}

/** Records Y (rows × batch) = W · X for GPU-resident N:M weights; no transfers. */
export function encodeSpmmNM(s: OperationScope, W: NMShape, batch: number, weights: NMBuffers, X: GPUBuffer, Y: GPUBuffer): void {
  const { groupsPerRow, slotsPerRow, bits } = nmWords(W);
  const batchTiles = Math.ceil(batch / GATHER_TILE_B);
  s.dispatch({
    pipeline: s.pipeline(gatherNMProgram(W.n, W.m, batch % 4 === 0, nmWordAligned(W))),
    buffers: [s.uniform([W.rows, batch, batchTiles, slotsPerRow, groupsPerRow, W.n, W.m, bits]), X, Y, weights.values, weights.indices],
    workgroups: Math.ceil(W.rows / GATHER_ROWS_PER_WORKGROUP) * batchTiles,
  });
}

/** The pattern words of the N:M SDDMM (see encodeSddmm). */
export function nmPatternWords(W: NMShape): number[] {
  const { groupsPerRow, slotsPerRow, bits } = nmWords(W);
  return [slotsPerRow, groupsPerRow, W.n, W.m, bits];
}
