/**
 * The operand checks of every kernel (kernels/checks.ts) on WebAssembly SIMD
 * (kernels/wasm/checks.wat): the finiteness scan, about 10× the JavaScript
 * loop on large arrays, copy included (at 512 × 512 × 64 and 90 % sparsity
 * the JavaScript checks took ~0.15 ms of a ~0.4 ms CPU product), and the
 * structure fingerprint of sparse operands.
 */
import checksModule, { shared as checksShared } from './checks.wat';
import { FINGERPRINT_SEEDS, finishFingerprint, indexFingerprint } from '../../src/formats/fingerprint.js';
import { inStagingSession, stage, wasmKernel } from './instance.js';

const load = wasmKernel<{
  allFinite: (at: number, count: number) => number;
  fingerprintLanes: (at: number, count: number, state: number) => void;
}>(checksModule, checksShared);

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

/**
 * indexFingerprint (src/formats/fingerprint.ts), the same value, with the
 * four lanes advanced by one SIMD vector per step. In a staging session the
 * copy is the one the product then reads (rowPtr, colIdx); outside one the
 * array is hashed a chunk at a time. JavaScript for short arrays or where
 * WebAssembly SIMD is missing.
 */
export function indexFingerprintWasm(array: Uint32Array): number {
  const wasm = array.length < MIN_LENGTH ? null : load();
  if (!wasm) return indexFingerprint(array);
  const n4 = array.length & ~3;
  const chunk = inStagingSession() ? n4 : CHUNK;
  let lanes: Uint32Array | undefined;
  for (let start = 0; start < n4; start += chunk) {
    const part = array.subarray(start, Math.min(n4, start + chunk));
    // The staged copy of the whole array (in a session) is what the product reads: same view, reused.
    const staged = stage(wasm.memory, [start === 0 && part.length === n4 && inStagingSession() ? array : part], 16);
    if (!staged) return indexFingerprint(array);
    const [at, state] = staged as [number, number];
    new Uint32Array(wasm.memory.buffer, state, 4).set(lanes ?? FINGERPRINT_SEEDS);
    wasm.exports.fingerprintLanes(at, part.length, state);
    lanes = new Uint32Array(wasm.memory.buffer, state, 4).slice();
  }
  return finishFingerprint(lanes ?? FINGERPRINT_SEEDS, array, n4);
}
