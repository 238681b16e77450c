import { expect } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';

/** Asserts that `fn` throws an InvalidArgumentError naming `argument`; returns its message. */
export function expectArgError(fn: () => unknown, argument: string): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an InvalidArgumentError naming ${argument}`).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
  return (caught as Error).message;
}
