/**
 * The QuickSelection evaluation harness (bench/quick-selection.ts) on small
 * synthetic data: the pixel pickers against loops written here, restriction
 * to a subset keeps exactly those columns, and the fixed classifier learns
 * from informative features and not from constant ones (so a row of the
 * results table can tell subsets apart).
 */
import { describe, expect, test } from 'vitest';
import { evaluatePixels, highestVariancePixels, randomPixels, restrict } from '../bench/quick-selection.js';
import { syntheticClassification, subset, type Dataset } from '../src/index.js';
import { cpuEngine } from './helpers/engines.js';

describe('QuickSelection evaluation harness', () => {
  test('randomPixels: k distinct pixels in range, the same per seed, others for another seed', () => {
    for (const k of [1, 50, 784]) {
      const p = randomPixels(k, 3);
      expect(p).toHaveLength(k);
      expect(new Set(p).size).toBe(k);
      expect(p.every((i) => Number.isInteger(i) && i >= 0 && i < 784)).toBe(true);
      expect(randomPixels(k, 3)).toEqual(p);
    }
    expect(randomPixels(50, 4)).not.toEqual(randomPixels(50, 3));
  });

  test('highestVariancePixels: the largest variances by a two-pass float64 loop, ties to the lower index', () => {
    const data = syntheticClassification({ count: 300, features: 40, classes: 3, seed: 5 });
    // Two identical columns make a tie; a constant column has variance 0.
    for (let i = 0; i < data.count; i++) {
      data.inputs[i * 40 + 7] = data.inputs[i * 40 + 30]!;
      data.inputs[i * 40 + 2] = 0.5;
    }
    const variance = Array.from({ length: 40 }, (_, f) => {
      let mean = 0;
      for (let i = 0; i < data.count; i++) mean += data.inputs[i * 40 + f]! / data.count;
      let v = 0;
      for (let i = 0; i < data.count; i++) v += (data.inputs[i * 40 + f]! - mean) ** 2 / data.count;
      return v;
    });
    const expected = Array.from(variance.keys()).sort((a, b) => variance[b]! - variance[a]! || a - b);
    expect(highestVariancePixels(data, 40)).toEqual(expected);
    expect(highestVariancePixels(data, 40).at(-1)).toBe(2);
    const top = highestVariancePixels(data, 40);
    expect(top.indexOf(7)).toBe(top.indexOf(30) - 1);
  });

  test('restrict keeps the given columns in the given order', () => {
    const data: Dataset = { inputs: Float32Array.from({ length: 12 }, (_, i) => i), labels: new Uint8Array([0, 1, 0]), count: 3, features: 4, classes: 2 };
    expect(Array.from(restrict(data, [3, 0]).inputs)).toEqual([3, 0, 7, 4, 11, 8]);
  });

  test('the fixed classifier learns from informative features, not from constant ones', async () => {
    const engine = await cpuEngine();
    try {
      const all = syntheticClassification({ count: 1200, features: 30, classes: 4, seed: 9 });
      for (let i = 0; i < all.count; i++) for (const f of [0, 1, 2, 3, 4]) all.inputs[i * 30 + f] = 0.25;
      const train = subset(all, 0, 1000);
      const test = subset(all, 1000, 200);
      const informative = await evaluatePixels(engine, train, test, [10, 11, 12, 13, 14], 5);
      const constant = await evaluatePixels(engine, train, test, [0, 1, 2, 3, 4], 5);
      expect(informative.testAccuracy).toBeGreaterThan(0.6);
      expect(constant.testAccuracy).toBeLessThan(0.4);
    } finally {
      engine.dispose();
    }
  });
});
