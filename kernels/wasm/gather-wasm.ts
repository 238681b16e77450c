/**
 * The CPU gather (kernels/wasm/gather.wat) on WebAssembly SIMD: about 7–10×
 * the plain-JavaScript loop (measured 7–10 GFLOP/s against ~1 on one core).
 * Operands are copied into the kernels' shared memory per call (a few hundred KB
 * for typical layers, far less than the product costs in JavaScript). Where
 * WebAssembly or its SIMD is missing, `gatherWasm` returns undefined and
 * callers keep their JavaScript loop.
 */
import gatherModule from './gather.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';

const load = wasmKernel<{ gather: (rows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void }>(gatherModule);

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
