/**
 * The CPU products of kernels/spmm.ts (kernels/wasm/spmm.wat: `gather`, and
 * `scatter` for the transpose of a row-stored matrix) on WebAssembly SIMD: about 7–10×
 * the plain-JavaScript loop (measured 7–10 GFLOP/s against ~1 on one core).
 * Operands are copied into the kernels' shared memory per call (a few hundred KB
 * for typical layers, far less than the product costs in JavaScript). Where
 * WebAssembly or its SIMD is missing, `gatherWasm` returns undefined and
 * callers keep their JavaScript loop.
 */
import spmmModule from './spmm.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';

const load = wasmKernel<{
  gather: (rows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
  scatter: (rows: number, outRows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
}>(spmmModule);

/** Whether the SIMD kernels run here (false: the JavaScript loops are used). */
export function wasmGatherAvailable(): boolean {
  return load() !== null;
}

/**
 * out[r] = Σ_k values[perm ? perm[k] : k] · X[idx[k]] for k in ptr[r] … ptr[r+1]
 * (idx a column per entry, or N:M positions still packed),
 * X and the result row-major with `batch` columns. Undefined when WebAssembly
 * SIMD is unavailable or batch % 4 != 0.
 */
export function gatherWasm(
  rows: number,
  batch: number,
  ptr: Uint32Array,
  idx: Uint32Array | PackedColumns,
  values: Float32Array,
  perm: Uint32Array | undefined,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const nnz = ptr[rows]!;
  const ordered = perm ? Float32Array.from(perm.subarray(0, nnz), (p) => values[p]!) : values.subarray(0, nnz);
  const columns = idx instanceof Uint32Array ? idx.subarray(0, nnz) : idx;
  const at = stage(wasm.memory, [ptr.subarray(0, rows + 1), columns, ordered, x], rows * batch * 4) as [number, number, number, number, number] | undefined;
  if (!at) return undefined;
  wasm.exports.gather(rows, batch, ...at);
  return readBack(wasm.memory, at[4], rows * batch);
}

/** Y (outRows × batch) = Σ over rows r and entries k of values[k] · X[r] added into row idx[k] (idx a row per entry, or N:M positions still packed). */
export function scatterWasm(
  rows: number,
  outRows: number,
  batch: number,
  ptr: Uint32Array,
  idx: Uint32Array | PackedColumns,
  values: Float32Array,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const nnz = ptr[rows]!;
  const columns = idx instanceof Uint32Array ? idx.subarray(0, nnz) : idx;
  const at = stage(wasm.memory, [ptr.subarray(0, rows + 1), columns, values.subarray(0, nnz), x], outRows * batch * 4) as [number, number, number, number, number] | undefined;
  if (!at) return undefined;
  wasm.exports.scatter(rows, outRows, batch, ...at);
  return readBack(wasm.memory, at[4], outRows * batch);
}
