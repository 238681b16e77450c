import { describe, expect, test } from 'vitest';
import { cosineZeta, InvalidArgumentError } from '../src/index.js';

describe('cosineZeta', () => {
  test('starts at ζ, halves midway, ends at 0, decreasing', () => {
    expect(cosineZeta({ zeta: 0.3, step: 0, totalSteps: 10 })).toBeCloseTo(0.3, 12);
    expect(cosineZeta({ zeta: 0.3, step: 5, totalSteps: 10 })).toBeCloseTo(0.15, 12);
    expect(cosineZeta({ zeta: 0.3, step: 10, totalSteps: 10 })).toBeCloseTo(0, 12);
    const values = Array.from({ length: 11 }, (_, step) => cosineZeta({ zeta: 0.5, step, totalSteps: 10 }));
    values.slice(1).forEach((v, i) => expect(v).toBeLessThan(values[i]!));
  });

  test('bad input is a typed error naming the argument', () => {
    expect(() => cosineZeta({ zeta: 1.5, step: 0, totalSteps: 3 })).toThrow(InvalidArgumentError);
    expect(() => cosineZeta({ zeta: 0.3, step: 4, totalSteps: 3 })).toThrow(/step/);
    expect(() => cosineZeta({ zeta: 0.3, step: 0, totalSteps: 0 })).toThrow(/totalSteps/);
  });
});
