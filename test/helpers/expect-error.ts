import { expect } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';

/** What `fn` threw (undefined if it returned). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** What `fn` threw; a test failure (not undefined) if it returned, so the assertions that follow never pass vacuously. */
export function mustThrow(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** What `fn` threw or rejected with (undefined if it did neither). */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error is an instance of `cls` and names `argument`. */
export function expectNamedError(error: unknown, cls: abstract new (...args: never[]) => Error, argument: string): void {
  expect(error, `expected ${cls.name} naming ${argument}, got ${String(error)}`).toBeInstanceOf(cls);
  expect((error as InvalidArgumentError).argument).toBe(argument);
}

/** Asserts that `fn` throws an InvalidArgumentError naming `argument`; returns its message. */
export function expectArgError(fn: () => unknown, argument: string): string {
  const error = thrown(fn);
  expectNamedError(error, InvalidArgumentError, argument);
  return (error as Error).message;
}
