/**
 * A seeded stand-in for a gene-expression microarray set, the shape of the
 * Leukemia data of Liu et al. (2021, "Sparse evolutionary deep learning with
 * over one million artificial neurons on commodity hardware"): 2,096 samples
 * of 54,675 probe sets in 18 classes. That set cannot be downloaded here, so
 * this one reproduces what makes it hard for a network — far more features
 * than samples, and a class signal carried by a small subset of them — and
 * states which subset, so a test (or a look at a sparse input layer's
 * connectivity) can check what was learnt.
 *
 * Every value is f(seed, sample, feature) from the counter-based streams of
 * src/random.ts, so a seed gives the same bytes on every platform, and the
 * generator allocates nothing of size count × features but the output.
 */
import { InvalidArgumentError } from '../errors.js';
import { allocate, assertCount, assertSeed } from '../formats/validate.js';
import { randomU32Keyed, RandomStream, streamKey } from '../random.js';
import { shuffledOrder, type Dataset } from './dataset.js';

/** The Leukemia microarray set's shape (Liu et al., 2021; Haferlach et al., 2010): samples, probe sets, classes. */
export const LEUKEMIA_SHAPE = { count: 2096, features: 54_675, classes: 18 } as const;

/** Streams of their own, so that changing one option never shifts the draws of another part. */
const INFORMATIVE_STREAM = 0x6d1c_0001;
const SIGNATURE_STREAM = 0x6d1c_0002;
const NOISE_STREAM = 0x6d1c_0003;

export interface MicroarrayOptions {
  seed: number;
  /** Samples (default 2,096). */
  count?: number;
  /** Probe sets (default 54,675). */
  features?: number;
  /** Classes (default 18). */
  classes?: number;
  /** How many features carry the class (default 200); the rest are pure noise. */
  informative?: number;
  /** Each class shifts each informative feature by ±signal (a seeded sign), in units of the noise (default 1). */
  signal?: number;
}

export interface MicroarrayDataset extends Dataset {
  /** The features that carry the class, ascending; every other feature is class-independent noise. */
  informative: Uint32Array;
  /** classes × informative.length: the shift (±signal) class c adds to informative feature i. */
  signatures: Float32Array;
}

/**
 * A microarray-shaped classification set, as if standardised per probe set:
 * value(s, f) = N(0, 1) noise, plus, when f is one of the `informative`
 * features, the ±signal shift of sample s's class on f (each class an
 * up/down pattern over those features: its signature, in which no
 * feature has the same sign for every class). So the label depends on the
 * informative features only, and on each of them by its class mean alone.
 *
 * Which features: the first `informative` of a seeded shuffle of
 * 0 … features − 1, sorted ascending (returned as `informative`).
 *
 * With the defaults (200 informative features, ±1) two classes' means
 * differ on about half of those features, √(100 · 2²) = 20 noise standard
 * deviations apart: a classifier that knew the informative features would
 * be right every time. A network must first find them among 54,675, from
 * 1,397 samples. (Nearest centroid over all 54,675 features, trained on
 * the first 1,397 samples of seed 2021, is right on 99.9 % of the other
 * 699: the set is learnable without knowing the subset, but a network
 * with that many inputs per sample can also fit the noise.) Labels are balanced (class
 * sizes differ by at most one) and shuffled, so cutting one set with
 * subset() gives a train / test split with every class in both (Liu et al.
 * split Leukemia 1,397 / 699).
 */
export function syntheticMicroarray(options: MicroarrayOptions): MicroarrayDataset {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with at least a seed');
  const { seed } = options;
  const count = options.count ?? LEUKEMIA_SHAPE.count;
  const features = options.features ?? LEUKEMIA_SHAPE.features;
  const classes = options.classes ?? LEUKEMIA_SHAPE.classes;
  const informativeCount = options.informative ?? Math.min(200, features);
  const signal = options.signal ?? 1;
  assertSeed('options.seed', seed);
  assertCount('options.count', count);
  assertCount('options.features', features, { min: 1 });
  assertCount('options.classes', classes, { min: 2 });
  // Labels are stored as u8.
  if (classes > 256) throw new InvalidArgumentError('options.classes', `must be at most 256, got ${classes}`);
  assertCount('options.informative', informativeCount, { min: 1 });
  if (informativeCount > features) {
    throw new InvalidArgumentError('options.informative', `must be at most options.features = ${features}, got ${informativeCount}`);
  }
  if (typeof signal !== 'number' || !(signal >= 0) || !Number.isFinite(signal)) {
    throw new InvalidArgumentError('options.signal', `must be a finite number ≥ 0, got ${String(signal)}`);
  }
  // The noise counter is sample · features + feature, a u32.
  if (count * features > 0x1_0000_0000) {
    throw new InvalidArgumentError('options.count', `count × features = ${count * features} values is more than 2³² (the noise counter is 32-bit)`);
  }

  const informative = informativeFeatures(features, informativeCount, seed);
  const signatures = new Float32Array(classes * informativeCount);
  const signs = new RandomStream(seed, SIGNATURE_STREAM);
  for (let i = 0; i < signatures.length; i++) signatures[i] = signs.nextU32() & 1 ? signal : -signal;
  // A feature every class shifts the same way would tell no class apart: the last class flips it.
  for (let i = 0; i < informativeCount; i++) {
    let same = true;
    for (let c = 1; c < classes && same; c++) same = signatures[c * informativeCount + i] === signatures[i];
    if (same) signatures[(classes - 1) * informativeCount + i] = -signatures[i]!;
  }

  const labels = new Uint8Array(count);
  const order = shuffledOrder(count, seed);
  for (let i = 0; i < count; i++) labels[order[i]!] = i % classes;

  const inputs = allocate('options.count', Float32Array, count * features);
  fillStandardNormal(inputs, streamKey(seed, NOISE_STREAM));
  for (let s = 0; s < count; s++) {
    const row = s * features;
    const signature = labels[s]! * informativeCount;
    for (let i = 0; i < informativeCount; i++) inputs[row + informative[i]!]! += signatures[signature + i]!;
  }
  return { inputs, labels, count, features, classes, informative, signatures };
}

/** The first k of a seeded Fisher–Yates shuffle of 0 … features − 1 (Floyd's algorithm: O(k), not O(features)), ascending. */
function informativeFeatures(features: number, k: number, seed: number): Uint32Array {
  const random = new RandomStream(seed, INFORMATIVE_STREAM);
  const chosen = new Set<number>();
  for (let j = features - k; j < features; j++) {
    const t = random.nextInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Uint32Array.from(chosen).sort();
}

/**
 * out[i] = a standard normal drawn from counters 2⌊i/2⌋ and 2⌊i/2⌋ + 1 of
 * the keyed stream: Box–Muller's pair fills two neighbouring values, so
 * 115 M values cost 115 M hashes (a few seconds), and value i depends on i
 * alone.
 */
function fillStandardNormal(out: Float32Array, key: number): void {
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    const u = 1 - (randomU32Keyed(key, i) >>> 8) / 16777216; // (0, 1]
    const v = (randomU32Keyed(key, i + 1) >>> 8) / 16777216;
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * v;
    out[i] = r * Math.cos(angle);
    if (i + 1 < n) out[i + 1] = r * Math.sin(angle);
  }
}
