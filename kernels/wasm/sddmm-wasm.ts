/**
 * The CPU SDDMM (kernels/wasm/sddmm.wat) on WebAssembly SIMD; undefined where
 * WebAssembly SIMD is missing or batch % 4 != 0 (callers keep their
 * JavaScript loop). Operands are copied into the module's memory per call.
 */
import sddmmModule from './sddmm.wat';
import { layout, wasmKernel } from './instance.js';

const load = wasmKernel<{ sddmm: (nnz: number, batch: number, alpha: number, rowOf: number, colIdx: number, dy: number, x: number, out: number) => void }>(sddmmModule);

/** out[k] = alpha · dY[rowOf[k]] · X[colIdx[k]] (rows of `batch` values). */
export function sddmmWasm(
  nnz: number,
  batch: number,
  alpha: number,
  rowOf: Uint32Array,
  colIdx: Uint32Array,
  dy: Float32Array,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const [rowAt, colAt, dyAt, xAt, outAt] = layout(wasm.memory, [nnz * 4, nnz * 4, dy.length * 4, x.length * 4, nnz * 4]) as [number, number, number, number, number];
  const buffer = wasm.memory.buffer;
  new Uint32Array(buffer, rowAt, nnz).set(rowOf.subarray(0, nnz));
  new Uint32Array(buffer, colAt, nnz).set(colIdx.subarray(0, nnz));
  new Float32Array(buffer, dyAt, dy.length).set(dy);
  new Float32Array(buffer, xAt, x.length).set(x);
  wasm.exports.sddmm(nnz, batch, alpha, rowAt, colAt, dyAt, xAt, outAt);
  return new Float32Array(buffer, outAt, nnz).slice();
}
