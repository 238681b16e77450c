/**
 * The sparse products of kernels/spmm.ts (spmmCsr, spmmCsrT, spmmNM, spmmNMT),
 * three ways: the WebGPU implementation, the CPU implementation and mathjs on
 * the dense forms, on seeded random shapes and on edge cases (tolerance:
 * KERNEL_TOL in helpers/reference.ts).
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, type Engine } from '../src/index.js';
import { absProductScale, csrCases, nmCase, nmShapes } from './helpers/cases.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectClose, KERNEL_TOL as TOL, referenceMatMul } from './helpers/reference.js';
import { nmWordAligned } from '../kernels/spmm.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

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
