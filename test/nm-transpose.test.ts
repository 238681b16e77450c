/**
 * The N:M transpose index (what the backward gather dX = Wᵀ·dY walks): built
 * on the host by NMMatrix.transposeIndex() and on the GPU from the packed
 * positions (after the mask evolved there), both checked against a naive
 * scan of the slots.
 */
import { describe, expect, test } from 'vitest';
import { nmTransposeIndex } from '../kernels/nm-transpose.js';
import { transposeBands } from '../kernels/csr-transpose.js';
import { NMMatrix } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';

const gpu = await gpuEngine();

/** For every column, its (row, slot) pairs by ascending row, from slotColumn(k) alone. */
function naiveTranspose(W: NMMatrix): { colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array } {
  const columns: Array<Array<[number, number]>> = Array.from({ length: W.cols }, () => []);
  for (let k = 0; k < W.nnz; k++) columns[W.slotColumn(k)]!.push([Math.floor(k / W.slotsPerRow), k]);
  const colPtr = new Uint32Array(W.cols + 1);
  columns.forEach((entries, c) => (colPtr[c + 1] = colPtr[c]! + entries.length));
  const flat = columns.flat();
  return { colPtr, rowIdx: Uint32Array.from(flat, ([r]) => r), perm: Uint32Array.from(flat, ([, k]) => k) };
}

describe(`N:M transpose index on WebGPU (${adapterName(gpu)}) and the host`, () => {
  for (const [name, shape] of [
    ['2:4, 13 × 80', { rows: 13, cols: 80, n: 2, m: 4 }],
    ['1:4, one row', { rows: 1, cols: 36, n: 1, m: 4 }],
    ['2:8, one group per row', { rows: 9, cols: 8, n: 2, m: 8 }],
    ['3:8, 33 × 24 (groups and rows straddle packed words)', { rows: 33, cols: 24, n: 3, m: 8 }],
    ['1:16, 7 × 48', { rows: 7, cols: 48, n: 1, m: 16 }],
    ['2:4, long columns (band-wise build)', { rows: 300, cols: 16, n: 2, m: 4 }],
  ] as const) {
    test(`${name}: GPU build = host index = naive`, async () => {
      const W = NMMatrix.random({ ...shape, seed: 11 });
      const expected = naiveTranspose(W);
      const host = W.transposeIndex();
      expect(host.colPtr).toEqual(expected.colPtr);
      expect(host.rowIdx).toEqual(expected.rowIdx);
      expect(host.perm).toEqual(expected.perm);
      if (name.includes('long columns')) expect(transposeBands(W.rows, W.cols, W.nnz)).toBeGreaterThan(1);
      const got = await runOnGpu(gpu, nmTransposeIndex, W);
      expect(got.colPtr).toEqual(expected.colPtr);
      expect(got.rowIdx).toEqual(expected.rowIdx);
      expect(got.perm).toEqual(expected.perm);
    });
  }

  test('the host index is built once per matrix', () => {
    const W = NMMatrix.random({ rows: 4, cols: 8, seed: 2 });
    expect(W.transposeIndex()).toBe(W.transposeIndex());
  });
});
