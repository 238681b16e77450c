import type { DenseMatrix } from '../src/index.js';
import { forEachEntry, type Weights } from './operands.js';
import type { BenchOp } from './schema.js';

/**
 * Checks a benchmark result against an independent float64 loop on a sample
 * of its rows (or entries, for SDDMM) before anything is timed, in O(stored +
 * samples·batch) host work so even the largest shapes are checked. Throws on
 * disagreement; returns the largest absolute error.
 */
export function checkResult(op: BenchOp, w: Weights, X: DenseMatrix, dY: DenseMatrix, result: Float32Array, samples = 48): number {
  const batch = X.cols;
  const outRows = op === 'forward' ? w.W.rows : op === 'backward' ? w.W.cols : 0;
  if (op === 'sddmm') return checkSddmm(w, X, dY, result, samples);
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(samples, outRows); i++) picked.add(Math.floor(((i + 0.5) * outRows) / Math.min(samples, outRows)));
  const ref = new Map<number, { sum: Float64Array; abs: Float64Array }>();
  for (const r of picked) ref.set(r, { sum: new Float64Array(batch), abs: new Float64Array(batch) });
  forEachEntry(w, (_k, row, col, v) => {
    const target = op === 'forward' ? row : col;
    const acc = ref.get(target);
    if (!acc || v === 0) return;
    const src = op === 'forward' ? X : dY;
    const off = (op === 'forward' ? col : row) * batch;
    for (let b = 0; b < batch; b++) {
      const t = v * src.data[off + b]!;
      acc.sum[b]! += t;
      acc.abs[b]! += Math.abs(t);
    }
  });
  let maxErr = 0;
  for (const [r, { sum, abs }] of ref) {
    for (let b = 0; b < batch; b++) {
      const err = Math.abs(result[r * batch + b]! - sum[b]!);
      if (!(err <= 1e-4 * Math.max(1, abs[b]!))) throw new Error(`${op}: row ${r}, column ${b} is ${result[r * batch + b]}, expected ${sum[b]}`);
      maxErr = Math.max(maxErr, err);
    }
  }
  return maxErr;
}

function checkSddmm(w: Weights, X: DenseMatrix, dY: DenseMatrix, result: Float32Array, samples: number): number {
  const batch = X.cols;
  const stored = result.length;
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(samples, stored); i++) picked.add(Math.floor(((i + 0.5) * stored) / Math.min(samples, stored)));
  let maxErr = 0;
  forEachEntry(w, (k, row, col) => {
    if (!picked.has(k)) return;
    let s = 0;
    let abs = 0;
    for (let b = 0; b < batch; b++) {
      const t = dY.data[row * batch + b]! * X.data[col * batch + b]!;
      s += t;
      abs += Math.abs(t);
    }
    const err = Math.abs(result[k]! - s);
    if (!(err <= 1e-4 * Math.max(1, abs))) throw new Error(`sddmm: entry ${k} (${row}, ${col}) is ${result[k]}, expected ${s}`);
    maxErr = Math.max(maxErr, err);
  });
  return maxErr;
}
