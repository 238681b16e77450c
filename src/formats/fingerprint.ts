/**
 * A 32-bit fingerprint of an index array, to notice when a sparse matrix's
 * structure was written to after it was validated. Typed arrays cannot be
 * frozen, and copying the structure on every access would cost more than the
 * products it feeds; re-hashing costs about 1–2 ms per million indices.
 *
 * Two independent lanes over even and odd positions (so the two multiply
 * chains overlap in the CPU); each step is a bijection of the lane's state
 * for a given element, so changing any single element always changes the
 * lane and therefore the result.
 */
export function indexFingerprint(array: Uint32Array): number {
  const n = array.length;
  let h1 = 0x2545f491;
  let h2 = 0x9e3779b9 | 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    h1 = Math.imul(h1 ^ array[i]!, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ array[i + 1]!, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  if (i < n) h1 = Math.imul(h1 ^ array[i]!, 0xcc9e2d51);
  return (Math.imul(h1 ^ (h2 >>> 16), 0x85ebca6b) ^ h2 ^ n) >>> 0;
}
