import type { Kernel } from '../../src/gpu/kernel.js';
import { assertProbability } from '../../src/formats/validate.js';
import { selectRank } from '../primitives/select.js';
import { programs } from '../programs.js';

const { THREADS } = programs.setAbsMin.layout.consts;
/** As in radix select: many values per thread, one global atomic per workgroup. */
const STATS_VALUES_PER_THREAD = 64;
const STATS_MAX_WORKGROUPS = 1024;

/**
 * The reference's ranks of largestNegative and smallestPositive in the sorted
 * weights, from its two positions of the value closest to zero, in float64
 * as the reference computes them. The GPU reproduces them exactly in
 * integers (setRanks), so both backends pick the same thresholds.
 */
export function setThresholdRanks(n: number, firstZeroPos: number, lastZeroPos: number, zeta: number): { negative: number; positive: number } {
  return {
    negative: Math.floor((1 - zeta) * firstZeroPos),
    positive: Math.floor(Math.min(n - 1, lastZeroPos + zeta * (n - lastZeroPos))),
  };
}

/**
 * A double in [0, 1] as (hi · 2³² + lo) / 2^frac exactly: its 53-bit
 * significand over a power of two (how thresholdRanks takes 1 − ζ and ζ).
 * Below 2⁻⁶⁴ it is 0: ζ · (n − last) < 2⁻³² then, and last plus that floors
 * to last either way.
 */
export function doubleAsFixed(x: number): { hi: number; lo: number; frac: number } {
  if (!(x >= 2 ** -64)) return { hi: 0, lo: 0, frac: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  return { hi: (high & 0xfffff) | 0x100000, lo: view.getUint32(4), frac: 1075 - (high >>> 20) };
}

export function checkZeta(zeta: number): void {
  assertProbability('zeta', zeta);
}

/**
 * SET's survivors on the CPU, exactly as the reference chooses them: in the
 * sorted weights, the value closest to zero is found from both ends, the two
 * thresholds are read at the ranks above, and w > smallestPositive or
 * w < largestNegative survive. The ranks come from counters (as on the GPU:
 * with a = min |w|, the first such position is #{w < −a} and the last is
 * n − 1 − #{w > a}), and the two values by selection, not a full sort.
 * Returns 0/1 flags aligned with `values`.
 *
 * What this rule means at the edges (the reference's, kept on purpose):
 * - a weight equal to a threshold is removed, so ties at the threshold all
 *   go (six equal weights with ζ = 0.3: all six);
 * - stored zeros (+0 and −0) are never kept (neither > smallestPositive ≥ 0
 *   nor < largestNegative ≤ 0): the reference's scipy matrices hold none;
 * - ζ = 0 removes nothing. This is our one deliberate difference: the
 *   reference's thresholds would still remove the weight(s) closest to zero.
 */
export function setKeepFlagsCpu(values: Float32Array, zeta: number): Uint32Array {
  checkZeta(zeta);
  const n = values.length;
  if (zeta === 0) return new Uint32Array(n).fill(1);
  if (n === 0) return new Uint32Array(0);
  const [, below, above] = setStats.cpu(values);
  return setKeepFlags.cpu(values, setThresholdRanks(n, below!, n - above!, zeta));
}

/**
 * The values at ranks r0 ≤ r1 of the ascending order (−0 before +0, as a
 * sort orders them): a radix select over order-preserving u32 keys, an 8-bit
 * digit per pass, each pass keeping only the keys that still share the
 * selected prefix (the CPU twin of shaders/primitives/select.wgsl).
 */
export function selectRanksCpu(values: Float32Array, r0: number, r1: number): [number, number] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const keys = new Uint32Array(values.length);
  for (let i = 0; i < keys.length; i++) {
    const b = bits[i]!;
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  return [keyToValue(selectKey(keys, r0)), keyToValue(selectKey(keys, r1))];
}

function selectKey(all: Uint32Array, rank: number): number {
  let keys = all;
  const counts = new Uint32Array(256);
  for (let shift = 24; ; shift -= 8) {
    counts.fill(0);
    for (let i = 0; i < keys.length; i++) counts[(keys[i]! >>> shift) & 255]!++;
    let digit = 0;
    while (rank >= counts[digit]!) rank -= counts[digit++]!;
    if (shift === 0) return keys.find((k) => (k & 255) === digit)!;
    // Keep the keys of the chosen digit (they hold the rank); the rest are done with.
    const kept = new Uint32Array(counts[digit]!);
    let at = 0;
    for (let i = 0; i < keys.length; i++) if (((keys[i]! >>> shift) & 255) === digit) kept[at++] = keys[i]!;
    keys = kept;
  }
}

function keyToValue(key: number): number {
  const bits = key & 0x80000000 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  return new Float32Array(Uint32Array.of(bits).buffer)[0]!;
}

/**
 * SET's counters of `count` weights: min |w| (as f32 bits, +Infinity when
 * there are none) and the counts below −a and above a, as the words
 * [a, #{w < −a}, #{w > a}, 0]. On the GPU in a 16-byte stats buffer, which
 * setRanks turns into the selects' ranks there.
 */
export const setStats: Kernel<[values: Float32Array], Uint32Array, [values: GPUBuffer, count: number], GPUBuffer> = {
  name: 'setStats',
  cpu(values) {
    const n = values.length;
    let a = Infinity;
    for (let i = 0; i < n; i++) a = Math.min(a, Math.abs(values[i]!));
    let below = 0;
    let above = 0;
    for (let i = 0; i < n; i++) {
      if (values[i]! < -a) below++;
      else if (values[i]! > a) above++;
    }
    return Uint32Array.of(new Uint32Array(Float32Array.of(a).buffer)[0]!, below, above, 0);
  },
  encode(s, values, count) {
    const stats = s.output('SET stats', 16);
    s.writeWords(stats, new Uint32Array([0x7f800000, 0, 0, 0])); // +Infinity, the identity of min
    const uniforms = s.uniforms(programs.setAbsMin, { count });
    // A bounded grid that strides over the rest (see shaders/set/prune.wgsl).
    const workgroups = Math.max(1, Math.min(STATS_MAX_WORKGROUPS, Math.ceil(count / (THREADS * STATS_VALUES_PER_THREAD))));
    s.dispatch(programs.setAbsMin, { bindings: { values, stats }, uniforms, workgroups });
    s.dispatch(programs.setCountOutside, { bindings: { values, stats }, uniforms, workgroups });
    return stats;
  },
};

/**
 * setThresholdRanks from setStats' counters, for `records` stats records
 * of n weights each (4 words each: setStats' layout), as fresh radix select
 * states (8 words each: selectRank's layout, the negative rank in word 2 and
 * the positive one in word 6). On the GPU an exact integer emulation of the
 * float64 rule (shaders/set/prune.wgsl), so that no counter crosses to the
 * host between the statistics and the selects.
 */
export const setRanks: Kernel<[stats: Uint32Array, n: number, zeta: number], Uint32Array, [stats: GPUBuffer, n: number, zeta: number, records?: number], GPUBuffer> = {
  name: 'setRanks',
  cpu(stats, n, zeta) {
    const records = stats.length / 4;
    const states = new Uint32Array(records * 8);
    for (let i = 0; i < records; i++) {
      const { negative, positive } = setThresholdRanks(n, stats[4 * i + 1]!, n - stats[4 * i + 2]!, zeta);
      states[8 * i + 2] = negative;
      states[8 * i + 6] = positive;
    }
    return states;
  },
  encode(s, stats, n, zeta, records = 1) {
    const states = s.output('SET select states', records * 32);
    const keep = doubleAsFixed(1 - zeta);
    const z = doubleAsFixed(zeta);
    s.dispatch(programs.setThresholdRanks, {
      bindings: { statsIn: stats, selectState: states },
      uniforms: { count: records, n, keepHi: keep.hi, keepLo: keep.lo, keepFrac: keep.frac, zetaHi: z.hi, zetaLo: z.lo, zetaFrac: z.frac },
      workgroups: Math.ceil(records / THREADS),
    });
    return states;
  },
};

/**
 * SET's keep flags (0/1, aligned with the values) for the threshold ranks of
 * setThresholdRanks: the two thresholds by radix select, then w >
 * smallestPositive or w < largestNegative survive. On the GPU over `count`
 * values of a buffer, returning the flags buffer.
 */
export const setKeepFlags: Kernel<
  [values: Float32Array, ranks: { negative: number; positive: number }],
  Uint32Array,
  [values: GPUBuffer, count: number, ranks: { negative: number; positive: number } | GPUBuffer],
  GPUBuffer
> = {
  name: 'setKeepFlags',
  cpu(values, ranks) {
    const [largestNegative, smallestPositive] = selectRanksCpu(values, ranks.negative, ranks.positive);
    const flags = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) flags[i] = values[i]! > smallestPositive! || values[i]! < largestNegative! ? 1 : 0;
    return flags;
  },
  encode(s, values, count, ranks) {
    // Word 0: largestNegative's key, word 4: smallestPositive's (as keepFlags reads them). The ranks
    // come from the host, or already sit in a select state on the GPU (setRanks).
    const thresholds = selectRank.encode(s, values, count, 'negative' in ranks ? [ranks.negative, ranks.positive] : { state: ranks, selects: 2 });
    const flags = s.output('SET keep flags', count * 4);
    s.dispatch(programs.setKeepFlags, { bindings: { values, thresholds, flags }, uniforms: { count }, workgroups: Math.ceil(count / THREADS) });
    return flags;
  },
};
