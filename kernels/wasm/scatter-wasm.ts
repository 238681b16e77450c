/**
 * The CPU scatter (kernels/wasm/scatter.wat) on WebAssembly SIMD, for the
 * transpose product of row-stored weights (N:M); undefined where WebAssembly
 * SIMD is missing or batch % 4 != 0 (callers keep their JavaScript loop).
 */
import scatterModule from './scatter.wat';
import { layout, wasmKernel } from './instance.js';

const load = wasmKernel<{
  scatter: (rows: number, outRows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
}>(scatterModule);

/** Y (outRows × batch) = Σ over rows r and entries k of values[k] · X[r] added into row idx[k]. */
export function scatterWasm(
  rows: number,
  outRows: number,
  batch: number,
  ptr: Uint32Array,
  idx: Uint32Array,
  values: Float32Array,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const nnz = ptr[rows]!;
  const [ptrAt, idxAt, valuesAt, xAt, yAt] = layout(wasm.memory, [(rows + 1) * 4, nnz * 4, nnz * 4, x.length * 4, outRows * batch * 4]) as [number, number, number, number, number];
  const buffer = wasm.memory.buffer;
  new Uint32Array(buffer, ptrAt, rows + 1).set(ptr.subarray(0, rows + 1));
  new Uint32Array(buffer, idxAt, nnz).set(idx.subarray(0, nnz));
  new Float32Array(buffer, valuesAt, nnz).set(values.subarray(0, nnz));
  new Float32Array(buffer, xAt, x.length).set(x);
  wasm.exports.scatter(rows, outRows, batch, ptrAt, idxAt, valuesAt, xAt, yAt);
  return new Float32Array(buffer, yAt, outRows * batch).slice();
}
