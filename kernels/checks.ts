import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import { ShapeMismatchError } from '../src/errors.js';
import { assertFinite, assertInstance } from '../src/formats/validate.js';
import { allFiniteWasm, indexFingerprintWasm } from './wasm/checks-wasm.js';

/** assertFinite, with the common all-finite case answered by the SIMD scan. */
function checkFinite(argument: string, array: Float32Array, describe: (i: number) => string): void {
  if (allFiniteWasm(array) !== true) assertFinite(argument, array, describe);
}

/** A dense operand: the right type and finite values (NaN would spread silently). */
export function checkDense(argument: string, value: unknown): asserts value is DenseMatrix {
  assertInstance(argument, value, DenseMatrix, 'DenseMatrix');
  checkFinite(argument, value.data, (i) => `(${Math.floor(i / value.cols)}, ${i % value.cols})`);
}

/**
 * A sparse operand of the right type whose structure is the one validated
 * when it was built, re-checked against its fingerprint (a corrupted rowPtr
 * could otherwise make a product run for minutes); O(nnz). Enough for kernels
 * that read only the structure (the derived indices).
 */
export function checkStructure<T extends CSRMatrix | NMMatrix>(argument: string, value: unknown, ctor: abstract new (...args: never[]) => T, label: string): asserts value is T {
  assertInstance(argument, value, ctor, label);
  (value as T).verifyStructure(argument, indexFingerprintWasm);
}

/**
 * A sparse operand whose values a kernel reads: checkStructure, and since
 * `values` is a mutable Float32Array, finiteness again (O(nnz), small beside
 * the product).
 */
export function checkSparse<T extends CSRMatrix | NMMatrix>(argument: string, value: unknown, ctor: abstract new (...args: never[]) => T, label: string): asserts value is T {
  checkStructure(argument, value, ctor, label);
  checkFinite(`${argument}.values`, (value as T).values, (k) => `stored value ${k}`);
}

export function checkRowsMatch(argument: string, actual: number, expected: number, what: string): void {
  if (actual !== expected) {
    throw new ShapeMismatchError(argument, `has ${actual} rows but ${what} is ${expected}`);
  }
}

export function checkSameCols(argument: string, a: DenseMatrix, b: DenseMatrix, bName: string): void {
  if (a.cols !== b.cols) {
    throw new ShapeMismatchError(argument, `has ${a.cols} columns (batch) but ${bName} has ${b.cols}`);
  }
}
