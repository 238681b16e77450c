/**
 * `node bench/launch.mjs --entry=/bench/quick-selection.ts [--baselines] [--pixels 12,13,…] [--pixels-file sel.json] [--seeds 5] [--epochs 10] [--quick]`
 *
 * QuickSelection's evaluation (issue 16 item 4): how well one fixed small
 * classifier does on MNIST restricted to K chosen pixels. The classifier
 * never changes, only the pixels: a dense wgsparse MLP K → 100 → 10 (ReLU,
 * softmax), He-uniform init seed 1, Adam lr 1e-3, batch 100, 10 epochs,
 * shuffle seed 1, on the CPU backend, inputs standardised per pixel with the
 * training set's mean and std (so a faint border pixel counts as much as a
 * bright centre one), all 60,000 training and 10,000 test images.
 *
 * --baselines: K = 50 random pixels under several seeds, the 50 pixels of
 * highest variance over the training set, and the same classifier on all 784
 * pixels for scale; writes bench/results/quick-selection-baselines-<date>.json.
 * --pixels / --pixels-file (a JSON array, or an object with `indices`): one
 * more row for those pixels (e.g. selectFeatures' indices of a trained
 * autoencoder), written beside the baselines as quick-selection-<date>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adam, createEngine, DenseLinear, featureStatistics, RandomStream, relu, Sequential, softmax, standardize, subset, type Dataset, type Engine } from '../src/index.js';
import { loadMnist } from '../src/node.js';

/** The fixed classifier and its training, recorded with every result. */
export const EVALUATION_CLASSIFIER = Object.freeze({
  hidden: 100,
  activation: 'relu',
  init: 'he-uniform',
  layerSeeds: [1, 2],
  optimizer: Object.freeze({ kind: 'adam', lr: 1e-3 }),
  batchSize: 100,
  epochs: 10,
  shuffleSeed: 1,
  backend: 'cpu',
  inputs: 'standardised per pixel with training-set mean and std',
} as const);

export interface SubsetResult {
  name: string;
  pixels: number[];
  testAccuracy: number;
  trainLoss: number;
  seconds: number;
}

/** The samples' values at `pixels` only, in that order. */
export function restrict(data: Dataset, pixels: readonly number[]): Dataset {
  const k = pixels.length;
  const inputs = new Float32Array(data.count * k);
  for (let i = 0; i < data.count; i++) {
    const row = i * data.features;
    for (let j = 0; j < k; j++) inputs[i * k + j] = data.inputs[row + pixels[j]!]!;
  }
  return { inputs, labels: data.labels, count: data.count, features: k, classes: data.classes };
}

/** Test accuracy of the fixed classifier trained on `train` restricted to `pixels`. */
export async function evaluatePixels(engine: Engine, train: Dataset, test: Dataset, pixels: readonly number[], epochs: number = EVALUATION_CLASSIFIER.epochs): Promise<{ testAccuracy: number; trainLoss: number }> {
  const trainK = restrict(train, pixels);
  const statistics = featureStatistics(trainK);
  const c = EVALUATION_CLASSIFIER;
  const model = new Sequential(engine, [
    new DenseLinear({ in: pixels.length, out: c.hidden, seed: c.layerSeeds[0] }),
    relu(),
    new DenseLinear({ in: c.hidden, out: 10, seed: c.layerSeeds[1] }),
    softmax(),
  ]);
  try {
    const history = await model.fit(standardize(trainK, statistics), { epochs, batchSize: c.batchSize, optimizer: adam({ lr: c.optimizer.lr }), seed: c.shuffleSeed });
    const { accuracy } = await model.evaluate(standardize(restrict(test, pixels), statistics));
    return { testAccuracy: accuracy, trainLoss: history.epochs.at(-1)?.loss ?? Number.NaN };
  } finally {
    model.dispose();
  }
}

/** K distinct pixels drawn uniformly (partial Fisher–Yates), in ascending order. */
export function randomPixels(k: number, seed: number, features = 784): number[] {
  const rng = new RandomStream(seed, 0x9e1);
  const all = Array.from({ length: features }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(features - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}

/** The K pixels of highest variance over `data` (float64; ties: lower index), highest first. */
export function highestVariancePixels(data: Dataset, k: number): number[] {
  const { count, features, inputs } = data;
  const sum = new Float64Array(features);
  const sumSq = new Float64Array(features);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < features; f++) {
      const x = inputs[i * features + f]!;
      sum[f]! += x;
      sumSq[f]! += x * x;
    }
  }
  const variance = Array.from(sum, (s, f) => sumSq[f]! / count - (s / count) ** 2);
  return Array.from(variance.keys())
    .sort((a, b) => variance[b]! - variance[a]! || a - b)
    .slice(0, k);
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

function count(argv: string[], name: string, fallback: number): number {
  const raw = flag(argv, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer, got ${raw}`);
  return v;
}

function parsePixels(argv: string[]): number[] | undefined {
  const list = flag(argv, '--pixels');
  const file = flag(argv, '--pixels-file');
  if (list === undefined && file === undefined) return undefined;
  const raw: unknown = list !== undefined ? list.split(',').map(Number) : JSON.parse(readFileSync(file!, 'utf8'));
  const pixels = Array.isArray(raw) ? raw : (raw as { indices?: unknown }).indices;
  if (!Array.isArray(pixels) || pixels.length === 0 || !pixels.every((p) => Number.isInteger(p) && p >= 0 && p < 784) || new Set(pixels).size !== pixels.length) {
    throw new Error('--pixels / --pixels-file: need distinct integer pixel indices in [0, 784)');
  }
  return pixels as number[];
}

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const epochs = count(argv, '--epochs', EVALUATION_CLASSIFIER.epochs);
  const seeds = count(argv, '--seeds', 5);
  const baselines = argv.includes('--baselines');
  const chosen = parsePixels(argv);
  if (!baselines && !chosen) {
    console.error('nothing to do: give --baselines and/or --pixels / --pixels-file');
    return 2;
  }
  const mnist = await loadMnist();
  const train = quick ? subset(mnist.train, 0, 6000) : mnist.train;
  const test = quick ? subset(mnist.test, 0, 2000) : mnist.test;
  const engine = await createEngine({ backend: 'cpu' });
  const k = chosen?.length ?? 50;
  const rows: SubsetResult[] = [];
  const run = async (name: string, pixels: number[]) => {
    const started = performance.now();
    const r = await evaluatePixels(engine, train, test, pixels, epochs);
    const row = { name, pixels, ...r, seconds: (performance.now() - started) / 1000 };
    rows.push(row);
    console.log(`${name}: test accuracy ${(100 * r.testAccuracy).toFixed(2)} % (train loss ${r.trainLoss.toFixed(4)}, ${row.seconds.toFixed(1)} s)`);
  };
  try {
    if (chosen) await run(`given ${chosen.length} pixels`, chosen);
    if (baselines) {
      for (let seed = 1; seed <= seeds; seed++) await run(`random ${k} pixels, seed ${seed}`, randomPixels(k, seed));
      await run(`highest-variance ${k} pixels`, highestVariancePixels(train, k));
      await run('all 784 pixels (scale)', Array.from({ length: 784 }, (_, i) => i));
    }
  } finally {
    engine.dispose();
  }

  const random = rows.filter((r) => r.name.startsWith('random')).map((r) => r.testAccuracy);
  const mean = random.reduce((a, v) => a + v, 0) / Math.max(1, random.length);
  const std = Math.sqrt(random.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, random.length - 1));
  const pct = (a: number) => `${(100 * a).toFixed(2)} %`;
  console.log('\n| pixels | test accuracy |');
  console.log('| --- | --- |');
  for (const r of rows) console.log(`| ${r.name} | ${pct(r.testAccuracy)} |`);
  if (random.length > 0) console.log(`| random ${k} pixels, mean ± std of ${random.length} seeds | ${pct(mean)} ± ${(100 * std).toFixed(2)} |`);

  const date = new Date().toISOString();
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const kind = chosen ? (baselines ? 'pixels-and-baselines-' : '') : 'baselines-';
  const file = join(dir, `quick-selection-${kind}${date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
  const result = {
    schema: 'wgsparse-quick-selection/1',
    dataset: 'mnist',
    k,
    classifier: EVALUATION_CLASSIFIER,
    epochs,
    trainSamples: train.count,
    testSamples: test.count,
    rows,
    ...(random.length > 0 ? { random: { seeds: random.length, mean, std, min: Math.min(...random), max: Math.max(...random) } } : {}),
    date,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return 0;
}
