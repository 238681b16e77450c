/**
 * SET regrowth: the GPU rounds produce exactly the CPU twin's layer for the
 * same seed; nnz is restored; rows stay sorted without duplicates (the
 * CSRMatrix constructor validates both); kept weights keep their value and
 * optimizer state; new weights start within ±limit with zero state; new
 * positions are uniform.
 */
import { describe, expect, test } from 'vitest';
import { regrowCsrCpu } from '../../kernels/set/regrow.js';
import { regrowBands } from '../../kernels/set/regrow.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import { CSRMatrix, DenseMatrix } from '../../src/index.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { expectGrowthInvariants, prunedLayer } from '../helpers/evolution.js';
import { regrowCsrGpu } from '../helpers/gpu-wrappers.js';

const engine = await gpuEngine();
const ctx = new GpuContext(engine.device!, false, undefined);
// The gpu kernel profile forced on SwiftShader: validation and merge by a thread per candidate or entry, not per row.
const gpuShaped = new GpuContext(engine.device!, false, undefined, undefined, 'gpu');

describe(`SET regrowth on WebGPU (${adapterName(engine)}) vs the CPU twin`, () => {
  const cases: Array<[string, ReturnType<typeof prunedLayer>]> = [
    ['784→300 at 5 %, ζ = 0.3', prunedLayer(300, 784, 0.05, 0.3, 1)],
    ['ζ = 1 (everything regrown)', prunedLayer(60, 50, 0.1, 1, 2)],
    ['ζ = 0 (boundary weights only)', prunedLayer(40, 30, 0.2, 0, 3)],
    ['nearly dense: few absent positions remain', prunedLayer(12, 10, 0.97, 0.3, 4)],
    ['one row', prunedLayer(1, 500, 0.3, 0.3, 5)],
    // Fewer candidates than rows: one column band per row (regrowBands).
    ['tall and sparse: one band per row', prunedLayer(2000, 30, 0.02, 0.3, 6)],
    // Long rows and many candidates per cell: cellmates drawing the same column, several rounds.
    ['dense-ish and wide', prunedLayer(20, 300, 0.9, 0.5, 7)],
  ];
  for (const [name, { W, kept }] of cases) {
    test.each([
      ['emulation', ctx],
      ['gpu', gpuShaped],
    ] as const)(`${name} (%s kernels)`, async (_profile, context) => {
      const limit = Math.sqrt(6 / W.cols);
      const cpu = regrowCsrCpu(kept.W, kept.state, W.nnz, 77, limit);
      const gpu = await regrowCsrGpu(context, kept.W, kept.state, W.nnz, 77, limit);
      expect(gpu.W.rowPtr).toEqual(cpu.W.rowPtr);
      expect(gpu.W.colIdx).toEqual(cpu.W.colIdx);
      expect(gpu.W.values).toEqual(cpu.W.values);
      expect(gpu.state).toEqual(cpu.state);
      expect(gpu.rounds).toBe(cpu.rounds);
      expectGrowthInvariants(gpu, kept, W.nnz, (value, state) => {
        expect(state).toBe(0);
        expect(Math.abs(value)).toBeLessThanOrEqual(limit);
      });
    });
  }

  test('candidate cells: about one candidate each, no more cells than candidates and rows, bands cover the columns', () => {
    for (const [rows, cols, candidates] of [[300, 784, 4400], [2000, 30, 450], [1, 500, 200], [12, 10, 5000], [7, 1, 100], [1_000_000, 1_000_000, 750_000]] as const) {
      const { bands, colsPerBand } = regrowBands(rows, cols, candidates);
      expect(bands).toBeGreaterThanOrEqual(1);
      expect(bands).toBeLessThanOrEqual(cols);
      expect(bands * colsPerBand).toBeGreaterThanOrEqual(cols); // the last column has a band
      expect((bands - 1) * colsPerBand).toBeLessThan(cols); // and no band is empty
      expect(rows * bands).toBeLessThanOrEqual(Math.max(candidates, rows));
    }
    expect(regrowBands(2000, 30, 450).bands).toBe(1);
  });

  test.each([
    ['emulation', ctx],
    ['gpu', gpuShaped],
  ] as const)('a fully dense target terminates and fills every position (%s kernels)', async (_profile, context) => {
    const kept = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0], [0, 0, 2]]));
    const state = new Float32Array(2);
    const gpu = await regrowCsrGpu(context, kept, state, 6, 5, 0.5);
    expect(gpu.W.nnz).toBe(6);
    expect(Array.from(gpu.W.colIdx)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(gpu.W.values[0]).toBe(1);
    expect(gpu.W.values[5]).toBe(2);
  });

  test('new positions are uniform over rows and columns (chi-square, 99.9 % critical values)', () => {
    // 50 × 40 layer with nothing kept: regrow 400 positions per seed, 40 seeds.
    const empty = new CSRMatrix({ rows: 50, cols: 40, rowPtr: new Uint32Array(51), colIdx: new Uint32Array(0), values: new Float32Array(0) });
    const rowCounts = new Float64Array(50);
    const colCounts = new Float64Array(40);
    for (let seed = 0; seed < 40; seed++) {
      const { W } = regrowCsrCpu(empty, new Float32Array(0), 400, seed, 1);
      W.rowCounts().forEach((c, r) => (rowCounts[r]! += c));
      W.colIdx.forEach((c) => colCounts[c]!++);
    }
    const chi2 = (counts: Float64Array) => {
      const e = counts.reduce((a, b) => a + b, 0) / counts.length;
      return counts.reduce((a, o) => a + ((o - e) * (o - e)) / e, 0);
    };
    // Critical values at p = 0.001: 85.35 (49 dof), 73.40 (39 dof). Sampling without
    // replacement within a seed only lowers the variance.
    expect(chi2(rowCounts)).toBeLessThan(85.35);
    expect(chi2(colCounts)).toBeLessThan(73.4);
  });

  test('deterministic for a seed, different across seeds', () => {
    const { W, kept } = prunedLayer(30, 30, 0.2, 0.3, 9);
    const a = regrowCsrCpu(kept.W, kept.state, W.nnz, 1, 0.1);
    const b = regrowCsrCpu(kept.W, kept.state, W.nnz, 1, 0.1);
    const c = regrowCsrCpu(kept.W, kept.state, W.nnz, 2, 0.1);
    expect(a.W.colIdx).toEqual(b.W.colIdx);
    expect(a.W.colIdx).not.toEqual(c.W.colIdx);
  });
});
