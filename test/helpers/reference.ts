import { multiply, matrix, transpose as mjTranspose } from 'mathjs';
import type { DenseMatrix } from '../../src/index.js';

/** Independent reference: mathjs dense product of the dense forms (float64). */
export function referenceMatMul(a: DenseMatrix, b: DenseMatrix, { transA = false, transB = false } = {}): number[][] {
  const rows = transA ? a.cols : a.rows;
  const cols = transB ? b.rows : b.cols;
  // mathjs cannot represent empty dimensions; the empty product is all zeros.
  if (rows === 0 || cols === 0 || a.rows === 0 || a.cols === 0) return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  let A = matrix(a.toArray());
  let B = matrix(b.toArray());
  if (transA) A = mjTranspose(A);
  if (transB) B = mjTranspose(B);
  return (multiply(A, B).toArray() as number[][]);
}

/** Naive loop reference for the sampled product at given (row, col) pairs. */
export function referenceSddmm(dY: DenseMatrix, X: DenseMatrix, rows: ArrayLike<number>, cols: ArrayLike<number>, alpha = 1): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    let s = 0;
    for (let b = 0; b < X.cols; b++) s += dY.get(rows[k]!, b) * X.get(cols[k]!, b);
    out[k] = alpha * s;
  }
  return out;
}

/**
 * The kernels' tolerance against a float64 reference. Float32 summation of K
 * terms has a forward error bounded by about K·ε·Σ|terms| (ε = 2^-24 ≈ 6e-8);
 * typical errors grow like sqrt(K)·ε·Σ|terms|. We compare with
 * |diff| ≤ 1e-5 · max(1, Σ|terms|) per output: loose enough for any summation
 * order at K ≤ ~100 terms of typical cancellation and a few thousand worst
 * case, tight enough that one wrong or missing term (which is of order
 * Σ|terms|/K) is caught.
 */
export const KERNEL_TOL = 1e-5;

/**
 * Float32 results differ from a float64 reference by accumulated rounding:
 * about sqrt(K)·ε·Σ|terms| for a K-term dot product. We allow a bound
 * proportional to the absolute sum of terms (scale), which is what the
 * forward error of a summation is proportional to.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: ArrayLike<number> | number, label: string, relTol = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i]!;
    const tol = relTol * Math.max(1, s);
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol)) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d} > tol ${tol})`);
  }
}
