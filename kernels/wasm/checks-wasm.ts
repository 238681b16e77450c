/**
 * The finiteness scan of every kernel's operands (kernels/checks.ts) on
 * WebAssembly SIMD (kernels/wasm/checks.wat): about 10× the JavaScript loop
 * on large arrays, copy included. At 512 × 512 × 64 and 90 % sparsity the
 * JavaScript checks took ~0.15 ms of a ~0.4 ms CPU product.
 */
import finiteModule from './checks.wat';
import { inStagingSession, stage, wasmKernel } from './instance.js';

const load = wasmKernel<{ allFinite: (at: number, count: number) => number }>(finiteModule);

/** Below this many floats the copy into WebAssembly memory costs more than it saves. */
const MIN_LENGTH = 4096;
/** Floats scanned per copy outside a staging session (1 MiB). */
const CHUNK = 1 << 18;

/**
 * true when every value of `array` is finite, false when one is not;
 * undefined where WebAssembly SIMD is missing or the array is short (callers
 * then scan in JavaScript, which also finds the offending index).
 */
export function allFiniteWasm(array: Float32Array): boolean | undefined {
  if (array.length < MIN_LENGTH) return undefined;
  const wasm = load();
  if (!wasm) return undefined;
  if (inStagingSession()) {
    // A CPU product follows and reads this copy (see stagingSession).
    const at = stage(wasm.memory, [array], 0)?.[0];
    return at === undefined ? undefined : wasm.exports.allFinite(at, array.length) === 1;
  }
  // A check with no CPU product after it (e.g. before a GPU upload): scan a
  // chunk at a time, so the shared memory never grows to hold the operand.
  for (let start = 0; start < array.length; start += CHUNK) {
    const chunk = array.subarray(start, start + CHUNK);
    const at = stage(wasm.memory, [chunk], 0)?.[0];
    if (at === undefined) return undefined;
    if (wasm.exports.allFinite(at, chunk.length) !== 1) return false;
  }
  return true;
}
