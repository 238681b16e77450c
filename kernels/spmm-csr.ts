import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { gatherCsrProgram } from './programs.js';
import { gatherWasm } from './wasm/gather-wasm.js';
import type { NMColumns } from './wasm/instance.js';
import { checkDense, checkRowsMatch, checkSparse } from './checks.js';
import type { GpuPlan, Kernel } from '../src/gpu/kernel.js';

/** Must match ROWS_PER_WG and TILE_B in shaders/spmm_gather.wgsl. */
export const GATHER_ROWS_PER_WORKGROUP = 8;
export const GATHER_TILE_B = 128;

/** Y = W · X (W: CSR rows × cols, X: cols × batch) → rows × batch. */
export const spmmCsr: Kernel<[W: CSRMatrix, X: DenseMatrix], DenseMatrix> = {
  name: 'spmmCsr',
  validate(W, X) {
    checkSparse('W', W, CSRMatrix, 'CSRMatrix');
    checkDense('X', X);
    checkRowsMatch('X', X.rows, W.cols, 'W.cols');
  },
  cpu(W, X) {
    return gatherCpu(W.rows, X, W.rowPtr, W.colIdx, W.values, undefined);
  },
  plan(scope, W, X) {
    return gatherPlan(scope, W.rows, X, W.rowPtr, W.colIdx, W.values, W.rowOrder(), undefined);
  },
};

/** dX = Wᵀ · dY (dY: rows × batch) → cols × batch, a gather through W's transpose index. */
export const spmmCsrT: Kernel<[W: CSRMatrix, dY: DenseMatrix], DenseMatrix> = {
  name: 'spmmCsrT',
  validate(W, dY) {
    checkSparse('W', W, CSRMatrix, 'CSRMatrix');
    checkDense('dY', dY);
    checkRowsMatch('dY', dY.rows, W.rows, 'W.rows');
  },
  cpu(W, dY) {
    const t = W.transposeIndex();
    return gatherCpu(W.cols, dY, t.colPtr, t.rowIdx, W.values, t.perm);
  },
  plan(scope, W, dY) {
    const t = W.transposeIndex();
    return gatherPlan(scope, W.cols, dY, t.colPtr, t.rowIdx, W.values, t.order, t.perm);
  },
};

/** out[r] = Σ_k values[k] · X[idx[k]] over ptr[r] … ptr[r+1]: the CPU gather of CSR, its transpose and N:M. */
export function gatherCpu(
  rows: number,
  X: DenseMatrix,
  ptr: Uint32Array,
  columns: Uint32Array | NMColumns,
  values: Float32Array,
  perm: Uint32Array | undefined,
): DenseMatrix {
  const batch = X.cols;
  const x = X.data;
  const simd = gatherWasm(rows, batch, ptr, columns, values, perm, x);
  if (simd) return new DenseMatrix(rows, batch, simd);
  const idx = columns instanceof Uint32Array ? columns : columns.decoded();
  // Without WebAssembly SIMD (or for batch % 4 != 0): the same float32
  // arithmetic as the SIMD kernel — each product rounded to f32, then added
  // to the f32 row in entry order — so results do not depend on the path
  // (e.g. on the batch size of predict).
  const out = new Float32Array(rows * batch);
  const batch4 = batch - (batch % 4);
  for (let r = 0; r < rows; r++) {
    const o = r * batch;
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) {
      const v = values[perm ? perm[k]! : k]!;
      const xOff = idx[k]! * batch;
      let b = 0;
      for (; b < batch4; b += 4) {
        out[o + b]! += Math.fround(v * x[xOff + b]!);
        out[o + b + 1]! += Math.fround(v * x[xOff + b + 1]!);
        out[o + b + 2]! += Math.fround(v * x[xOff + b + 2]!);
        out[o + b + 3]! += Math.fround(v * x[xOff + b + 3]!);
      }
      for (; b < batch; b++) out[o + b]! += Math.fround(v * x[xOff + b]!);
    }
  }
  return new DenseMatrix(rows, batch, out);
}

/** A CSR (or its transpose index) in GPU buffers, as the gather kernel reads it. */
export interface GatherOperand {
  values: GPUBuffer;
  ptr: GPUBuffer;
  idx: GPUBuffer;
  /** Rows in the order to visit them (longest first, or identity). */
  order: GPUBuffer;
  /** Present for Wᵀ through the transpose index: entry → position in values. */
  perm?: GPUBuffer;
}

/** Records Y (rows × batch) = A · X (· × batch) for a GPU-resident sparse A; no transfers. */
export function encodeGatherCsr(s: OperationScope, rows: number, batch: number, A: GatherOperand, X: GPUBuffer, Y: GPUBuffer): void {
  const pipeline = s.pipeline(gatherCsrProgram(A.perm !== undefined, batch % 4 === 0));
  const batchTiles = Math.ceil(batch / GATHER_TILE_B);
  const buffers = [s.uniform([rows, batch, batchTiles, 0, 0, 0, 0, 0]), X, Y, A.values, A.ptr, A.idx, A.order, ...(A.perm ? [A.perm] : [])];
  s.dispatch({ pipeline, buffers, workgroups: Math.ceil(rows / GATHER_ROWS_PER_WORKGROUP) * batchTiles });
}

/** Uploads a CSR (or a transpose index and the values it permutes) and X, and records the gather. */
export function gatherPlan(
  s: OperationScope,
  rows: number,
  X: DenseMatrix,
  ptr: Uint32Array,
  idx: Uint32Array,
  values: Float32Array,
  order: Uint32Array,
  perm: Uint32Array | undefined,
): GpuPlan<DenseMatrix> {
  const batch = X.cols;
  const usePerm = perm !== undefined;
  const byteLength = rows * batch * 4;
  // Operands first, so a limit error names the operand at fault before the result.
  const x = s.upload(usePerm ? 'dY' : 'X', X.data);
  const A: GatherOperand = {
    values: s.upload('W.values', values),
    ptr: s.upload(usePerm ? 'W (transpose colPtr)' : 'W.rowPtr', ptr),
    idx: s.upload(usePerm ? 'W (transpose rowIdx)' : 'W.colIdx', idx),
    order: s.upload('W (row order)', order),
    ...(perm ? { perm: s.upload('W (transpose perm)', perm) } : {}),
  };
  const result = s.output('result', byteLength);
  encodeGatherCsr(s, rows, batch, A, x, result);
  return { result, byteLength, decode: (bytes) => new DenseMatrix(rows, batch, new Float32Array(bytes)) };
}
