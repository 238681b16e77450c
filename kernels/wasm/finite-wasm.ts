/**
 * The finiteness scan of every kernel's operands (kernels/checks.ts) on
 * WebAssembly SIMD (kernels/wasm/finite.wat): about 10× the JavaScript loop
 * on large arrays, copy included. At 512 × 512 × 64 and 90 % sparsity the
 * JavaScript checks took ~0.15 ms of a ~0.4 ms CPU product.
 */
import finiteModule from './finite.wat';
import { stage, wasmKernel } from './instance.js';

const load = wasmKernel<{ allFinite: (at: number, count: number) => number }>(finiteModule);

/** Below this many floats the copy into WebAssembly memory costs more than it saves. */
const MIN_LENGTH = 4096;

/**
 * true when every value of `array` is finite, false when one is not;
 * undefined where WebAssembly SIMD is missing or the array is short (callers
 * then scan in JavaScript, which also finds the offending index).
 */
export function allFiniteWasm(array: Float32Array): boolean | undefined {
  if (array.length < MIN_LENGTH) return undefined;
  const wasm = load();
  if (!wasm) return undefined;
  const at = stage(wasm.memory, [array], 0)![0]!;
  return wasm.exports.allFinite(at, array.length) === 1;
}
