/**
 * The WebAssembly SIMD kernel of sddmm's CPU twin (kernels/wasm/sddmm.wat)
 * against a float64 dot product per stored entry, on edge cases, declining
 * batches that are not a multiple of 4; the JavaScript fallbacks give the same bits.
 */
import { describe, expect, test } from 'vitest';
import { sddmmWasm } from '../../kernels/wasm/sddmm-wasm.js';
import { sddmmCsr, sddmmNM } from '../../kernels/sddmm.js';
import { CSRMatrix, DenseMatrix, NMMatrix } from '../../src/index.js';
import { csrWithEmptyLines, emptyCsr } from '../helpers/cases.js';
import { expectSameBitsWithoutWasm } from '../helpers/wasm.js';

describe('WebAssembly SIMD SDDMM', () => {
  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 70, cols: 90, density: 0.1, seed: 21 }), 64],
    ['batch 4', CSRMatrix.random({ rows: 12, cols: 9, density: 0.4, seed: 22 }), 4],
    ['empty rows and columns, batch 36', csrWithEmptyLines(33, 29, 23), 36],
    ['nnz 0', emptyCsr(4, 6), 8],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: matches a float64 dot product per stored entry`, () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 24 });
      const X = DenseMatrix.random(W.cols, batch, { seed: 25 });
      const alpha = 1 / batch;
      const got = sddmmWasm(W.nnz, batch, alpha, W.rowIndices(), W.colIdx, dY.data, X.data)!;
      expect(got).toBeInstanceOf(Float32Array);
      expect(got).toHaveLength(W.nnz);
      const rows = W.rowIndices();
      got.forEach((v, k) => {
        let s = 0;
        for (let b = 0; b < batch; b++) s += dY.data[rows[k]! * batch + b]! * X.data[W.colIdx[k]! * batch + b]!;
        expect(Math.abs(v - alpha * s)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(alpha * s)) + 1e-7);
      });
    });
  }

  test('declines a batch that is not a multiple of 4', () => {
    expect(sddmmWasm(1, 3, 1, new Uint32Array([0]), new Uint32Array([0]), new Float32Array(3), new Float32Array(3))).toBeUndefined();
  });
});

describe('the JavaScript fallbacks compute the same float32 bits as the SIMD kernels', () => {
  const W = CSRMatrix.random({ rows: 37, cols: 45, density: 0.2, seed: 41 });
  const N = NMMatrix.random({ rows: 21, cols: 48, n: 2, m: 4, seed: 42 });
  const cases: Array<[string, () => Float32Array]> = [
    ['sddmmCsr', () => sddmmCsr.cpu(W, DenseMatrix.random(37, 20, { seed: 47 }), DenseMatrix.random(45, 20, { seed: 48 }), { alpha: 1 / 20 })],
    ['sddmmNM', () => sddmmNM.cpu(N, DenseMatrix.random(21, 16, { seed: 49 }), DenseMatrix.random(48, 16, { seed: 50 }), { alpha: 0.3 })],
  ];
  for (const [name, run] of cases) test(name, () => expectSameBitsWithoutWasm(run));
});
