import { InvalidArgumentError } from '../errors.js';

/** Checks that `value` is a non-negative safe integer (optionally ≥ 1). */
export function assertCount(argument: string, value: unknown, { min = 0 } = {}): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(argument, `must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

export function assertLength(argument: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) {
    throw new InvalidArgumentError(argument, `must have length ${expected}, got ${array.length}`);
  }
}

export function assertInstance<T>(
  argument: string,
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
  label: string,
): asserts value is T {
  if (!(value instanceof ctor)) {
    throw new InvalidArgumentError(argument, `must be a ${label}`);
  }
}

/** Throws naming the first non-finite element (NaN, ±Infinity). */
export function assertFinite(argument: string, array: Float32Array, describe?: (i: number) => string): void {
  for (let i = 0; i < array.length; i++) {
    const v = array[i]!;
    // v - v is NaN exactly for NaN and ±Infinity; cheaper than Number.isFinite in hot loops.
    if (v - v !== 0) {
      const where = describe ? describe(i) : `index ${i}`;
      throw new InvalidArgumentError(argument, `must be finite, found ${v} at ${where}`);
    }
  }
}

export function assertProbability(argument: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(argument, `must be in [0, 1], got ${String(value)}`);
  }
}
