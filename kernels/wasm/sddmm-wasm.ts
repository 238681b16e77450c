/**
 * The CPU SDDMM (kernels/wasm/sddmm.wat) on WebAssembly SIMD; undefined where
 * WebAssembly SIMD is missing or batch % 4 != 0 (callers keep their
 * JavaScript loop). Operands are copied into the kernels' shared memory per call.
 */
import sddmmModule from './sddmm.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';

const load = wasmKernel<{ sddmm: (nnz: number, batch: number, alpha: number, rowOf: number, colIdx: number, dy: number, x: number, out: number) => void }>(sddmmModule);

/** out[k] = alpha · dY[rowOf[k]] · X[colIdx[k]] (rows of `batch` values; colIdx may be N:M positions still packed). */
export function sddmmWasm(
  nnz: number,
  batch: number,
  alpha: number,
  rowOf: Uint32Array,
  colIdx: Uint32Array | PackedColumns,
  dy: Float32Array,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const columns = colIdx instanceof Uint32Array ? colIdx.subarray(0, nnz) : colIdx;
  const at = stage(wasm.memory, [rowOf.subarray(0, nnz), columns, dy, x], nnz * 4) as [number, number, number, number, number] | undefined;
  if (!at) return undefined;
  wasm.exports.sddmm(nnz, batch, alpha, ...at);
  return readBack(wasm.memory, at[4], nnz);
}
