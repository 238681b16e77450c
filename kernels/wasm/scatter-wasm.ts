/**
 * The CPU scatter (kernels/wasm/scatter.wat) on WebAssembly SIMD, for the
 * transpose product of row-stored weights (N:M); undefined where WebAssembly
 * SIMD is missing or batch % 4 != 0 (callers keep their JavaScript loop).
 */
import scatterModule from './scatter.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';

const load = wasmKernel<{
  scatter: (rows: number, outRows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
}>(scatterModule);

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
