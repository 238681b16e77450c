/**
 * Counter-based pseudo-random numbers: value = f(seed, stream, counter).
 *
 * Counter-based (not stateful) so the GPU can draw the i-th number of a stream
 * in any thread without coordination, and the CPU backend can draw exactly the
 * same numbers. `shaders/fragments/random.wgsl` is the bit-exact WGSL twin of `randomU32`.
 */

/** A 32-bit integer finaliser (lowbias32, Chris Wellons' hash prospector). */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x;
}

/** The counter-th 32-bit value of stream `stream` under `seed`. */
export function randomU32(seed: number, stream: number, counter: number): number {
  return randomU32Keyed(streamKey(seed, stream), counter);
}

/** The per-(seed, stream) key of randomU32: hoist it out of loops over counters. */
export function streamKey(seed: number, stream: number): number {
  return mix32((seed + Math.imul(stream >>> 0, 0x9e3779b9)) >>> 0);
}

/** randomU32 with its stream key already computed (see streamKey). */
export function randomU32Keyed(key: number, counter: number): number {
  return mix32((mix32((counter ^ key) >>> 0) + key) >>> 0);
}

/** Uniform in [0, 1) with 24 bits of precision (exactly representable in f32). */
export function randomUnit(seed: number, stream: number, counter: number): number {
  return (randomU32(seed, stream, counter) >>> 8) * (1 / 16777216);
}

/** A sequential view of one counter-based stream, for host-side generation. */
export class RandomStream {
  private counter = 0;
  constructor(
    readonly seed: number,
    readonly stream = 0,
  ) {}

  nextU32(): number {
    return randomU32(this.seed, this.stream, this.counter++);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return randomUnit(this.seed, this.stream, this.counter++);
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, by multiply-shift (no modulo).
   * One 32-bit draw while u32 · n is exact in a double (n ≤ 2^21); above that,
   * two draws give a 53-bit fraction so every value of [0, n) stays reachable
   * (a 24-bit fraction would skip all odd values once n > 2^24).
   */
  nextInt(n: number): number {
    if (n <= 0x200000) return Math.floor((this.nextU32() * n) / 4294967296);
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    const unit = (hi * 67108864 + lo) / 9007199254740992; // [0, 1) with 53 bits
    // Rounding of unit · n can reach n when n is close to 2^32.
    return Math.min(n - 1, Math.floor(unit * n));
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal by Box–Muller. */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Binomial(n, p). Exact inversion while the mean is small (the common case
   * for sparse rows); normal approximation with continuity correction above,
   * where its error is far below the sampling noise.
   */
  binomial(n: number, p: number): number {
    if (p <= 0 || n === 0) return 0;
    if (p >= 1) return n;
    const mean = n * p;
    if (mean < 30) {
      // Inversion by sequential search on the CDF.
      const q = 1 - p;
      let prob = Math.pow(q, n);
      if (prob > 0) {
        const u = this.next();
        let cdf = prob;
        let k = 0;
        const ratio = p / q;
        while (u > cdf && k < n) {
          prob *= (ratio * (n - k)) / (k + 1);
          k++;
          cdf += prob;
        }
        return k;
      }
    }
    const sd = Math.sqrt(mean * (1 - p));
    const k = Math.round(mean + sd * this.normal());
    return Math.min(n, Math.max(0, k));
  }
}
