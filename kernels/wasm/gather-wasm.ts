/**
 * The CPU gather (kernels/wasm/gather.wat) on WebAssembly SIMD: about 7–10×
 * the plain-JavaScript loop (measured 7–10 GFLOP/s against ~1 on one core).
 * Operands are copied into the module's memory per call (a few hundred KB
 * for typical layers, microseconds next to the product). Where WebAssembly
 * or its SIMD is missing, `gatherWasm` returns undefined and callers keep
 * their JavaScript loop.
 */
import gatherModule from './gather.wat';

interface GatherInstance {
  memory: WebAssembly.Memory;
  gather: (rows: number, batch: number, ptr: number, idx: number, values: number, x: number, y: number) => void;
}

let instance: GatherInstance | null | undefined;

function load(): GatherInstance | null {
  if (instance !== undefined) return instance;
  instance = null;
  try {
    // A module this small may be compiled synchronously, on a browser's main thread too.
    if (typeof WebAssembly === 'object' && WebAssembly.validate(gatherModule)) {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(gatherModule)).exports as unknown as GatherInstance;
      instance = { memory: exports.memory, gather: exports.gather };
    }
  } catch {
    instance = null;
  }
  return instance;
}

/** Whether the SIMD gather runs here (false: the JavaScript loop is used). */
export function wasmGatherAvailable(): boolean {
  return load() !== null;
}

const align16 = (bytes: number) => (bytes + 15) & ~15;

/**
 * out[r] = Σ_k values[perm ? perm[k] : k] · X[idx[k]] for k in ptr[r] … ptr[r+1],
 * X and the result row-major with `batch` columns. Undefined when WebAssembly
 * SIMD is unavailable or batch % 4 != 0.
 */
export function gatherWasm(
  rows: number,
  batch: number,
  ptr: Uint32Array,
  idx: Uint32Array,
  values: Float32Array,
  perm: Uint32Array | undefined,
  x: Float32Array,
): Float32Array | undefined {
  const wasm = load();
  if (!wasm || batch % 4 !== 0 || batch === 0) return undefined;
  const nnz = ptr[rows]!;
  const ptrAt = 0;
  const idxAt = align16(ptrAt + (rows + 1) * 4);
  const valuesAt = align16(idxAt + nnz * 4);
  const xAt = align16(valuesAt + nnz * 4);
  const yAt = align16(xAt + x.length * 4);
  const end = yAt + rows * batch * 4;
  const { memory } = wasm;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const buffer = memory.buffer;
  new Uint32Array(buffer, ptrAt, rows + 1).set(ptr.subarray(0, rows + 1));
  new Uint32Array(buffer, idxAt, nnz).set(idx.subarray(0, nnz));
  const v = new Float32Array(buffer, valuesAt, nnz);
  if (perm) for (let k = 0; k < nnz; k++) v[k] = values[perm[k]!]!;
  else v.set(values.subarray(0, nnz));
  new Float32Array(buffer, xAt, x.length).set(x);
  wasm.gather(rows, batch, ptrAt, idxAt, valuesAt, xAt, yAt);
  return new Float32Array(buffer, yAt, rows * batch).slice();
}
