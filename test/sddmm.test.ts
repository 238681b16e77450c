/**
 * The sampled products of kernels/sddmm.ts (sddmmCsr, sddmmNM), three ways:
 * the WebGPU implementation, the CPU implementation and a naive loop over the
 * stored positions, on the shapes of spmm.test.ts (tolerance: KERNEL_TOL in
 * helpers/reference.ts).
 */
import { describe, expect, test } from 'vitest';
import { DenseMatrix } from '../src/index.js';
import { csrCases, nmCase, nmShapes } from './helpers/cases.js';
import { adapterName, bothEngines } from './helpers/engines.js';
import { expectEnginesAgree } from './helpers/engine-agreement.js';
import { referenceSddmm } from './helpers/reference.js';

const engines = await bothEngines();
const { gpu } = engines;

describe(`CSR kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const { name, W, batch } of csrCases) {
    test(`sddmmCsr: ${name}`, async () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 13 });
      const X = DenseMatrix.random(W.cols, batch, { seed: 14 });
      const alpha = 1 / batch;
      // Σ|terms| ≤ alpha · batch (entries are in [-1, 1]) = 1.
      const g = await expectEnginesAgree(engines, 'sddmmCsr', (e) => e.sddmmCsr(W, dY, X, { alpha }), referenceSddmm(dY, X, W.rowIndices(), W.colIdx, alpha), 1);
      expect(g.length).toBe(W.nnz);
    });
  }
});

describe(`N:M kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const shape of nmShapes) {
    const { rows, cols, batch } = shape;
    const { name, W } = nmCase(shape);

    test(`sddmmNM: ${name}`, async () => {
      const dY = DenseMatrix.random(rows, batch, { seed: 23 });
      const X = DenseMatrix.random(cols, batch, { seed: 24 });
      const slotRows = Array.from({ length: W.nnz }, (_, k) => Math.floor(k / W.slotsPerRow));
      const slotCols = Array.from({ length: W.nnz }, (_, k) => W.slotColumn(k));
      await expectEnginesAgree(engines, 'sddmmNM', (e) => e.sddmmNM(W, dY, X, { alpha: 0.5 }), referenceSddmm(dY, X, slotRows, slotCols, 0.5), batch);
    });
  }
});
