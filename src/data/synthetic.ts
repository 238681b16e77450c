/**
 * Small seeded problems that train in milliseconds, for tests and demos that
 * must not depend on a download. Every number comes from the counter-based
 * streams of src/random.ts, so a seed gives the same data on every platform.
 *
 * The class structure (prototypes, blob centres) depends on the seed only,
 * not on count, but a different seed is a different problem: to get a
 * train / test split, draw one set and cut it with subset() (labels are
 * shuffled, so both halves are close to balanced).
 */
import { InvalidArgumentError } from '../errors.js';
import { RandomStream } from '../random.js';
import { assertCount } from '../formats/validate.js';
import { shuffledOrder, type Dataset } from './dataset.js';
import { assertSeed } from '../formats/validate.js';

/** Separate streams so that, e.g., changing count never changes the prototypes. */
const PROTOTYPE_STREAM = 1;
const SAMPLE_STREAM = 2;

export interface SyntheticOptions {
  count: number;
  features: number;
  classes: number;
  seed: number;
  /** Standard deviation of the Gaussian noise added to each feature; default 0.3. */
  noise?: number;
}

/**
 * Each class has a prototype uniform in [0, 1]^features; a sample is its
 * class's prototype plus N(0, noise²) per feature, clamped to [0, 1].
 * Prototypes sit about √(features / 6) apart, so with 64 features and noise
 * 0.3 nearest-prototype classification is almost always right.
 */
export function syntheticClassification(options: SyntheticOptions): Dataset {
  const { count, features, classes, seed } = options;
  const noise = options.noise ?? 0.3;
  checkCommon(count, classes, seed);
  assertCount('options.features', features, { min: 1 });
  if (!(noise >= 0) || !Number.isFinite(noise)) {
    throw new InvalidArgumentError('options.noise', `must be a finite number ≥ 0, got ${String(noise)}`);
  }
  const prototypeStream = new RandomStream(seed, PROTOTYPE_STREAM);
  const prototypes = new Float64Array(classes * features);
  for (let i = 0; i < prototypes.length; i++) prototypes[i] = prototypeStream.next();

  const labels = balancedLabels(count, classes, seed);
  const inputs = new Float32Array(count * features);
  const random = new RandomStream(seed, SAMPLE_STREAM);
  for (let s = 0; s < count; s++) {
    const proto = labels[s]! * features;
    for (let f = 0; f < features; f++) {
      inputs[s * features + f] = clamp01(prototypes[proto + f]! + noise * random.normal());
    }
  }
  return { inputs, labels, count, features, classes };
}

export interface SyntheticImageOptions {
  count: number;
  /** Images are side × side pixels, row-major (features = side²). */
  side: number;
  classes: number;
  seed: number;
}

/**
 * Each class is a Gaussian blob at its own spot on a circle around the image
 * centre; each sample jitters the blob a little and adds faint pixel noise.
 * Only the pixels near the class spots carry information, which is what
 * makes a sparse input layer's learnt connectivity visibly structured.
 */
export function syntheticImages(options: SyntheticImageOptions): Dataset {
  const { count, side, classes, seed } = options;
  checkCommon(count, classes, seed);
  assertCount('options.side', side, { min: 2 });
  const features = side * side;
  const labels = balancedLabels(count, classes, seed);
  const centres = blobCentres(side, classes, seed);
  const sigma = Math.max(0.75, side / 10);
  const jitter = side / 20;
  const inputs = new Float32Array(count * features);
  const random = new RandomStream(seed, SAMPLE_STREAM);
  for (let s = 0; s < count; s++) {
    const centre = centres[labels[s]!]!;
    const cx = centre.x + random.uniform(-jitter, jitter);
    const cy = centre.y + random.uniform(-jitter, jitter);
    const image = inputs.subarray(s * features, (s + 1) * features);
    drawBlob(image, side, cx, cy, sigma, random);
  }
  return { inputs, labels, count, features, classes };
}

/** Writes one blob plus uniform noise in [0, 0.1) into a side × side image. */
function drawBlob(image: Float32Array, side: number, cx: number, cy: number, sigma: number, random: RandomStream): void {
  const k = -1 / (2 * sigma * sigma);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const r2 = (x - cx) ** 2 + (y - cy) ** 2;
      image[y * side + x] = clamp01(Math.exp(k * r2) + 0.1 * random.next());
    }
  }
}

/**
 * Evenly spaced on a circle of radius 0.3 · side, at a seeded rotation, so
 * blobs of different classes overlap little for any class count up to ~ side.
 */
function blobCentres(side: number, classes: number, seed: number): { x: number; y: number }[] {
  const phase = new RandomStream(seed, PROTOTYPE_STREAM).uniform(0, 2 * Math.PI);
  const mid = (side - 1) / 2;
  const radius = 0.3 * side;
  return Array.from({ length: classes }, (_, c) => {
    const angle = phase + (2 * Math.PI * c) / classes;
    return { x: mid + radius * Math.cos(angle), y: mid + radius * Math.sin(angle) };
  });
}

/** Round-robin labels (class sizes differ by at most one), then shuffled. */
function balancedLabels(count: number, classes: number, seed: number): Uint8Array {
  const order = shuffledOrder(count, seed);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[order[i]!] = i % classes;
  return labels;
}

function checkCommon(count: number, classes: number, seed: number): void {
  assertCount('options.count', count);
  assertCount('options.classes', classes, { min: 2 });
  // Labels are stored as u8.
  if (classes > 256) throw new InvalidArgumentError('options.classes', `must be at most 256, got ${classes}`);
  assertSeed('options.seed', seed);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
