/**
 * The dropout mask of the CPU training step (kernels/activation.ts) on
 * WebAssembly SIMD (kernels/wasm/mask.wat), split over the engine's threads
 * by ranges of elements: the same draws as the JavaScript loop, bit for bit.
 */
import maskModule, { shared as maskShared } from './mask.wat';
import { stage, wasmKernel } from './instance.js';
import { partsFor, runParts, THREADED } from './pool.js';

const load = wasmKernel<{ fillMask: (out: number, start: number, count: number, key: number, threshold: number, scale: number) => void }>(maskModule, maskShared);

/** Below this many elements the copy out of WebAssembly memory costs about what the draws save. */
const MIN_COUNT = 1024;

/**
 * out[i] = scale where element i is kept ((randomU32Keyed(key, i) >>> 8) ≥
 * threshold), else 0, for i < count. False where WebAssembly SIMD is missing
 * or count is small (the caller's JavaScript loop runs instead).
 */
export function fillMaskWasm(out: Float32Array, count: number, key: number, threshold: number, scale: number): boolean {
  if (count < MIN_COUNT) return false;
  const wasm = load();
  if (!wasm) return false;
  const at = stage(wasm.memory, [], Math.ceil(count / 4) * 16)?.[0];
  if (at === undefined) return false;
  // (u >>> 8) ≥ threshold for an integer u >>> 8 ⇔ (u >>> 8) ≥ ceil(threshold).
  const whole = Math.min(Math.ceil(threshold), 0x1000000);
  const parts = partsFor(count * 8);
  const list: number[][] = [];
  // Parts start on multiples of 4 elements (16 bytes), as the kernel stores whole vectors.
  const step = Math.ceil(count / parts / 4) * 4;
  for (let s = 0; s < count; s += step) list.push([at + s * 4, s, Math.min(step, count - s), key | 0, whole, scale]);
  const { fillMask } = wasm.exports;
  runParts(THREADED.fillMask, list, (...a) => fillMask(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!));
  out.set(new Float32Array(wasm.memory.buffer, at, count));
  return true;
}
