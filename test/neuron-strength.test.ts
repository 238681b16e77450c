/**
 * QuickSelection's neuron strength (kernels/neuron-strength.ts), strength[c]
 * = Σ_r |W[r, c]|, three ways: on WebGPU, the CPU twin, and a float64 loop
 * over a dense matrix written here. GPU and CPU twin must agree bit for bit
 * (both add in f32 in ascending row order; with magnitudes spread over
 * decades a different order changes low bits, so a shader walking the rows
 * in another order fails); the twin must be within rows · 2⁻²⁴ of the
 * float64 sum (a sum of positive terms). Edge cases: columns without a
 * connection (strength 0), empty rows, nnz 0, 1 × 1, more columns than a
 * workgroup, N:M with zero padding slots, dense.
 */
import { describe, expect, test } from 'vitest';
import { neuronStrength, type StrengthWeights } from '../kernels/neuron-strength.js';
import { programs } from '../kernels/programs.js';
import { CSRMatrix, DenseMatrix, NMMatrix, RandomStream } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';

const gpu = await gpuEngine();
const ctx = gpu.gpuContextForLayers()!;
const { THREADS } = programs.neuronStrengthCsr.layout.consts;

/**
 * rows × cols with about `density` nonzeros, magnitudes over six decades and
 * both signs (and -0); the columns in `emptyColumns` and rows in `emptyRows` hold none.
 */
function sparseDense(rows: number, cols: number, density: number, seed: number, emptyColumns: number[] = [], emptyRows: number[] = []): DenseMatrix {
  const r = new RandomStream(seed, 3);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    if (r.next() >= density) continue;
    const magnitude = 10 ** (r.next() * 6 - 4);
    data[i] = r.next() < 0.5 ? -magnitude : magnitude;
  }
  for (const c of emptyColumns) for (let row = 0; row < rows; row++) data[row * cols + c] = 0;
  for (const row of emptyRows) data.fill(0, row * cols, (row + 1) * cols);
  return new DenseMatrix(rows, cols, data);
}

/** Σ_r |D[r, c]| in float64, from the dense matrix alone. */
function reference(D: DenseMatrix): Float64Array {
  const out = new Float64Array(D.cols);
  for (let row = 0; row < D.rows; row++) for (let c = 0; c < D.cols; c++) out[c]! += Math.abs(D.data[row * D.cols + c]!);
  return out;
}

async function onGpu(W: StrengthWeights): Promise<Float32Array> {
  neuronStrength.validate(W);
  return ctx.run('test neuronStrength', (s) => neuronStrength.plan(s, W));
}

/** GPU = CPU twin bit for bit, and both within rows · 2⁻²⁴ (relative) of the float64 sum of `dense`. */
async function check(W: StrengthWeights, dense: DenseMatrix): Promise<Float32Array> {
  const cpu = neuronStrength.cpu(W);
  const got = await onGpu(W);
  expect(got.length).toBe(W.cols);
  const differ = got.findIndex((v, c) => !Object.is(v, cpu[c]));
  expect(differ, differ < 0 ? '' : `column ${differ}: gpu ${got[differ]} vs cpu ${cpu[differ]}`).toBe(-1);
  const expected = reference(dense);
  const tol = W.rows * 2 ** -24;
  for (let c = 0; c < W.cols; c++) {
    const error = Math.abs(cpu[c]! - expected[c]!);
    if (!(error <= tol * expected[c]!)) throw new Error(`column ${c}: ${cpu[c]} vs float64 ${expected[c]} (|diff| ${error})`);
  }
  return got;
}

describe(`neuron strength on WebGPU (${adapterName(gpu)}) vs CPU twin vs float64 loop`, () => {
  const shapes: Array<[rows: number, cols: number, density: number]> = [
    [1, 1, 1],
    [7, 5, 0.5],
    [100, 2 * THREADS + 3, 0.05],
    [1000, 784, 0.03],
    [3, THREADS + 1, 0.9],
  ];

  for (const [rows, cols, density] of shapes) {
    test(`CSR ${rows}×${cols} at density ${density}, with empty columns and rows`, async () => {
      const empty = cols > 2 ? [0, Math.floor(cols / 2), cols - 1] : [];
      const dense = sparseDense(rows, cols, density, rows + cols, empty, rows > 2 ? [1] : []);
      const got = await check(CSRMatrix.fromDense(dense), dense);
      for (const c of empty) expect(got[c]).toBe(0);
    });

    test(`dense ${rows}×${cols}`, async () => {
      const dense = sparseDense(rows, cols, Math.max(density, 0.5), rows * 3 + cols);
      await check(dense, dense);
    });
  }

  test('CSR with no connection at all: every strength 0', async () => {
    const dense = new DenseMatrix(4, 9);
    const W = CSRMatrix.fromDense(dense);
    expect(W.nnz).toBe(0);
    expect(Array.from(await check(W, dense))).toEqual(new Array(9).fill(0));
  });

  test('an SET-style Erdős–Rényi layer (784 → 1000, ε = 13)', async () => {
    const W = CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 13, seed: 5, init: 'normal' });
    await check(W, W.toDense());
  });

  for (const [n, m] of [
    [2, 4],
    [1, 4],
    [4, 8],
    [3, 16],
    [1, 2],
  ] as const) {
    test(`N:M ${n}:${m}, pruned from a matrix with empty columns (zero padding slots)`, async () => {
      const cols = m * 37;
      const dense = sparseDense(60, cols, 0.6, n * 100 + m, [1, m + 2, cols - 1]);
      const W = NMMatrix.pruneDense(dense, { n, m });
      const got = await check(W, W.toDense());
      for (const c of [1, m + 2, cols - 1]) expect(got[c]).toBe(0);
    });
  }

  test('a bad operand is an error naming W', () => {
    expect(() => neuronStrength.validate(new Float32Array(4) as unknown as StrengthWeights)).toThrow(/^W: /);
  });
});
