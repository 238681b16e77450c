/**
 * The CSR's derived indices built on the GPU (kernels/csr-transpose.ts: the
 * row of each nonzero and the transpose index) equal the host's, on the
 * row-wise and the band-wise counting paths.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix } from '../src/index.js';
import { csrDerivedIndices, transposeBands } from '../kernels/csr-transpose.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr } from './helpers/cases.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';

const gpu = await gpuEngine();

/** Wᵀ as a CSR (via COO), e.g. to turn skewed rows into skewed columns. */
function transposed(W: CSRMatrix): CSRMatrix {
  const rows = W.rowIndices();
  return CSRMatrix.fromCOO({ rows: W.cols, cols: W.rows, rowIndices: Array.from(W.colIdx), colIndices: Array.from(rows), values: Array.from(W.values) });
}

describe(`CSR derived indices built on WebGPU (${adapterName(gpu)})`, () => {
  for (const [name, W] of [
    ['random', CSRMatrix.random({ rows: 300, cols: 200, density: 0.05, seed: 1 })],
    ['power-law rows', powerLawCsr(80, 120, 2)],
    ['empty rows and columns', csrWithEmptyLines(40, 33, 3)],
    ['nnz 0', emptyCsr(5, 7)],
    // Mean column length ≥ 32: the band-wise counting path (transposeBands > 1).
    ['long columns', CSRMatrix.random({ rows: 701, cols: 23, density: 0.3, seed: 4 })],
    ['long columns, one row per band (fully dense)', CSRMatrix.random({ rows: 40, cols: 9, density: 1, seed: 5 })],
    ['long columns, empty rows and columns', csrWithEmptyLines(400, 9, 6)],
    ['long columns, power-law column lengths', transposed(powerLawCsr(40, 2000, 7))],
  ] as Array<[string, CSRMatrix]>) {
    test(`${name}: rowOf and transpose index equal the host's`, async () => {
      const expected = csrDerivedIndices.cpu(W);
      if (name.startsWith('long columns')) expect(transposeBands(W.rows, W.cols, W.nnz)).toBeGreaterThan(1);
      else expect(transposeBands(W.rows, W.cols, W.nnz)).toBe(1);
      const got = await runOnGpu(gpu, csrDerivedIndices, W);
      expect(got.rowOf).toEqual(expected.rowOf);
      expect(got.colPtr).toEqual(expected.colPtr);
      expect(got.rowIdx).toEqual(expected.rowIdx);
      expect(got.perm).toEqual(expected.perm);
    });
  }
});
