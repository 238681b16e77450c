/**
 * The WebAssembly SIMD kernels of spmm's CPU twin (kernels/wasm/spmm.wat:
 * gather and scatter) against naive float64 loops: they must be the path taken
 * here (Node has WebAssembly SIMD), and agree on the edge cases — empty rows,
 * nnz 0, odd and even row lengths, batch 4, the permuted values of the
 * transpose path, chunked and remainder columns — while declining batches that
 * are not a multiple of 4; the JavaScript fallbacks give the same bits.
 */
import { describe, expect, test } from 'vitest';
import { gatherWasm, scatterWasm, wasmGatherAvailable } from '../../kernels/wasm/spmm-wasm.js';
import { spmmCsr, spmmCsrT, spmmNM, spmmNMT } from '../../kernels/spmm.js';
import { createEngine, CSRMatrix, DenseMatrix, NMMatrix } from '../../src/index.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr } from '../helpers/cases.js';
import { expectSameBitsWithoutWasm, withoutWasm } from '../helpers/wasm.js';

function naive(rows: number, batch: number, ptr: Uint32Array, idx: Uint32Array, values: Float32Array, perm: Uint32Array | undefined, x: Float32Array): Float64Array {
  const out = new Float64Array(rows * batch);
  for (let r = 0; r < rows; r++) {
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) {
      const v = values[perm ? perm[k]! : k]!;
      for (let b = 0; b < batch; b++) out[r * batch + b]! += v * x[idx[k]! * batch + b]!;
    }
  }
  return out;
}

describe('WebAssembly SIMD gather', () => {
  test('is available in this environment (the CPU backend uses it, and says so)', async () => {
    expect(wasmGatherAvailable()).toBe(true);
    const engine = await createEngine({ backend: 'cpu' });
    expect(engine.cpuKernels).toBe('wasm-simd');
    expect(withoutWasm(() => engine.cpuKernels)).toBe('javascript');
    engine.dispose();
  });

  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 97, cols: 120, density: 0.1, seed: 1 }), 64],
    ['batch 4', CSRMatrix.random({ rows: 30, cols: 17, density: 0.3, seed: 2 }), 4],
    ['empty rows and columns', csrWithEmptyLines(41, 37, 3), 12],
    ['power-law rows (odd and even lengths)', powerLawCsr(60, 90, 4), 20],
    ['nnz 0', emptyCsr(9, 5), 8],
    ['dense rows', CSRMatrix.random({ rows: 5, cols: 33, density: 1, seed: 5 }), 132],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: W·X and Wᵀ·dY match a float64 loop`, () => {
      const X = DenseMatrix.random(W.cols, batch, { seed: 7 });
      const forward = gatherWasm(W.rows, batch, W.rowPtr, W.colIdx, W.values, undefined, X.data)!;
      expect(forward).toBeInstanceOf(Float32Array);
      const expected = naive(W.rows, batch, W.rowPtr, W.colIdx, W.values, undefined, X.data);
      forward.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i]!))));

      const t = W.transposeIndex();
      const dY = DenseMatrix.random(W.rows, batch, { seed: 8 });
      const backward = gatherWasm(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data)!;
      const expectedT = naive(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data);
      backward.forEach((v, i) => expect(Math.abs(v - expectedT[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expectedT[i]!))));
    });
  }

  test('declines a batch that is not a multiple of 4 (the JavaScript loop takes it)', () => {
    const W = CSRMatrix.random({ rows: 6, cols: 7, density: 0.5, seed: 9 });
    expect(gatherWasm(W.rows, 6, W.rowPtr, W.colIdx, W.values, undefined, new Float32Array(7 * 6))).toBeUndefined();
  });

  test('grows its memory for a large operand and stays correct afterwards', () => {
    const W = CSRMatrix.random({ rows: 2000, cols: 3000, density: 0.05, seed: 10 });
    const X = DenseMatrix.random(3000, 128, { seed: 11 });
    const big = gatherWasm(W.rows, 128, W.rowPtr, W.colIdx, W.values, undefined, X.data)!;
    const expected = naive(W.rows, 128, W.rowPtr, W.colIdx, W.values, undefined, X.data);
    let worst = 0;
    big.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!) / (1 + Math.abs(expected[i]!)))));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('WebAssembly SIMD scatter (transpose of row-stored weights)', () => {
  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 50, cols: 70, density: 0.2, seed: 31 }), 64],
    ['empty rows and columns, batch 4', csrWithEmptyLines(21, 17, 32), 4],
    ['nnz 0', emptyCsr(3, 5), 12],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: Wᵀ·dY matches a float64 loop (and the transpose-index gather)`, () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 33 });
      const got = scatterWasm(W.rows, W.cols, batch, W.rowPtr, W.colIdx, W.values, dY.data)!;
      expect(got).toHaveLength(W.cols * batch);
      const t = W.transposeIndex();
      const expected = naive(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i]!))));
    });
  }

  test('declines a batch that is not a multiple of 4, and zeroes reused memory', () => {
    const W = CSRMatrix.random({ rows: 4, cols: 6, density: 0.5, seed: 34 });
    expect(scatterWasm(W.rows, W.cols, 2, W.rowPtr, W.colIdx, W.values, new Float32Array(8))).toBeUndefined();
    // A second, smaller call into the same memory starts from zeros, not the first call's sums.
    const big = CSRMatrix.random({ rows: 40, cols: 60, density: 0.5, seed: 35 });
    scatterWasm(big.rows, big.cols, 8, big.rowPtr, big.colIdx, big.values, DenseMatrix.random(40, 8, { seed: 36 }).data);
    const empty = emptyCsr(2, 3);
    expect(Array.from(scatterWasm(2, 3, 4, empty.rowPtr, empty.colIdx, empty.values, new Float32Array(8))!)).toEqual(new Array(12).fill(0));
  });
});

describe('the JavaScript fallbacks compute the same float32 bits as the SIMD kernels', () => {
  const W = CSRMatrix.random({ rows: 37, cols: 45, density: 0.2, seed: 41 });
  const N = NMMatrix.random({ rows: 21, cols: 48, n: 2, m: 4, seed: 42 });
  const cases: Array<[string, () => Float32Array]> = [
    ['spmmCsr', () => spmmCsr.cpu(W, DenseMatrix.random(45, 36, { seed: 43 })).data],
    ['spmmCsrT', () => spmmCsrT.cpu(W, DenseMatrix.random(37, 12, { seed: 44 })).data],
    ['spmmNM', () => spmmNM.cpu(N, DenseMatrix.random(48, 8, { seed: 45 })).data],
    ['spmmNMT', () => spmmNMT.cpu(N, DenseMatrix.random(21, 40, { seed: 46 })).data],
  ];
  for (const [name, run] of cases) test(name, () => expectSameBitsWithoutWasm(run));
});
