/**
 * The CPU optimizer step over a layer's nonzeros (kernels/elementwise.ts
 * sgdMomentum) on WebAssembly SIMD (kernels/wasm/sgd.wat): the same bits as
 * the JavaScript loop. One thread: at a million connections the step is a
 * few milliseconds, under what a split pays for (kernels/wasm/pool.ts).
 */
import sgdModule, { shared as sgdShared } from './sgd.wat';
import { stage, wasmKernel } from './instance.js';
import type { SgdOptions } from '../../src/options.js';

const load = wasmKernel<{ sgdMomentum: (w: number, g: number, v: number, count: number, lr: number, momentum: number, decay: number) => void }>(sgdModule, sgdShared);

/** Below this many weights the copies in and out cost about what the vectors save (a layer's biases stay in JavaScript). */
const MIN_COUNT = 1024;

/**
 * weights and velocity updated in place from gradient (all of weights.length);
 * false where WebAssembly SIMD is missing, the layer is small or the memory
 * cannot hold it (the caller's JavaScript loop runs instead).
 */
export function sgdMomentumWasm(weights: Float32Array, gradient: Float32Array, velocity: Float32Array, o: SgdOptions): boolean {
  const count = weights.length;
  if (count < MIN_COUNT) return false;
  const wasm = load();
  if (!wasm) return false;
  const at = stage(wasm.memory, [weights, gradient.subarray(0, count), velocity.subarray(0, count)], 0);
  if (!at) return false;
  const [w, g, v] = [at[0]!, at[1]!, at[2]!];
  wasm.exports.sgdMomentum(w, g, v, count, o.lr, o.momentum, o.weightDecay);
  weights.set(new Float32Array(wasm.memory.buffer, w, count));
  velocity.set(new Float32Array(wasm.memory.buffer, v, count));
  return true;
}
