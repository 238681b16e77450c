/**
 * The CPU products of kernels/spmm.ts (kernels/wasm/spmm.wat: `gather`, and
 * `scatter` for the transpose of a row-stored matrix) on WebAssembly SIMD: about 7–10×
 * the plain-JavaScript loop (measured 7–10 GFLOP/s against ~1 on one core).
 * Operands are copied into the kernels' shared memory per call (a few hundred KB
 * for typical layers, far less than the product costs in JavaScript). Where
 * WebAssembly or its SIMD is missing, `gatherWasm` returns undefined and
 * callers keep their JavaScript loop. With an engine's threads active
 * (kernels/wasm/pool.ts) a large product is split by output rows.
 */
import spmmModule, { shared as spmmShared } from './spmm.wat';
import { readBack, stage, wasmKernel, type PackedColumns } from './instance.js';
import { partsFor, runParts, splitRows, THREADED } from './pool.js';

const load = wasmKernel<{
  gather: (rows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
  gatherPerm: (rows: number, batch: number, ptr: number, idx: number, values: number, perm: number, x: number, y: number, scratch: number) => void;
  scatter: (rows: number, outRows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number, lo: number, hi: number) => void;
}>(spmmModule, spmmShared);

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
  const columns = idx instanceof Uint32Array ? idx.subarray(0, nnz) : idx;
  const outBytes = Math.ceil((rows * batch * 4) / 16) * 16;
  // With a permutation the kernel reads values[perm[k]] into scratch after the output (in WebAssembly: a
  // Float32Array.from over perm here took longer than the product it fed).
  const inputs = perm ? [ptr.subarray(0, rows + 1), columns, values.subarray(0, nnz), perm.subarray(0, nnz), x] : [ptr.subarray(0, rows + 1), columns, values.subarray(0, nnz), x];
  const at = stage(wasm.memory, inputs, outBytes + (perm ? nnz * 4 : 0));
  if (!at) return undefined;
  const y = at[inputs.length]!;
  const bounds = splitRows(ptr, rows, partsFor(nnz * batch), batch / 4);
  const parts: number[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [r0, r1] = [bounds[i]!, bounds[i + 1]!];
    if (r1 === r0) continue;
    const [p, c, v] = [at[0]! + r0 * 4, at[1]!, at[2]!];
    parts.push(perm ? [r1 - r0, batch, p, c, v, at[3]!, at[4]!, y + r0 * batch * 4, y + outBytes] : [r1 - r0, batch, p, c, v, at[3]!, y + r0 * batch * 4]);
  }
  const { gather, gatherPerm } = wasm.exports;
  if (perm) runParts(THREADED.gatherPerm, parts, (...a) => gatherPerm(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!));
  else runParts(THREADED.gather, parts, (...a) => gather(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!));
  return readBack(wasm.memory, y, rows * batch);
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
  // Each part owns a range of output rows and walks every entry, keeping those landing in its range:
  // no two threads write one row, and a row sums its entries in row order whatever the split.
  const count = partsFor(nnz * batch, 1);
  const parts: number[][] = [];
  for (let i = 0; i < count; i++) {
    const lo = Math.floor((outRows * i) / count);
    const hi = Math.floor((outRows * (i + 1)) / count);
    if (hi > lo || count === 1) parts.push([rows, outRows, batch, ...at, lo, hi]);
  }
  const { scatter } = wasm.exports;
  runParts(THREADED.scatter, parts, (...a) => scatter(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!));
  return readBack(wasm.memory, at[4], outRows * batch);
}
