/**
 * Inputs and markers shared by the elementwise kernels' tests
 * (activation.test.ts, elementwise.test.ts, softmax-ce.test.ts).
 */
import { RandomStream } from '../../src/index.js';

/** A value that a kernel must never write (past `count`). */
export const SENTINEL = 12345.5;

/** Elements beyond count, to catch a missing bounds guard in the last workgroup. */
export const SLACK = 300;

/** Throws unless every element of `out` past `count` still holds SENTINEL. */
export function expectSentinelTail(out: Float32Array, count: number, label: string): void {
  for (let i = count; i < out.length; i++) {
    if (out[i] !== SENTINEL) throw new Error(`${label}: element ${i} past count ${count} was written (${out[i]})`);
  }
}

/** Uniform values in [lo, hi), with exact zeros and tiny values on both sides of zero up front. */
export function randomValues(count: number, seed: number, lo = -3, hi = 3): Float32Array {
  const r = new RandomStream(seed, 7);
  const z = Float32Array.from({ length: count }, () => r.uniform(lo, hi));
  // Exact zeros (f(0) = 0, f'(0) = alpha) and tiny values on both sides of zero.
  if (count > 3) {
    z[0] = 0;
    z[1] = -1e-20;
    z[2] = 1e-20;
  }
  return z;
}
