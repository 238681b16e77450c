import { expect } from 'vitest';
import { pruneCsrCpu } from '../../kernels/set/prune-csr.js';
import { CSRMatrix } from '../../src/index.js';

export interface CsrWithState {
  W: CSRMatrix;
  state: Float32Array;
}

/**
 * A random layer with its state tagged by its weight (value · 10, so a test
 * sees that state moves with its weight) and the CPU's SET pruning of it.
 */
export function prunedLayer(rows: number, cols: number, density: number, zeta: number, seed: number): { W: CSRMatrix; state: Float32Array; kept: CsrWithState } {
  const W = CSRMatrix.random({ rows, cols, density, seed });
  const state = Float32Array.from(W.values, (v) => v * 10);
  return { W, state, kept: pruneCsrCpu(W, state, zeta) };
}

/**
 * What every growth (SET regrowth, RigL) keeps: nnz is the target, kept
 * weights keep their value and state at their position, and each of the
 * target − kept new ones passes `expectNew` (its value and state).
 */
export function expectGrowthInvariants(result: CsrWithState, kept: CsrWithState, target: number, expectNew: (value: number, state: number) => void): void {
  expect(result.W.nnz).toBe(target);
  const keptAt = new Map<number, [number, number]>();
  const kr = kept.W.rowIndices();
  kept.W.colIdx.forEach((c, k) => keptAt.set(kr[k]! * kept.W.cols + c, [kept.W.values[k]!, kept.state[k]!]));
  const rr = result.W.rowIndices();
  let fresh = 0;
  result.W.colIdx.forEach((c, k) => {
    const old = keptAt.get(rr[k]! * result.W.cols + c);
    if (old) {
      expect([result.W.values[k], result.state[k]]).toEqual(old);
    } else {
      fresh++;
      expectNew(result.W.values[k]!, result.state[k]!);
    }
  });
  expect(fresh).toBe(target - kept.W.nnz);
}
