/**
 * Every kernel, three ways: the WebGPU implementation, the CPU implementation
 * and an independent reference (mathjs on the dense forms, or a naive loop),
 * on seeded random shapes and on edge cases.
 *
 * Tolerance: float32 summation of K terms has a forward error bounded by about
 * K·ε·Σ|terms| (ε = 2^-24 ≈ 6e-8); typical errors grow like sqrt(K)·ε·Σ|terms|.
 * We compare with |diff| ≤ 1e-5 · max(1, Σ|terms|) per output: loose enough
 * for any summation order at K ≤ ~100 terms of typical cancellation and a few
 * thousand worst case, tight enough that one wrong or missing term (which is
 * of order Σ|terms|/K) is caught.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, NMMatrix, type Engine } from '../src/index.js';
import { absProductScale, csrWithEmptyLines, emptyCsr, powerLawCsr } from './helpers/cases.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectClose, referenceMatMul, referenceSddmm } from './helpers/reference.js';
import { nmWordAligned } from '../kernels/spmm.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();
const TOL = 1e-5;

interface CsrCase {
  name: string;
  W: CSRMatrix;
  batch: number;
}

const csrCases: CsrCase[] = [
  { name: 'random 37×50 batch 9', W: CSRMatrix.random({ rows: 37, cols: 50, density: 0.2, seed: 1, init: 'uniform' }), batch: 9 },
  { name: 'random 130×70 batch 128', W: CSRMatrix.random({ rows: 130, cols: 70, density: 0.1, seed: 2, init: 'uniform' }), batch: 128 },
  { name: 'random 200×300 batch 67 (not tile multiples)', W: CSRMatrix.random({ rows: 200, cols: 300, density: 0.05, seed: 3, init: 'uniform' }), batch: 67 },
  { name: 'batch 1', W: CSRMatrix.random({ rows: 65, cols: 33, density: 0.3, seed: 4, init: 'uniform' }), batch: 1 },
  { name: '1×1', W: CSRMatrix.random({ rows: 1, cols: 1, density: 1, seed: 5, init: 'uniform' }), batch: 1 },
  { name: 'density 1', W: CSRMatrix.random({ rows: 19, cols: 23, density: 1, seed: 6, init: 'uniform' }), batch: 5 },
  { name: 'nnz 0', W: emptyCsr(17, 29), batch: 4 },
  { name: 'empty rows and columns', W: csrWithEmptyLines(41, 37, 7), batch: 13 },
  { name: 'power-law rows (one row ≫ others)', W: powerLawCsr(97, 300, 8), batch: 70 },
  // Batch a multiple of 4 takes the vec4 loads: a partial tile inside one thread's 16 columns, and across tiles.
  { name: 'batch 20 (vec4 loads, partial tile)', W: CSRMatrix.random({ rows: 45, cols: 61, density: 0.2, seed: 10, init: 'uniform' }), batch: 20 },
  { name: 'power-law rows, batch 136 (vec4, two tiles)', W: powerLawCsr(83, 150, 11), batch: 136 },
  { name: 'long rows (chunking)', W: CSRMatrix.random({ rows: 9, cols: 1000, density: 0.6, seed: 9, init: 'uniform' }), batch: 3 },
];

describe(`CSR kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const { name, W, batch } of csrCases) {
    test(`spmmCsr: ${name}`, async () => {
      const X = DenseMatrix.random(W.cols, batch, { seed: 11 });
      const ref = referenceMatMul(W.toDense(), X).flat();
      const scale = absProductScale(W.toDense(), X);
      const [g, c] = await Promise.all([gpu.spmmCsr(W, X), cpu.spmmCsr(W, X)]);
      expect([g.rows, g.cols]).toEqual([W.rows, batch]);
      expectClose(g.data, ref, scale, 'gpu vs mathjs', TOL);
      expectClose(c.data, ref, scale, 'cpu vs mathjs', TOL);
      expectClose(g.data, c.data, scale, 'gpu vs cpu', TOL);
    });

    test(`spmmCsrT: ${name}`, async () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 12 });
      const ref = referenceMatMul(W.toDense(), dY, { transA: true }).flat();
      const scale = absProductScale(W.toDense(), dY, true);
      const [g, c] = await Promise.all([gpu.spmmCsrT(W, dY), cpu.spmmCsrT(W, dY)]);
      expect([g.rows, g.cols]).toEqual([W.cols, batch]);
      expectClose(g.data, ref, scale, 'gpu vs mathjs', TOL);
      expectClose(c.data, ref, scale, 'cpu vs mathjs', TOL);
    });

    test(`sddmmCsr: ${name}`, async () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 13 });
      const X = DenseMatrix.random(W.cols, batch, { seed: 14 });
      const alpha = 1 / batch;
      const ref = referenceSddmm(dY, X, W.rowIndices(), W.colIdx, alpha);
      const [g, c] = await Promise.all([gpu.sddmmCsr(W, dY, X, { alpha }), cpu.sddmmCsr(W, dY, X, { alpha })]);
      expect(g.length).toBe(W.nnz);
      // Σ|terms| ≤ alpha · batch (entries are in [-1, 1]) = 1.
      expectClose(g, ref, 1, 'gpu vs loop', TOL);
      expectClose(c, ref, 1, 'cpu vs loop', TOL);
    });
  }
});

const nmShapes: Array<{ n: number; m: number; rows: number; cols: number; batch: number }> = [
  { n: 2, m: 4, rows: 33, cols: 64, batch: 9 },
  { n: 2, m: 4, rows: 130, cols: 260, batch: 128 },
  { n: 1, m: 4, rows: 21, cols: 44, batch: 1 },
  { n: 2, m: 8, rows: 50, cols: 96, batch: 70 },
  { n: 1, m: 2, rows: 7, cols: 6, batch: 3 },
  { n: 4, m: 16, rows: 12, cols: 48, batch: 5 },
  { n: 4, m: 4, rows: 5, cols: 8, batch: 2 },
  { n: 2, m: 4, rows: 1, cols: 4, batch: 1 },
  { n: 2, m: 8, rows: 19, cols: 40, batch: 12 },
  { n: 1, m: 4, rows: 40, cols: 24, batch: 132 },
  // Word-aligned rows (nmWordAligned): the gather's flat loop loads a packed word every 32 / log2(M) slots.
  { n: 2, m: 8, rows: 13, cols: 80, batch: 8 },
  { n: 2, m: 4, rows: 37, cols: 96, batch: 12 },
  { n: 4, m: 16, rows: 9, cols: 64, batch: 8 },
  { n: 1, m: 2, rows: 11, cols: 128, batch: 7 },
];

describe(`N:M kernels on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  test('the shapes cover both gather layouts, with scalar and vec4 loads', () => {
    const aligned = nmShapes.filter((sh) => nmWordAligned(sh));
    expect(aligned.length).toBeGreaterThanOrEqual(3);
    expect(aligned.some((sh) => sh.batch % 4 === 0) && aligned.some((sh) => sh.batch % 4 !== 0)).toBe(true);
    expect(nmShapes.some((sh) => !nmWordAligned(sh) && sh.batch % 4 === 0)).toBe(true);
  });
  for (const { n, m, rows, cols, batch } of nmShapes) {
    const name = `${n}:${m} ${rows}×${cols} batch ${batch}`;
    // Pruning a dense random matrix exercises real magnitude choices; zeroing some
    // groups exercises zero-valued padding slots.
    const dense = DenseMatrix.random(rows, cols, { seed: rows * 7 + cols });
    for (let i = 0; i < dense.data.length; i += 11 * m) dense.data.fill(0, i, i + m);
    const W = NMMatrix.pruneDense(dense, { n, m });

    test(`spmmNM: ${name}`, async () => {
      const X = DenseMatrix.random(cols, batch, { seed: 21 });
      const Wd = W.toDense();
      const ref = referenceMatMul(Wd, X).flat();
      const scale = absProductScale(Wd, X);
      const [g, c] = await Promise.all([gpu.spmmNM(W, X), cpu.spmmNM(W, X)]);
      expectClose(g.data, ref, scale, 'gpu vs mathjs', TOL);
      expectClose(c.data, ref, scale, 'cpu vs mathjs', TOL);
    });

    test(`spmmNMT: ${name}`, async () => {
      const dY = DenseMatrix.random(rows, batch, { seed: 22 });
      const Wd = W.toDense();
      const ref = referenceMatMul(Wd, dY, { transA: true }).flat();
      const scale = absProductScale(Wd, dY, true);
      const [g, c] = await Promise.all([gpu.spmmNMT(W, dY), cpu.spmmNMT(W, dY)]);
      expect([g.rows, g.cols]).toEqual([cols, batch]);
      expectClose(g.data, ref, scale, 'gpu vs mathjs', TOL);
      expectClose(c.data, ref, scale, 'cpu vs mathjs', TOL);
    });

    test(`sddmmNM: ${name}`, async () => {
      const dY = DenseMatrix.random(rows, batch, { seed: 23 });
      const X = DenseMatrix.random(cols, batch, { seed: 24 });
      const slotRows = Array.from({ length: W.nnz }, (_, k) => Math.floor(k / W.slotsPerRow));
      const slotCols = Array.from({ length: W.nnz }, (_, k) => W.slotColumn(k));
      const ref = referenceSddmm(dY, X, slotRows, slotCols, 0.5);
      const [g, c] = await Promise.all([gpu.sddmmNM(W, dY, X, { alpha: 0.5 }), cpu.sddmmNM(W, dY, X, { alpha: 0.5 })]);
      expectClose(g, ref, batch, 'gpu vs loop', TOL);
      expectClose(c, ref, batch, 'cpu vs loop', TOL);
    });
  }
});

const gemmShapes: Array<[m: number, k: number, n: number]> = [
  [64, 64, 64],
  [1, 1, 1],
  [65, 17, 129],
  [100, 300, 7],
  [3, 200, 1],
  [128, 33, 70],
  [5, 0, 6],
];

describe(`dense GEMM on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const [m, k, n] of gemmShapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        test(`gemm ${m}×${k}·${k}×${n} transA=${transA} transB=${transB}`, async () => {
          const A = transA ? DenseMatrix.random(k, m, { seed: 31 }) : DenseMatrix.random(m, k, { seed: 31 });
          const B = transB ? DenseMatrix.random(n, k, { seed: 32 }) : DenseMatrix.random(k, n, { seed: 32 });
          const ref = referenceMatMul(A, B, { transA, transB }).flat();
          const options = { transA, transB, alpha: 1 };
          const [g, c] = await Promise.all([gpu.gemm(A, B, options), cpu.gemm(A, B, options)]);
          expect([g.rows, g.cols]).toEqual([m, n]);
          // Entries in [-1, 1]: Σ|terms| ≤ k.
          expectClose(g.data, ref, k, 'gpu vs mathjs', TOL);
          expectClose(c.data, ref, k, 'cpu vs mathjs', TOL);
        });
      }
    }
  }

  test('gemm alpha scales the product', async () => {
    const A = DenseMatrix.random(10, 12, { seed: 41 });
    const B = DenseMatrix.random(12, 9, { seed: 42 });
    const ref = referenceMatMul(A, B).flat().map((v) => -2.5 * v);
    const g = await gpu.gemm(A, B, { alpha: -2.5 });
    expectClose(g.data, ref, 30, 'gpu vs mathjs', TOL);
  });
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
