/**
 * SET regrowth: the GPU rounds produce exactly the CPU twin's layer for the
 * same seed; nnz is restored; rows stay sorted without duplicates (the
 * CSRMatrix constructor validates both); kept weights keep their value and
 * optimizer state; new weights start within ±limit with zero state; new
 * positions are uniform.
 */
import { describe, expect, test, vi } from 'vitest';
import { candidatesForRound, MAX_CANDIDATES_PER_ROUND, regrowCsrCpu, ROUNDS_AHEAD } from '../../kernels/set/regrow.js';
import { regrowBands } from '../../kernels/set/regrow.js';
import { programs } from '../../kernels/programs.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import { CSRMatrix, DenseMatrix, RandomStream } from '../../src/index.js';
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

describe(`a round's size on WebGPU (${adapterName(engine)}): sizeRound = candidatesForRound, exactly`, () => {
  const THREADS = programs.regrowGenerate.layout.consts.THREADS;

  test('the integer rule: 1.25 × remaining × N / absent, + 16, capped; 0 when nothing remains', () => {
    expect(candidatesForRound(0, 10, 10, 50)).toBe(0);
    // 300 of 1,000 positions remain to fill, 400 absent: ceil(5 · 300 · 1000 / 1600) + 16 = 938 + 16.
    expect(candidatesForRound(300, 10, 100, 600)).toBe(954);
    // Exactly an integer: 5 · 8 · 100 / (4 · 50) = 20, no ceiling step.
    expect(candidatesForRound(8, 10, 10, 50)).toBe(36);
    expect(candidatesForRound(2 ** 32 - 1, 2 ** 21 - 1, 2 ** 21 - 1, 0)).toBe(MAX_CANDIDATES_PER_ROUND);
    // The indirect workgroups of the largest round stay within a dimension (65,535), unfolded.
    expect(MAX_CANDIDATES_PER_ROUND / THREADS).toBeLessThanOrEqual(65_535);
  });

  test('random and edge shapes: GPU count, remaining, indirect workgroups and round counter equal the host rule', async () => {
    const rng = new RandomStream(5);
    const int = (below: number): number => Math.floor(rng.uniform(0, 1) * below);
    const cases: Array<{ rows: number; cols: number; present: number; target: number }> = [];
    const usedRows = new Set<number>();
    const add = (rows: number, cols: number, present: number, target: number): void => {
      if (usedRows.has(rows)) return; // each case reads its own rowPtr[rows] from one shared buffer
      usedRows.add(rows);
      cases.push({ rows, cols, present, target });
    };
    add(1, 1, 0, 1);
    add(2, 3, 6, 6);
    add(3, 2, 0, 6);
    add(2 ** 21 - 1, 2 ** 21 - 1, 0, 2 ** 32 - 1);
    add(2 ** 21 - 2, 2 ** 21 - 1, 2 ** 32 - 2, 2 ** 32 - 1);
    for (let i = 0; i < 400; i++) {
      const rows = 1 + int(i % 2 ? 5000 : 2 ** 21 - 2);
      const cols = 1 + int(i % 3 ? 5000 : 2 ** 21 - 2);
      const n = rows * cols;
      const target = Math.min(2 ** 32 - 1, n - (i % 5 === 0 ? 0 : int(Math.min(n, 2 ** 32))));
      let present = int(target + 1);
      if (i % 7 === 0) {
        // At the cap's edge: 5 · remaining · N / (4 · absent) near MAX − 17 ± 1 where one exists.
        const absentPlusRemaining = n - target;
        const r = Math.round(((MAX_CANDIDATES_PER_ROUND - 17 + (i % 3) - 1) * 4 * absentPlusRemaining) / (5 * n - 4 * (MAX_CANDIDATES_PER_ROUND - 17)));
        if (r > 0 && r <= target) present = target - r;
      }
      add(rows, cols, present, target);
    }
    const rowPtr = new Uint32Array(2 ** 21);
    for (const c of cases) rowPtr[c.rows] = c.present;
    const gpu = await gpuShaped.run('sizeRound test', (s) => {
      const out = s.output('sizes', cases.length * 24);
      const rowPtrBuffer = s.upload('rowPtr', rowPtr);
      cases.forEach((c, i) => {
        const roundSize = s.output('round size', 16);
        const dispatchArgs = s.indirectArgs('round workgroups', 1);
        const counters = s.output('counters', 16);
        s.dispatch(programs.regrowSizeRound, {
          bindings: { rowPtr: rowPtrBuffer, roundSize, dispatchArgs, counters },
          uniforms: { rows: c.rows, cols: c.cols, targetNnz: c.target, round: 4 },
          workgroups: 1,
        });
        s.copy(roundSize, out, 8, 24 * i);
        s.copy(dispatchArgs, out, 12, 24 * i + 8);
        s.copy(counters, out, 4, 24 * i + 20, 4);
      });
      return { result: out, byteLength: cases.length * 24, decode: (bytes) => new Uint32Array(bytes) };
    });
    let capped = 0;
    cases.forEach((c, i) => {
      const remaining = c.target - c.present;
      const count = candidatesForRound(remaining, c.rows, c.cols, c.present);
      if (count === MAX_CANDIDATES_PER_ROUND) capped++;
      expect(Array.from(gpu.subarray(6 * i, 6 * i + 6)), JSON.stringify(c)).toEqual([count, remaining, Math.ceil(count / THREADS), 1, 1, remaining > 0 ? 5 : 0]);
    });
    expect(cases.length).toBeGreaterThan(300);
    expect(capped).toBeGreaterThan(10);
    expect(capped).toBeLessThan(cases.length - 100);
  }, 60_000);

  test(`rounds recorded ahead: ${ROUNDS_AHEAD} per submission on the gpu profile, more only when nnz is still short`, async () => {
    // 60 × 60 at 99 %, ζ = 0.3: more rounds than one submission records (4 at this density).
    const { W, kept } = prunedLayer(60, 60, 0.99, 0.3, 7);
    const cpu = regrowCsrCpu(kept.W, kept.state, W.nnz, 77, 0.1);
    expect(cpu.rounds).toBeGreaterThan(ROUNDS_AHEAD);
    let submissions = 0;
    const run = gpuShaped.run.bind(gpuShaped);
    const spy = vi.spyOn(gpuShaped, 'run').mockImplementation((operation, build) => {
      submissions++;
      return run(operation, build);
    });
    try {
      const gpu = await regrowCsrGpu(gpuShaped, kept.W, kept.state, W.nnz, 77, 0.1);
      expect(gpu.rounds).toBe(cpu.rounds);
      expect(gpu.W.colIdx).toEqual(cpu.W.colIdx);
      expect(gpu.W.values).toEqual(cpu.W.values);
    } finally {
      spy.mockRestore();
    }
    // The rounds' submissions, and the layer's read-back.
    expect(submissions).toBe(Math.ceil(cpu.rounds / ROUNDS_AHEAD) + 1);
  });
});
