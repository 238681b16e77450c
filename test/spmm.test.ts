/**
 * The sparse products of kernels/spmm.ts (spmmCsr, spmmCsrT, spmmNM, spmmNMT),
 * three ways: the WebGPU implementation, the CPU implementation and mathjs on
 * the dense forms, on seeded random shapes and on edge cases (tolerance:
 * KERNEL_TOL in helpers/reference.ts).
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, type Engine } from '../src/index.js';
import { absProductScale, csrCases, nmCase, nmShapes } from './helpers/cases.js';
import { adapterName, bothEngines } from './helpers/engines.js';
import { expectEnginesAgree } from './helpers/engine-agreement.js';
import { expectClose, KERNEL_TOL as TOL, referenceMatMul } from './helpers/reference.js';
import { nmWordAligned } from '../kernels/spmm.js';

const engines = await bothEngines();
const { gpu, cpu } = engines;

describe(`CSR kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const { name, W, batch } of csrCases) {
    test(`spmmCsr: ${name}`, async () => {
      const X = DenseMatrix.random(W.cols, batch, { seed: 11 });
      const g = await expectEnginesAgree(engines, 'spmmCsr', (e) => e.spmmCsr(W, X), referenceMatMul(W.toDense(), X).flat(), absProductScale(W.toDense(), X));
      expect([g.rows, g.cols]).toEqual([W.rows, batch]);
    });

    test(`spmmCsrT: ${name}`, async () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 12 });
      const g = await expectEnginesAgree(engines, 'spmmCsrT', (e) => e.spmmCsrT(W, dY), referenceMatMul(W.toDense(), dY, { transA: true }).flat(), absProductScale(W.toDense(), dY, true));
      expect([g.rows, g.cols]).toEqual([W.cols, batch]);
    });
  }
});

describe(`N:M kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  test('the shapes cover both gather layouts, with scalar and vec4 loads', () => {
    const aligned = nmShapes.filter((sh) => nmWordAligned(sh));
    expect(aligned.length).toBeGreaterThanOrEqual(3);
    expect(aligned.some((sh) => sh.batch % 4 === 0) && aligned.some((sh) => sh.batch % 4 !== 0)).toBe(true);
    expect(nmShapes.some((sh) => !nmWordAligned(sh) && sh.batch % 4 === 0)).toBe(true);
  });
  for (const shape of nmShapes) {
    const { rows, cols, batch } = shape;
    const { name, W } = nmCase(shape);

    test(`spmmNM: ${name}`, async () => {
      const X = DenseMatrix.random(cols, batch, { seed: 21 });
      const Wd = W.toDense();
      await expectEnginesAgree(engines, 'spmmNM', (e) => e.spmmNM(W, X), referenceMatMul(Wd, X).flat(), absProductScale(Wd, X));
    });

    test(`spmmNMT: ${name}`, async () => {
      const dY = DenseMatrix.random(rows, batch, { seed: 22 });
      const Wd = W.toDense();
      const g = await expectEnginesAgree(engines, 'spmmNMT', (e) => e.spmmNMT(W, dY), referenceMatMul(Wd, dY, { transA: true }).flat(), absProductScale(Wd, dY, true));
      expect([g.rows, g.cols]).toEqual([cols, batch]);
    });
  }
});

describe('dispatch folding beyond 65,535 workgroups', () => {
  test('spmmCsr with 300,000 rows (75,000 row tiles) covers every row', async () => {
    const rows = 300_000;
    const rowPtr = new Uint32Array(rows + 1);
    for (let r = 0; r < rows; r++) rowPtr[r + 1] = r + 1;
    const colIdx = new Uint32Array(rows).map((_, r) => r % 3);
    const values = new Float32Array(rows).map((_, r) => (r % 7) + 1);
    const W = new CSRMatrix({ rows, cols: 3, rowPtr, colIdx, values });
    const X = new DenseMatrix(3, 1, [1, 10, 100]);
    const g = await gpu.spmmCsr(W, X);
    for (let r = 0; r < rows; r++) {
      const expected = ((r % 7) + 1) * [1, 10, 100][r % 3]!;
      if (g.data[r] !== expected) throw new Error(`row ${r}: ${g.data[r]} ≠ ${expected}`);
    }
  });
});

describe('engines agree on a larger layer-sized problem', () => {
  test.each([
    ['gpu', gpu],
    ['cpu', cpu],
  ] as Array<[string, Engine]>)('%s: 784→1000 at ε = 20, batch 128, forward then backward', async (_, engine) => {
    const W = CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 51 });
    const X = DenseMatrix.random(784, 128, { seed: 52 });
    const Y = await engine.spmmCsr(W, X);
    const dX = await engine.spmmCsrT(W, Y);
    const dense = W.toDense();
    const refY = referenceMatMul(dense, X).flat();
    expectClose(Y.data, refY, absProductScale(dense, X), 'Y', TOL);
    expect(dX.rows).toBe(784);
  });
});
