/**
 * In-memory classification data and the batching the training loop needs.
 *
 * Samples are stored sample-major (one row per sample, as data files and
 * users think of them), but wgsparse activations are feature-major (one row
 * per feature, one column per sample), so `gatherBatch` transposes while it
 * gathers: the one copy a batch needs anyway doubles as the layout change.
 */
import { InvalidArgumentError } from '../errors.js';
import { assertSeed } from '../formats/validate.js';
import { RandomStream } from '../random.js';
import { assertCount, assertFinite, assertInstance, assertLength } from '../formats/validate.js';

export interface Dataset {
  /** count × features, sample-major (row i = sample i), values usually in [0, 1]. */
  inputs: Float32Array;
  /** count class indices in [0, classes). */
  labels: Uint8Array;
  count: number;
  features: number;
  classes: number;
}

/**
 * Throws an InvalidArgumentError naming the field at fault (`data.inputs`,
 * `data.labels`, …). Reads every value, so call it once per data set, not per batch.
 */
export function validateDataset(data: Dataset, argument = 'data'): void {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidArgumentError(argument, `must be a Dataset object, got ${String(data)}`);
  }
  assertCount(`${argument}.count`, data.count);
  assertCount(`${argument}.features`, data.features, { min: 1 });
  assertCount(`${argument}.classes`, data.classes, { min: 2 });
  const { count, features, classes } = data;
  assertInstance(`${argument}.inputs`, data.inputs, Float32Array, 'Float32Array');
  assertLength(`${argument}.inputs`, data.inputs, count * features);
  assertFinite(`${argument}.inputs`, data.inputs, (i) => `sample ${Math.floor(i / features)}, feature ${i % features}`);
  assertInstance(`${argument}.labels`, data.labels, Uint8Array, 'Uint8Array');
  assertLength(`${argument}.labels`, data.labels, count);
  assertLabels(`${argument}.labels`, data.labels, classes);
}

/** Throws naming the first label outside [0, classes). */
export function assertLabels(argument: string, labels: Uint8Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= classes) {
      throw new InvalidArgumentError(argument, `label ${label} of sample ${i} is not below classes = ${classes}`);
    }
  }
}

/** Samples [start, start + count) as views of the same memory: writes show through. */
export function subset(data: Dataset, start: number, count: number): Dataset {
  assertCount('start', start);
  assertCount('count', count);
  if (start + count > data.count) {
    throw new InvalidArgumentError(
      'count',
      `samples [${start}, ${start + count}) run past the end of a ${data.count}-sample data set`,
    );
  }
  const { features, classes } = data;
  return {
    inputs: data.inputs.subarray(start * features, (start + count) * features),
    labels: data.labels.subarray(start, start + count),
    count,
    features,
    classes,
  };
}

/**
 * A dedicated stream, so that a shuffle and other draws made from the same
 * seed (prototypes, weights) are not the same numbers.
 */
const SHUFFLE_STREAM = 0x5348_5546; // 'SHUF'

/** A uniformly random permutation of 0 … count − 1, the same for the same seed. */
export function shuffledOrder(count: number, seed: number): Uint32Array {
  assertCount('count', count);
  if (count > 0x1_0000_0000) {
    throw new InvalidArgumentError('count', `must be at most 2^32 to index with u32, got ${count}`);
  }
  assertSeed('seed', seed);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new RandomStream(seed, SHUFFLE_STREAM);
  for (let i = count - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}


/**
 * Gathers samples order[start … start + size) into `out` FEATURE-MAJOR with
 * row stride `size` (out[f · size + j] = feature f of the j-th sample), and
 * their labels into outLabels[0 … size). Allocates nothing, so one pair of
 * buffers serves a whole epoch; for a short final batch pass the smaller
 * size and read the first features · size values of out.
 */
export function gatherBatch(
  data: Dataset,
  order: Uint32Array,
  start: number,
  size: number,
  out: Float32Array,
  outLabels: Uint8Array,
): void {
  checkBatch(data, order, start, size, out, outLabels);
  const { inputs, labels, features } = data;
  for (let j = 0; j < size; j++) {
    const sample = order[start + j]!;
    const row = sample * features;
    // Reading a row contiguously and writing with stride `size` keeps the
    // large, cold source streaming; the batch itself stays in cache.
    for (let f = 0; f < features; f++) out[f * size + j] = inputs[row + f]!;
    outLabels[j] = labels[sample]!;
  }
}

/** Checks gatherBatch's sizes and indices (O(size), cheap per batch) but not values: see validateDataset. */
function checkBatch(...[data, order, start, size, out, outLabels]: Parameters<typeof gatherBatch>): void {
  assertCount('start', start);
  assertCount('size', size);
  if (start + size > order.length) {
    throw new InvalidArgumentError('size', `batch [${start}, ${start + size}) runs past the ${order.length}-entry order`);
  }
  if (out.length < data.features * size) {
    throw new InvalidArgumentError('out', `needs ${data.features} × ${size} = ${data.features * size} values, has ${out.length}`);
  }
  if (outLabels.length < size) {
    throw new InvalidArgumentError('outLabels', `needs ${size} entries, has ${outLabels.length}`);
  }
  for (let j = start; j < start + size; j++) {
    if (order[j]! >= data.count) {
      throw new InvalidArgumentError('order', `entry ${j} is ${order[j]}, not below the ${data.count} samples`);
    }
  }
}
