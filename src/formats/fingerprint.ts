/**
 * A 32-bit fingerprint of an index array, to notice when a sparse matrix's
 * structure was written to after it was validated. Typed arrays cannot be
 * frozen, and copying the structure on every access would cost more than the
 * products it feeds, so every product re-hashes instead.
 *
 * Four independent lanes (element i goes to lane i mod 4), each step
 * h ← rotl(imul(h ^ x, K), 15): a bijection of the lane's state for a given
 * element, so changing any single element always changes its lane, and the
 * lanes are combined by bijective steps too — a single changed element is
 * always detected. The four lanes are what one WebAssembly SIMD vector holds:
 * kernels/wasm/checks.wat computes the same value about 4× faster
 * (fingerprintLanes there must stay equal to this loop).
 */
export const FINGERPRINT_SEEDS = [0x2545f491, 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35] as const;
export const FINGERPRINT_MULTIPLIER = 0xcc9e2d51;

/** The fingerprint of `array` (all of it). */
export function indexFingerprint(array: Uint32Array): number {
  const n4 = array.length & ~3;
  let h0 = FINGERPRINT_SEEDS[0] | 0;
  let h1 = FINGERPRINT_SEEDS[1] | 0;
  let h2 = FINGERPRINT_SEEDS[2] | 0;
  let h3 = FINGERPRINT_SEEDS[3] | 0;
  for (let i = 0; i < n4; i += 4) {
    h0 = Math.imul(h0 ^ array[i]!, FINGERPRINT_MULTIPLIER);
    h0 = (h0 << 15) | (h0 >>> 17);
    h1 = Math.imul(h1 ^ array[i + 1]!, FINGERPRINT_MULTIPLIER);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ array[i + 2]!, FINGERPRINT_MULTIPLIER);
    h2 = (h2 << 15) | (h2 >>> 17);
    h3 = Math.imul(h3 ^ array[i + 3]!, FINGERPRINT_MULTIPLIER);
    h3 = (h3 << 15) | (h3 >>> 17);
  }
  return finishFingerprint([h0, h1, h2, h3], array, n4);
}

/**
 * Combines the four lane states (after the first `from` elements, a multiple
 * of 4) and folds in the remaining elements and the length: shared by the
 * JavaScript loop and the SIMD one.
 */
export function finishFingerprint(lanes: ArrayLike<number>, array: Uint32Array, from: number): number {
  let h = lanes[0]! | 0;
  for (let j = 1; j < 4; j++) h = Math.imul(h ^ lanes[j]!, 0x85ebca6b);
  for (let i = from; i < array.length; i++) {
    h = Math.imul(h ^ array[i]!, FINGERPRINT_MULTIPLIER);
    h = (h << 15) | (h >>> 17);
  }
  return (h ^ array.length) >>> 0;
}
