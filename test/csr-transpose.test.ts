/**
 * The CSR's derived indices built on the GPU (kernels/csr-transpose.ts: the
 * row of each nonzero and the transpose index) equal the host's, on the
 * row-wise and the band-wise counting paths.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix } from '../src/index.js';
import { csrDerivedIndices, transposeBands } from '../kernels/csr-transpose.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr, transposedCsr } from './helpers/cases.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';
import { GpuContext } from '../src/gpu/gpu-context.js';

const gpu = await gpuEngine();

const cases: Array<[string, CSRMatrix]> = [
    ['random', CSRMatrix.random({ rows: 300, cols: 200, density: 0.05, seed: 1 })],
    ['power-law rows', powerLawCsr(80, 120, 2)],
    ['empty rows and columns', csrWithEmptyLines(40, 33, 3)],
    ['nnz 0', emptyCsr(5, 7)],
    // Mean column length ≥ 32: the band-wise counting path (transposeBands > 1).
    ['long columns', CSRMatrix.random({ rows: 701, cols: 23, density: 0.3, seed: 4 })],
    ['long columns, one row per band (fully dense)', CSRMatrix.random({ rows: 40, cols: 9, density: 1, seed: 5 })],
    ['long columns, empty rows and columns', csrWithEmptyLines(400, 9, 6)],
    ['long columns, power-law column lengths', transposedCsr(powerLawCsr(40, 2000, 7))],
    // Bands of several rows with rows of very different lengths (the per-entry search of the gpu profile).
    ['long columns, rows of every length', rowsOfEveryLength(500, 40)],
];

/** Row r holds (r · 7) mod (cols + 1) columns, spread by a stride: empty, full and everything between, in bands of several rows. */
function rowsOfEveryLength(rows: number, cols: number): CSRMatrix {
  const rowIndices: number[] = [];
  const colIndices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const len = (r * 7) % (cols + 1);
    for (let i = 0; i < len; i++) {
      rowIndices.push(r);
      colIndices.push((r + i * 3) % cols);
    }
  }
  return CSRMatrix.fromCOO({ rows, cols, rowIndices, colIndices, values: rowIndices.map((_, i) => i + 1) });
}

/** A naive transpose index: columns in order, each column's entries in row order. */
function naiveTranspose(W: CSRMatrix): { rowOf: Uint32Array; colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array } {
  const rowOf = new Uint32Array(W.nnz);
  const byColumn: Array<Array<[number, number]>> = Array.from({ length: W.cols }, () => []);
  for (let r = 0; r < W.rows; r++) {
    for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) {
      rowOf[k] = r;
      byColumn[W.colIdx[k]!]!.push([r, k]);
    }
  }
  const colPtr = new Uint32Array(W.cols + 1);
  byColumn.forEach((entries, c) => (colPtr[c + 1] = colPtr[c]! + entries.length));
  const flat = byColumn.flat();
  return { rowOf, colPtr, rowIdx: Uint32Array.from(flat, ([r]) => r), perm: Uint32Array.from(flat, ([, k]) => k) };
}

// Both kernel profiles on SwiftShader: 'emulation' (a thread per row and per band) and 'gpu' (a thread per entry, no serial walks).
for (const profile of ['emulation', 'gpu'] as const) {
  describe(`CSR derived indices built on WebGPU (${adapterName(gpu)}), ${profile} kernels`, () => {
    const ctx = new GpuContext(gpu.device!, false, undefined, undefined, profile);
    for (const [name, W] of cases) {
      test(`${name}: rowOf and transpose index equal the host's and a naive loop's`, async () => {
        const expected = csrDerivedIndices.cpu(W);
        expect(expected).toEqual(naiveTranspose(W));
        if (name.startsWith('long columns')) expect(transposeBands(W.rows, W.cols, W.nnz)).toBeGreaterThan(1);
        else expect(transposeBands(W.rows, W.cols, W.nnz)).toBe(1);
        csrDerivedIndices.validate(W);
        const got = await ctx.run(csrDerivedIndices.name, (s) => csrDerivedIndices.plan(s, W));
        expect(got.rowOf).toEqual(expected.rowOf);
        expect(got.colPtr).toEqual(expected.colPtr);
        expect(got.rowIdx).toEqual(expected.rowIdx);
        expect(got.perm).toEqual(expected.perm);
      });
    }
  });
}

test('runOnGpu (the engine\'s own profile) builds the same index', async () => {
  const W = CSRMatrix.random({ rows: 120, cols: 10, density: 0.5, seed: 9 });
  expect(await runOnGpu(gpu, csrDerivedIndices, W)).toEqual(csrDerivedIndices.cpu(W));
});
