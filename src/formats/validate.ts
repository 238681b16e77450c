import { AllocationError, InvalidArgumentError } from '../errors.js';

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

/** Largest row or column count of a sparse format: its indices are 32-bit. */
export const MAX_INDEX_DIMENSION = 0xffffffff;

/** A row/column count that 32-bit indices can address. */
export function assertIndexDimension(argument: string, value: number): void {
  if (value > MAX_INDEX_DIMENSION) {
    throw new InvalidArgumentError(argument, `must be at most 2³² − 1 = ${MAX_INDEX_DIMENSION} (sparse indices are 32-bit), got ${value}`);
  }
}

type HostArray = Float32Array | Uint32Array;

/**
 * `new ctor(length)`, with the JavaScript engine's RangeError (a length past
 * its typed-array limit, or memory it cannot get) turned into an
 * AllocationError that names the argument and the bytes asked for.
 */
export function allocate<T extends HostArray>(argument: string, ctor: new (length: number) => T, length: number): T {
  try {
    return new ctor(length);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new AllocationError(argument, length * 4, `${length} elements: ${e.message}`);
  }
}

/** Largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A scalar the kernels use as float32 (alpha, a learning rate): finite and
 * within float32's range, or it would become ±Infinity on the way in and NaN
 * in every result.
 */
export function assertFloat32(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidArgumentError(argument, `must be a finite number, got ${String(value)}`);
  if (Math.abs(value) > FLOAT32_MAX) {
    throw new InvalidArgumentError(argument, `must be within float32's range (|value| ≤ ${FLOAT32_MAX}), got ${value}`);
  }
}

/**
 * Seeds are u32 because the random streams reduce them mod 2³²: larger ones
 * would alias, and fractions or strings would be coerced differently by the
 * CPU and the GPU. Every seeded operation checks with this, on both backends.
 */
export function assertSeed(argument: string, seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(argument, `must be a u32 integer, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
  }
}
