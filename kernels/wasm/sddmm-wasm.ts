/**
 * The CPU SDDMM (kernels/wasm/sddmm.wat) on WebAssembly SIMD; undefined where
 * WebAssembly SIMD is missing or batch % 4 != 0 (callers keep their
 * JavaScript loop). Operands are copied into the kernels' shared memory per
 * call. With an engine's threads active (kernels/wasm/pool.ts) a large one
 * is split into ranges of entries, each entry's dot product unchanged.
 */
import sddmmModule, { shared as sddmmShared } from './sddmm.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';
import { partsFor, runParts, THREADED } from './pool.js';

const load = wasmKernel<{ sddmm: (nnz: number, batch: number, alpha: number, rowOf: number, colIdx: number, dy: number, x: number, out: number) => void }>(sddmmModule, sddmmShared);

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
  const [rowAt, colAt, dyAt, xAt, outAt] = at;
  const count = partsFor(nnz * batch);
  const parts: number[][] = [];
  for (let i = 0; i < count; i++) {
    const k0 = Math.floor((nnz * i) / count);
    const k1 = Math.floor((nnz * (i + 1)) / count);
    if (k1 > k0 || count === 1) parts.push([k1 - k0, batch, alpha, rowAt + k0 * 4, colAt + k0 * 4, dyAt, xAt, outAt + k0 * 4]);
  }
  const { sddmm } = wasm.exports;
  runParts(THREADED.sddmm, parts, (...a) => sddmm(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!));
  return readBack(wasm.memory, outAt, nnz);
}
