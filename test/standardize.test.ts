/**
 * Per-feature standardisation against mathjs's mean and population std, with
 * statistics from the training split only, constant features, and bad input.
 */
import { describe, expect, test } from 'vitest';
import * as math from 'mathjs';
import { expectArgError } from './helpers/expect-error.js';
import { featureStatistics, standardize, syntheticClassification, type Dataset } from '../src/index.js';

function column(data: Dataset, f: number): number[] {
  return Array.from({ length: data.count }, (_, i) => data.inputs[i * data.features + f]!);
}

describe('standardize', () => {
  const train = syntheticClassification({ count: 257, features: 13, classes: 3, seed: 4 });
  const test_ = syntheticClassification({ count: 31, features: 13, classes: 3, seed: 5 });
  // Feature 0 constant in training: its divisor is ε alone, and it maps to 0.
  for (let i = 0; i < train.count; i++) train.inputs[i * train.features] = 0.25;

  test('mean and std come from mathjs-checked training statistics; the test split uses the same ones', () => {
    const epsilon = 1e-3;
    const statistics = featureStatistics(train, epsilon);
    const before = train.inputs.slice();
    const out = standardize(train, statistics);
    const outTest = standardize(test_, statistics);
    expect(train.inputs).toEqual(before); // the input is not modified
    for (let f = 0; f < train.features; f++) {
      const values = column(train, f);
      const mean = math.mean(values) as number;
      const std = math.std(values, 'uncorrected') as number;
      expect(statistics.mean[f]).toBeCloseTo(mean, 5);
      expect(statistics.scale[f]).toBeCloseTo(std + epsilon, 5);
      for (let i = 0; i < train.count; i++) {
        expect(out.inputs[i * train.features + f]).toBeCloseTo((values[i]! - mean) / (std + epsilon), 3);
      }
      const testValues = column(test_, f);
      for (let i = 0; i < test_.count; i++) {
        expect(outTest.inputs[i * test_.features + f]).toBeCloseTo((testValues[i]! - mean) / (std + epsilon), 3);
      }
      if (f > 0) {
        expect(math.mean(column(out, f)) as number).toBeCloseTo(0, 4);
        expect(math.std(column(out, f), 'uncorrected') as number).toBeCloseTo(std / (std + epsilon), 4);
      }
    }
    expect(column(out, 0).every((x) => x === 0)).toBe(true);
    expect(out.labels).toBe(train.labels);
    expect([out.count, out.features, out.classes]).toEqual([train.count, train.features, train.classes]);
  });

  test('the default ε is the reference 1e-4 on 0–255 pixels, i.e. 1e-4 / 255 on [0, 1] inputs', () => {
    const statistics = featureStatistics(train);
    expect(statistics.scale[0]).toBeCloseTo(1e-4 / 255, 12);
  });

  test('bad input names the argument', () => {
    expectArgError(() => featureStatistics(train, 0), 'epsilon');
    expectArgError(() => featureStatistics(train, Number.NaN), 'epsilon');
    expectArgError(() => featureStatistics({ ...train, count: 0, inputs: new Float32Array(0), labels: new Uint8Array(0) }), 'data');
    const other = syntheticClassification({ count: 5, features: 7, classes: 3, seed: 1 });
    expectArgError(() => standardize(other, featureStatistics(train)), 'statistics');
  });
});
