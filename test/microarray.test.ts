/**
 * The synthetic microarray set (src/data/microarray.ts): Leukemia's shape,
 * determinism, and that the class lives in the stated features and nowhere
 * else — checked with a per-feature F statistic (between-class over
 * within-class variance) computed here, independent of the generator.
 */
import { describe, expect, test } from 'vitest';
import { expectArgError } from './helpers/expect-error.js';
import { LEUKEMIA_SHAPE, subset, syntheticMicroarray, validateDataset, type MicroarrayDataset } from '../src/data/index.js';

/** One-way ANOVA F of every feature against the labels. */
function fStatistics(data: MicroarrayDataset): Float64Array {
  const { count, features, classes, inputs, labels } = data;
  const sums = new Float64Array(classes * features);
  const sizes = new Float64Array(classes);
  const total = new Float64Array(features);
  const squares = new Float64Array(features);
  for (let s = 0; s < count; s++) {
    const c = labels[s]!;
    sizes[c]!++;
    const row = s * features;
    const at = c * features;
    for (let f = 0; f < features; f++) {
      const v = inputs[row + f]!;
      sums[at + f]! += v;
      total[f]! += v;
      squares[f]! += v * v;
    }
  }
  const F = new Float64Array(features);
  for (let f = 0; f < features; f++) {
    const mean = total[f]! / count;
    let between = 0;
    for (let c = 0; c < classes; c++) between += (sums[c * features + f]! / sizes[c]! - mean) ** 2 * sizes[c]!;
    const within = squares[f]! - count * mean * mean - between;
    F[f] = between / (classes - 1) / (within / (count - classes));
  }
  return F;
}

/** Checks the informative features against the F statistics: every one of them is above every other feature. */
function expectSignalOnlyIn(data: MicroarrayDataset): { informativeMin: number; othersMax: number } {
  const F = fStatistics(data);
  const stated = new Set(data.informative);
  let informativeMin = Infinity;
  let othersMax = -Infinity;
  for (let f = 0; f < data.features; f++) {
    if (stated.has(f)) informativeMin = Math.min(informativeMin, F[f]!);
    else othersMax = Math.max(othersMax, F[f]!);
  }
  expect(informativeMin).toBeGreaterThan(othersMax);
  return { informativeMin, othersMax };
}

describe('syntheticMicroarray', () => {
  test("defaults to the Leukemia set's shape, with 200 informative features carrying the class", () => {
    const data = syntheticMicroarray({ seed: 2021 });
    expect(LEUKEMIA_SHAPE).toEqual({ count: 2096, features: 54_675, classes: 18 });
    expect([data.count, data.features, data.classes]).toEqual([2096, 54_675, 18]);
    expect(data.inputs.length).toBe(2096 * 54_675);
    expect(data.labels.length).toBe(2096);
    validateDataset(data);
    // Balanced: 2096 = 18 · 116 + 8.
    const sizes = new Array<number>(18).fill(0);
    for (const l of data.labels) sizes[l]!++;
    expect(Math.min(...sizes)).toBe(116);
    expect(Math.max(...sizes)).toBe(117);
    // Ascending, distinct, in range.
    expect(data.informative.length).toBe(200);
    for (let i = 1; i < 200; i++) expect(data.informative[i]!).toBeGreaterThan(data.informative[i - 1]!);
    expect(data.informative[199]!).toBeLessThan(54_675);
    // The class in the informative features only: F(17, 2078) of a noise feature rarely passes 3;
    // an informative one is ~1 + 116 · 1² ≈ 117.
    const { informativeMin, othersMax } = expectSignalOnlyIn(data);
    expect(othersMax).toBeLessThan(4);
    expect(informativeMin).toBeGreaterThan(50);
  }, 120_000);

  test('the same seed gives the same bytes; another seed, other features and values', () => {
    const options = { seed: 7, count: 120, features: 500, classes: 6, informative: 12 };
    const a = syntheticMicroarray(options);
    const b = syntheticMicroarray(options);
    expect(b.inputs).toEqual(a.inputs);
    expect(b.labels).toEqual(a.labels);
    expect(b.informative).toEqual(a.informative);
    expect(b.signatures).toEqual(a.signatures);
    const c = syntheticMicroarray({ ...options, seed: 8 });
    expect(c.informative).not.toEqual(a.informative);
    let same = 0;
    for (let i = 0; i < a.inputs.length; i++) if (a.inputs[i] === c.inputs[i]) same++;
    expect(same).toBe(0);
  });

  test('value = N(0, 1) noise + the class signature on the informative features', () => {
    const data = syntheticMicroarray({ seed: 3, count: 3000, features: 300, classes: 5, informative: 10, signal: 0.8 });
    const { count, features, classes, inputs, labels, informative, signatures } = data;
    expect(signatures.length).toBe(classes * 10);
    for (const s of signatures) expect(Math.abs(s)).toBeCloseTo(0.8, 6);
    // Class means: the signature where stated (±0.8), 0 elsewhere, within ~5 standard errors (1/√600).
    const sums = new Float64Array(classes * features);
    const sizes = new Float64Array(classes);
    let sq = 0;
    for (let s = 0; s < count; s++) {
      sizes[labels[s]!]!++;
      for (let f = 0; f < features; f++) sums[labels[s]! * features + f]! += inputs[s * features + f]!;
    }
    const position = new Map(Array.from(informative, (f, i) => [f, i]));
    for (let c = 0; c < classes; c++) {
      for (let f = 0; f < features; f++) {
        const mean = sums[c * features + f]! / sizes[c]!;
        const i = position.get(f);
        const expected = i === undefined ? 0 : signatures[c * 10 + i]!;
        expect(Math.abs(mean - expected)).toBeLessThan(5 / Math.sqrt(sizes[c]!));
      }
    }
    // Unit noise: the variance of a non-informative feature.
    const f0 = Array.from({ length: features }, (_, f) => f).find((f) => !position.has(f))!;
    for (let s = 0; s < count; s++) sq += inputs[s * features + f0]! ** 2;
    expect(sq / count).toBeGreaterThan(0.9);
    expect(sq / count).toBeLessThan(1.1);
    expectSignalOnlyIn(data);
  });

  test('subset() cuts a train / test split with every class on both sides', () => {
    const data = syntheticMicroarray({ seed: 11, count: 300, features: 50, classes: 18, informative: 5 });
    const train = subset(data, 0, 200);
    const test = subset(data, 200, 100);
    expect(new Set(train.labels).size).toBe(18);
    expect(new Set(test.labels).size).toBe(18);
  });

  test('signal 0 makes every feature noise: the F statistics no longer single out the stated ones', () => {
    const data = syntheticMicroarray({ seed: 5, count: 400, features: 200, classes: 4, informative: 20, signal: 0 });
    const F = fStatistics(data);
    const informativeMean = Array.from(data.informative, (f) => F[f]!).reduce((a, b) => a + b, 0) / 20;
    // F(3, 396) has mean ≈ 1.
    expect(informativeMean).toBeLessThan(1.6);
  });

  test('bad options are typed errors naming the option', () => {
    expectArgError(() => syntheticMicroarray({ seed: -1 }), 'options.seed');
    expectArgError(() => syntheticMicroarray({ seed: 1, count: 1.5 }), 'options.count');
    expectArgError(() => syntheticMicroarray({ seed: 1, features: 0 }), 'options.features');
    expectArgError(() => syntheticMicroarray({ seed: 1, classes: 1 }), 'options.classes');
    expectArgError(() => syntheticMicroarray({ seed: 1, classes: 300 }), 'options.classes');
    expectArgError(() => syntheticMicroarray({ seed: 1, features: 10, informative: 11 }), 'options.informative');
    expectArgError(() => syntheticMicroarray({ seed: 1, informative: 0 }), 'options.informative');
    expectArgError(() => syntheticMicroarray({ seed: 1, signal: Number.NaN }), 'options.signal');
    expectArgError(() => syntheticMicroarray({ seed: 1, signal: -0.1 }), 'options.signal');
    expectArgError(() => syntheticMicroarray({ seed: 1, count: 100_000, features: 100_000 }), 'options.count');
    expectArgError(() => syntheticMicroarray(null as never), 'options');
  });
});
