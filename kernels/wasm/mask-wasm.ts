/**
 * The dropout mask of the CPU training step (kernels/activation.ts) on
 * WebAssembly SIMD (kernels/wasm/mask.wat), split over the engine's threads
 * by ranges of elements: the same draws as the JavaScript loop, bit for bit.
 * The leaky ReLU's forward and derivative take the mask in the same pass
 * (one read of the activations instead of a mask array written and read).
 */
import maskModule, { shared as maskShared } from './mask.wat';
import { stage, wasmKernel } from './instance.js';
import { partsFor, runParts, THREADED } from './pool.js';

type ElementwiseExport = (z: number, out: number, start: number, count: number, key: number, threshold: number, scale: number, alpha: number) => void;

const load = wasmKernel<{
  fillMask: (out: number, start: number, count: number, key: number, threshold: number, scale: number) => void;
  activateLeaky: ElementwiseExport;
  deriveLeaky: ElementwiseExport;
}>(maskModule, maskShared);

/** Below this many elements the copy out of WebAssembly memory costs about what the draws save. */
const MIN_COUNT = 1024;

/** A batch's mask: its stream key, the JavaScript threshold (fround(rate) · 2^24) and the kept elements' scale. */
export interface MaskDraws {
  key: number;
  threshold: number;
  scale: number;
}

/**
 * Ranges of `count` elements, starting on multiples of 4 (the kernels store
 * whole vectors), one per part. An element weighs one multiply-add: the
 * staging copies in and out stay on the calling thread, so at the reference
 * MLP's 128 K activations a split measured slower than one thread (0.70 s
 * against 0.40 s an epoch); a million-neuron layer's 16 M still split.
 */
function elementRanges(count: number): Array<[start: number, length: number]> {
  const parts = partsFor(count);
  const step = Math.ceil(count / parts / 4) * 4;
  const ranges: Array<[number, number]> = [];
  for (let s = 0; s < count; s += step) ranges.push([s, Math.min(step, count - s)]);
  return ranges;
}

/** (u >>> 8) ≥ threshold for an integer u >>> 8 ⇔ (u >>> 8) ≥ ceil(threshold). */
const wholeThreshold = (threshold: number) => Math.min(Math.ceil(threshold), 0x1000000);

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
  const { fillMask } = wasm.exports;
  const list = elementRanges(count).map(([s, n]) => [at + s * 4, s, n, key | 0, wholeThreshold(threshold), scale]);
  runParts(THREADED.fillMask, list, (...a) => fillMask(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!));
  out.set(new Float32Array(wasm.memory.buffer, at, count));
  return true;
}

/**
 * out[i] ← f(Z[i]) · m[i] ('activateLeaky') or out[i] · f'(Z[i]) · m[i]
 * ('deriveLeaky', in place) for the leaky ReLU of slope `alpha`, m the mask
 * of `draws` (all ones without them). False where WebAssembly SIMD is missing,
 * the arrays are small or the memory cannot hold them.
 */
export function leakyWasm(kind: 'activateLeaky' | 'deriveLeaky', Z: Float32Array, out: Float32Array, alpha: number, draws: MaskDraws | undefined): boolean {
  const count = Z.length;
  if (count < MIN_COUNT) return false;
  const wasm = load();
  if (!wasm) return false;
  const vectorBytes = Math.ceil(count / 4) * 16;
  const inputs = kind === 'deriveLeaky' ? [Z, out] : [Z];
  const at = stage(wasm.memory, inputs, kind === 'deriveLeaky' ? 0 : vectorBytes);
  if (at === undefined) return false;
  const [z, o] = [at[0]!, at[1]!];
  // Staged arrays are padded to 16 bytes but not zeroed past count: the tail lanes compute garbage nobody reads.
  const key = draws ? draws.key | 0 : 0;
  const threshold = draws ? wholeThreshold(draws.threshold) : 0;
  const scale = draws ? draws.scale : 1;
  const fn = wasm.exports[kind];
  const list = elementRanges(count).map(([s, n]) => [z + s * 4, o + s * 4, s, n, key, threshold, scale, alpha]);
  runParts(THREADED[kind], list, (...a) => fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!));
  out.set(new Float32Array(wasm.memory.buffer, o, count));
  return true;
}
