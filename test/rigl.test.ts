/**
 * RigL growth (largest |dY·Xᵀ| among absent positions, new weights 0): the
 * CPU implementation equals a naive dense reference exactly; blockwise equals
 * unblocked; the GPU equals the CPU (exactly where f32 arithmetic is exact,
 * and up to rounding-level near-ties otherwise); SparseLinear.evolve with
 * growth 'gradient' keeps every invariant on both backends, reads back only
 * counters, and rejects bad input with typed errors.
 */
import { describe, expect, test } from 'vitest';
import { pruneCsrCpu } from '../kernels/set/prune-csr.js';
import { evolveRiglCpu, growByGradientCpu } from '../kernels/rigl.js';
import { growResident, uploadGradientOperands } from '../kernels/rigl.js';
import { pruneResident } from '../kernels/set/prune-csr.js';
import { readCsr, uploadCsr } from '../kernels/set/resident-csr.js';
import { BufferOwner, GpuContext } from '../src/gpu/gpu-context.js';
import { CSRMatrix, DenseMatrix, InvalidArgumentError, ShapeMismatchError, SparseLinear, type Engine } from '../src/index.js';
import { csrWithEmptyLines, emptyCsr } from './helpers/cases.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectGrowthInvariants, prunedLayer, type CsrWithState } from './helpers/evolution.js';
import { evolveRiglGpu, growByGradientGpu } from './helpers/gpu-wrappers.js';
import { mappedBufferSizes } from './helpers/readbacks.js';
import { expectClose, referenceMatMul } from './helpers/reference.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();
const ctx = new GpuContext(gpu.device!, false, undefined);

/** Entries in {−3, …, 3}: every product and sum is exact in f32, so ties are real and both backends agree bit for bit. */
function integerMatrix(rows: number, cols: number, seed: number): DenseMatrix {
  const m = DenseMatrix.random(rows, cols, { seed, lo: -3.49, hi: 3.49 });
  return new DenseMatrix(rows, cols, Float32Array.from(m.data, Math.round));
}

function positions(W: CSRMatrix): Set<number> {
  const out = new Set<number>();
  const rows = W.rowIndices();
  W.colIdx.forEach((c, k) => out.add(rows[k]! * W.cols + c));
  return out;
}

/** The row-major indices present in `after` but not in `before`, ascending. */
function grownPositions(after: CSRMatrix, before: CSRMatrix): number[] {
  const old = positions(before);
  return [...positions(after)].filter((p) => !old.has(p)).sort((a, b) => a - b);
}

/** The naive reference: the whole dense G by loops (f32, batch order), present masked, top-k by (|g| desc, index asc). */
function naiveGrowth(kept: CSRMatrix, X: DenseMatrix, dY: DenseMatrix, k: number): number[] {
  const present = positions(kept);
  const candidates: Array<{ i: number; g: number }> = [];
  for (let r = 0; r < kept.rows; r++) {
    for (let c = 0; c < kept.cols; c++) {
      const i = r * kept.cols + c;
      if (present.has(i)) continue;
      let s = 0;
      for (let b = 0; b < X.cols; b++) s = Math.fround(s + Math.fround(dY.get(r, b) * X.get(c, b)));
      candidates.push({ i, g: Math.abs(s) });
    }
  }
  candidates.sort((a, b) => b.g - a.g || a.i - b.i);
  return candidates
    .slice(0, k)
    .map((c) => c.i)
    .sort((a, b) => a - b);
}

/** |g| in float64 at a row-major index. */
function gradientAt(i: number, cols: number, X: DenseMatrix, dY: DenseMatrix): number {
  const r = Math.floor(i / cols);
  const c = i % cols;
  let s = 0;
  for (let b = 0; b < X.cols; b++) s += dY.get(r, b) * X.get(c, b);
  return Math.abs(s);
}

/** Kept weights keep value and state; grown ones are 0 with state 0; nnz is the target. */
function expectZeroGrowth(result: CsrWithState, kept: CsrWithState, target: number): void {
  expectGrowthInvariants(result, kept, target, (value, state) => {
    expect(value).toBe(0);
    expect(state).toBe(0);
  });
}

/**
 * GPU vs CPU growth on data with rounding: identical sets, or sets that differ
 * only in near-ties (same total |g| within rounding, every differing position
 * within rounding of the threshold).
 */
function expectSameGrowthUpToRounding(g: number[], c: number[], cols: number, X: DenseMatrix, dY: DenseMatrix, label: string): boolean {
  expect(g.length, label).toBe(c.length);
  const gs = new Set(g);
  const cs = new Set(c);
  const onlyG = g.filter((i) => !cs.has(i));
  const onlyC = c.filter((i) => !gs.has(i));
  if (onlyG.length === 0) return true;
  const scale = Math.max(...c.map((i) => gradientAt(i, cols, X, dY)));
  const tol = 1e-5 * Math.max(1, scale);
  const sum = (list: number[]) => list.reduce((a, i) => a + gradientAt(i, cols, X, dY), 0);
  expect(Math.abs(sum(g) - sum(c)), `${label}: total |g| of the grown sets`).toBeLessThanOrEqual(tol * g.length);
  const threshold = Math.min(...c.map((i) => gradientAt(i, cols, X, dY)));
  for (const i of [...onlyG, ...onlyC]) expect(Math.abs(gradientAt(i, cols, X, dY) - threshold), `${label}: position ${i}`).toBeLessThanOrEqual(tol);
  expect(onlyG.length, `${label}: positions differing`).toBeLessThanOrEqual(Math.max(2, g.length * 0.01));
  return false;
}

/** A pruned 20 × 15 layer, a batch and a zero dY, and what a zero gradient grows: the smallest absent row-major indices. */
function zeroGradientCase() {
  const { W, kept } = prunedLayer(20, 15, 0.3, 0.3, 2);
  const present = positions(kept.W);
  const smallest: number[] = [];
  for (let i = 0; smallest.length < W.nnz - kept.W.nnz; i++) if (!present.has(i)) smallest.push(i);
  return { W, kept, X: DenseMatrix.random(15, 4, { seed: 1 }), zeros: new DenseMatrix(20, 4), smallest };
}

describe('RigL growth on the CPU', () => {
  for (const [name, rows, cols, density, zeta, batch] of [
    ['60 × 50 at 10 %, ζ = 0.3, batch 7', 60, 50, 0.1, 0.3, 7],
    ['37 × 23 at 40 %, ζ = 0.5, batch 1', 37, 23, 0.4, 0.5, 1],
    ['nearly dense 30 × 20 at 95 %, ζ = 0.3', 30, 20, 0.95, 0.3, 5],
    ['ζ = 1: everything regrows', 25, 31, 0.2, 1, 4],
  ] as Array<[string, number, number, number, number, number]>) {
    test(`${name}: equals the naive dense reference exactly`, () => {
      const { W, kept } = prunedLayer(rows, cols, density, zeta, rows + cols);
      const X = DenseMatrix.random(cols, batch, { seed: 1 });
      const dY = DenseMatrix.random(rows, batch, { seed: 2 });
      const k = W.nnz - kept.W.nnz;
      expect(k, 'removed ≤ absent: growth always finds enough positions').toBeLessThanOrEqual(rows * cols - kept.W.nnz);
      const result = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY);
      expectZeroGrowth(result, kept, W.nnz);
      expect(grownPositions(result.W, kept.W)).toEqual(naiveGrowth(kept.W, X, dY, k));
      // The same through evolveRiglCpu (SET's kept set, then growth).
      const evolved = evolveRiglCpu(W, { zeta, X, dY, state: Float32Array.from(W.values, (v) => v * 10) });
      expect(evolved.removed).toBe(k);
      expect(evolved.W.colIdx).toEqual(result.W.colIdx);
      expect(evolved.W.rowPtr).toEqual(result.W.rowPtr);
      expect(evolved.state).toEqual(result.state);
    });
  }

  test('ties (integer data) break to the smaller row-major index, as in the reference', () => {
    const { W, kept } = prunedLayer(40, 30, 0.2, 0.3, 5);
    const X = integerMatrix(30, 3, 3);
    const dY = integerMatrix(40, 3, 4);
    const result = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY);
    expect(grownPositions(result.W, kept.W)).toEqual(naiveGrowth(kept.W, X, dY, W.nnz - kept.W.nnz));
  });

  test('blockwise with a tiny budget (many blocks, rows not a multiple of the block) equals unblocked', () => {
    const { W, kept } = prunedLayer(53, 41, 0.15, 0.4, 9);
    const X = DenseMatrix.random(41, 6, { seed: 5 });
    const dY = DenseMatrix.random(53, 6, { seed: 6 });
    const whole = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY, { blockBytes: 1 << 30 });
    for (const blockBytes of [4, 41 * 4 * 3, 41 * 4 * 7 + 5, 41 * 4 * 52]) {
      const blocked = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY, { blockBytes });
      expect(blocked.W.colIdx, `blockBytes ${blockBytes}`).toEqual(whole.W.colIdx);
      expect(blocked.W.rowPtr).toEqual(whole.W.rowPtr);
      expect(blocked.W.values).toEqual(whole.W.values);
      expect(blocked.state).toEqual(whole.state);
    }
  });

  test('a zero gradient grows the smallest absent row-major indices', () => {
    const { W, kept, X, zeros, smallest } = zeroGradientCase();
    expect(grownPositions(growByGradientCpu(kept.W, kept.state, W.nnz, X, zeros, { blockBytes: 60 }).W, kept.W)).toEqual(smallest);
  });

  test('ζ = 0 changes nothing', () => {
    const W = CSRMatrix.random({ rows: 30, cols: 20, density: 0.2, seed: 1 });
    const state = Float32Array.from(W.values, (v) => v + 1);
    const r = evolveRiglCpu(W, { zeta: 0, X: DenseMatrix.random(20, 3), dY: DenseMatrix.random(30, 3), state });
    expect(r.removed).toBe(0);
    expect(r.W.colIdx).toEqual(W.colIdx);
    expect(r.W.rowPtr).toEqual(W.rowPtr);
    expect(r.W.values).toEqual(W.values);
    expect(r.state).toEqual(state);
  });

  test('empty rows and columns, and an empty kept layer', () => {
    const W = csrWithEmptyLines(24, 17, 3);
    const X = DenseMatrix.random(17, 5, { seed: 7 });
    const dY = DenseMatrix.random(24, 5, { seed: 8 });
    const state = new Float32Array(W.nnz);
    const kept = pruneCsrCpu(W, state, 0.5);
    const result = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY, { blockBytes: 17 * 4 * 5 });
    expectZeroGrowth(result, kept, W.nnz);
    expect(grownPositions(result.W, kept.W)).toEqual(naiveGrowth(kept.W, X, dY, W.nnz - kept.W.nnz));
    const empty = emptyCsr(24, 17);
    const full = growByGradientCpu(empty, new Float32Array(0), 24 * 17, X, dY);
    expect(full.W.nnz).toBe(24 * 17);
    expect(growByGradientCpu(empty, new Float32Array(0), 0, X, dY).W.nnz).toBe(0);
  });
});

describe(`RigL growth on WebGPU (${adapterName(gpu)}) vs the CPU`, () => {
  test('integer data (exact f32 arithmetic, many ties): the GPU layer equals the CPU layer bit for bit', async () => {
    for (const [rows, cols, density, zeta, batch, blockBytes] of [
      [90, 70, 0.1, 0.3, 9, undefined],
      [90, 70, 0.1, 0.3, 9, 70 * 4 * 4],
      [33, 130, 0.3, 0.5, 1, 4],
      [20, 16, 0.95, 0.3, 3, 16 * 4 * 3],
      [25, 19, 0.3, 1, 2, 19 * 4 * 6],
    ] as Array<[number, number, number, number, number, number | undefined]>) {
      const { W, state, kept } = prunedLayer(rows, cols, density, zeta, rows * cols);
      const X = integerMatrix(cols, batch, rows);
      const dY = integerMatrix(rows, batch, cols);
      const options = { zeta, X, dY, state, ...(blockBytes !== undefined ? { blockBytes } : {}) };
      const [g, c] = [await evolveRiglGpu(ctx, W, options), evolveRiglCpu(W, options)];
      const label = `${rows}×${cols} ζ=${zeta} batch ${batch} blockBytes ${blockBytes}`;
      expect(g.removed, label).toBe(c.removed);
      expect(g.W.rowPtr, label).toEqual(c.W.rowPtr);
      expect(g.W.colIdx, label).toEqual(c.W.colIdx);
      expect(g.W.values, label).toEqual(c.W.values);
      expect(g.state, label).toEqual(c.state);
      expect(grownPositions(g.W, kept.W), label).toEqual(naiveGrowth(kept.W, X, dY, c.removed));
    }
  });

  test('random data: the GPU grows the CPU set (up to rounding-level near-ties); kept weights and states identical', async () => {
    let exact = 0;
    for (const [rows, cols, batch, blockBytes] of [
      [200, 150, 16, undefined],
      [123, 77, 33, 77 * 4 * 10],
      [64, 300, 1, 4],
    ] as Array<[number, number, number, number | undefined]>) {
      const { W, kept } = prunedLayer(rows, cols, 0.08, 0.3, rows + batch);
      const X = DenseMatrix.random(cols, batch, { seed: rows });
      const dY = DenseMatrix.random(rows, batch, { seed: cols });
      const options = blockBytes !== undefined ? { blockBytes } : {};
      const g = await growByGradientGpu(ctx, kept.W, kept.state, W.nnz, X, dY, options);
      const c = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY, options);
      expectZeroGrowth(g, kept, W.nnz);
      if (expectSameGrowthUpToRounding(grownPositions(g.W, kept.W), grownPositions(c.W, kept.W), cols, X, dY, `${rows}×${cols}`)) exact++;
    }
    console.log(`[rigl] random data: GPU grew exactly the CPU set in ${exact} of 3 cases on ${adapterName(gpu)}`);
  });

  test('blockwise on the GPU: a tiny budget (one row per block, 3 rows, 7 rows) equals one block', async () => {
    const { W, kept } = prunedLayer(53, 41, 0.15, 0.4, 9);
    const X = integerMatrix(41, 6, 5);
    const dY = integerMatrix(53, 6, 6);
    const whole = await growByGradientGpu(ctx, kept.W, kept.state, W.nnz, X, dY, { blockBytes: 1 << 30 });
    for (const blockBytes of [4, 41 * 4 * 3, 41 * 4 * 7]) {
      const blocked = await growByGradientGpu(ctx, kept.W, kept.state, W.nnz, X, dY, { blockBytes });
      expect(blocked.W.colIdx, `blockBytes ${blockBytes}`).toEqual(whole.W.colIdx);
      expect(blocked.W.rowPtr).toEqual(whole.W.rowPtr);
      expect(blocked.state).toEqual(whole.state);
    }
    expect(grownPositions(whole.W, kept.W)).toEqual(naiveGrowth(kept.W, X, dY, W.nnz - kept.W.nnz));
  });

  test('edge cases: zero gradient, ζ = 0, empty rows, empty kept layer, a single row', async () => {
    const { W, kept, X, zeros, smallest } = zeroGradientCase();
    for (const blockBytes of [4, 60 * 3, 1 << 20]) {
      const g = await growByGradientGpu(ctx, kept.W, kept.state, W.nnz, X, zeros, { blockBytes });
      expect(grownPositions(g.W, kept.W), `zero gradient, blockBytes ${blockBytes}`).toEqual(smallest);
    }

    const state = Float32Array.from(W.values, (v) => v + 1);
    const z = await evolveRiglGpu(ctx, W, { zeta: 0, X, dY: DenseMatrix.random(20, 4), state });
    expect([z.removed, z.W.colIdx, z.W.values, z.state]).toEqual([0, W.colIdx, W.values, state]);

    const E = csrWithEmptyLines(24, 17, 3);
    const X2 = integerMatrix(17, 5, 7);
    const dY2 = integerMatrix(24, 5, 8);
    const eOptions = { zeta: 0.5, X: X2, dY: dY2, blockBytes: 17 * 4 * 5 };
    const [ge, ce] = [await evolveRiglGpu(ctx, E, eOptions), evolveRiglCpu(E, eOptions)];
    expect(ge.W.colIdx).toEqual(ce.W.colIdx);
    expect(ge.W.rowPtr).toEqual(ce.W.rowPtr);

    const empty = emptyCsr(24, 17);
    const gFull = await growByGradientGpu(ctx, empty, new Float32Array(0), 50, X2, dY2, { blockBytes: 100 });
    const cFull = growByGradientCpu(empty, new Float32Array(0), 50, X2, dY2, { blockBytes: 100 });
    expect(gFull.W.colIdx).toEqual(cFull.W.colIdx);
    expect(gFull.W.rowPtr).toEqual(cFull.W.rowPtr);
    const none = await growByGradientGpu(ctx, empty, new Float32Array(0), 0, X2, dY2);
    expect(none.W.nnz).toBe(0);

    const row = CSRMatrix.random({ rows: 1, cols: 200, density: 0.3, seed: 4 });
    const rowOptions = { zeta: 0.3, X: integerMatrix(200, 2, 1), dY: integerMatrix(1, 2, 2) };
    const [gr, cr] = [await evolveRiglGpu(ctx, row, rowOptions), evolveRiglCpu(row, rowOptions)];
    expect(gr.W.colIdx).toEqual(cr.W.colIdx);
  });

  test("a second per-weight state (Adam's) moves exactly like the first", async () => {
    const W = CSRMatrix.random({ rows: 70, cols: 90, density: 0.2, seed: 3 });
    const state = Float32Array.from(W.values, (v) => v * 3);
    const X = DenseMatrix.random(90, 6, { seed: 1 });
    const dY = DenseMatrix.random(70, 6, { seed: 2 });
    const owner = new BufferOwner(ctx);
    try {
      const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state, state), W.rows, W.nnz, 0.3);
      const buffers = await growResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, uploadGradientOperands(owner, X, dY), 90 * 4 * 8);
      const a = await readCsr(ctx, buffers, W.rows, W.cols, W.nnz);
      const b = await readCsr(ctx, { ...buffers, state: buffers.second! }, W.rows, W.cols, W.nnz);
      expect(keptNnz).toBeLessThan(W.nnz);
      expect(b.state).toEqual(a.state);
      expect(a.state.filter((v) => v === 0).length).toBe(W.nnz - keptNnz);
    } finally {
      owner.release();
    }
  });

  test('nothing but counters is read back before the evolved layer itself', async () => {
    const W = CSRMatrix.random({ rows: 400, cols: 300, density: 0.05, seed: 8 });
    const X = DenseMatrix.random(300, 32, { seed: 1 });
    const dY = DenseMatrix.random(400, 32, { seed: 2 });
    // A budget of 40 rows: 10 gradient blocks.
    const sizes = await mappedBufferSizes(() => evolveRiglGpu(ctx, W, { zeta: 0.3, X, dY, blockBytes: 300 * 4 * 40 }));
    const resultBytes = sizes.pop()!;
    expect(resultBytes).toBeGreaterThanOrEqual(W.nnz * 12);
    // SET's pruning: the kept count (its ranks are computed on the GPU); the growth reads nothing.
    expect(sizes.length).toBe(1);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(16);
  });

  test('784 → 1000 at ε = 20, batch 128: GPU vs CPU, with timings', async () => {
    const W = CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 3 });
    const X = DenseMatrix.random(784, 128, { seed: 1 });
    const dY = DenseMatrix.random(1000, 128, { seed: 2 });
    const options = { zeta: 0.3, X, dY };
    // (The pipelines were compiled by the tests above.)
    let t = performance.now();
    const g = await evolveRiglGpu(ctx, W, options);
    const gpuMs = performance.now() - t;
    t = performance.now();
    const c = evolveRiglCpu(W, options);
    const cpuMs = performance.now() - t;
    t = performance.now();
    await evolveRiglGpu(ctx, W, { ...options, blockBytes: 784 * 4 * 64 });
    const gpuBlockedMs = performance.now() - t;
    console.log(
      `[rigl] 784→1000 ε=20 (nnz ${W.nnz}, ${g.removed} grown), batch 128: GPU ${gpuMs.toFixed(0)} ms (1 block), ` +
        `${gpuBlockedMs.toFixed(0)} ms (16 blocks of 64 rows) on ${adapterName(gpu)}; CPU ${cpuMs.toFixed(0)} ms`,
    );
    expect(g.removed).toBe(c.removed);
    const kept = pruneCsrCpu(W, new Float32Array(W.nnz), 0.3);
    expectZeroGrowth(g, kept, W.nnz);
    expectSameGrowthUpToRounding(grownPositions(g.W, kept.W), grownPositions(c.W, kept.W), 784, X, dY, '784→1000');
  });
});

describe(`SparseLinear.evolve({ growth: 'gradient' }) on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  const shape = { in: 120, out: 90, epsilon: 10, seed: 4 };

  async function trainedPair(): Promise<[SparseLinear, SparseLinear]> {
    const g = new SparseLinear(shape);
    const c = new SparseLinear(shape);
    g.attach(gpu);
    c.attach(cpu);
    // One step, so velocities are non-zero and must follow their weights
    // (integer data, batch 8 and lr 1/8: the step is exact on both backends).
    const X = integerMatrix(120, 8, 11);
    const dY = integerMatrix(90, 8, 12);
    for (const l of [g, c]) {
      await l.backward(X, dY);
      await l.step({ lr: 0.125, momentum: 0.9, weightDecay: 0 });
    }
    return [g, c];
  }

  test('same layer on both backends; nnz constant; kept weights and velocity move, grown start at 0; indices consistent', async () => {
    const [g, c] = await trainedPair();
    const before = await c.weights();
    const X = integerMatrix(120, 10, 1);
    const dY = integerMatrix(90, 10, 2);
    const [rg, rc] = [await g.evolve({ zeta: 0.3, seed: 0, growth: 'gradient', X, dY, blockBytes: 120 * 4 * 16 }), await c.evolve({ zeta: 0.3, seed: 0, growth: 'gradient', X, dY })];
    expect(rg.removed).toBe(rc.removed);
    expect(rg.removed).toBeGreaterThan(0.25 * before.W.nnz);
    const [wg, wc] = [await g.weights(), await c.weights()];
    expect(wg.W.nnz).toBe(before.W.nnz);
    expect(g.nnz).toBe(before.W.nnz);
    expect(wg.W.rowPtr).toEqual(wc.W.rowPtr);
    expect(wg.W.colIdx).toEqual(wc.W.colIdx);
    expect(wg.W.values).toEqual(wc.W.values);
    expect(wg.velocity).toEqual(wc.velocity);
    // Kept = SET's kept set with its velocity; grown = the reference's top |g|, at 0.
    const kept = pruneCsrCpu(before.W, before.velocity, 0.3);
    expectZeroGrowth({ W: wg.W, state: wg.velocity }, kept, before.W.nnz);
    expect(grownPositions(wg.W, kept.W)).toEqual(naiveGrowth(kept.W, X, dY, rg.removed));
    // The transpose index rebuilt on the GPU matches the host's, and backward through it is right.
    const t = wg.W.transposeIndex();
    const perInput = Uint32Array.from({ length: 120 }, (_, col) => t.colPtr[col + 1]! - t.colPtr[col]!);
    expect(await g.connectionsPerInput()).toEqual(perInput);
    expect(await c.connectionsPerInput()).toEqual(perInput);
    const dYb = DenseMatrix.random(90, 5, { seed: 3 });
    const Xb = DenseMatrix.random(120, 5, { seed: 4 });
    const dx = await g.backward(Xb, dYb);
    expectClose(dx.data, referenceMatMul(wg.W.toDense(), dYb, { transA: true }).flat(), 90, 'gpu dX after RigL evolve', 1e-5);
    expectClose((await g.forward(Xb)).data, (await c.forward(Xb)).data, 120, 'forward after RigL evolve', 1e-5);
    // A second update evolves the evolved layer (generations chain).
    await Promise.all([g.evolve({ zeta: 0.2, seed: 0, growth: 'gradient', X, dY }), c.evolve({ zeta: 0.2, seed: 0, growth: 'gradient', X, dY })]);
    const [w2g, w2c] = [await g.weights(), await c.weights()];
    expect(w2g.W.colIdx).toEqual(w2c.W.colIdx);
    expect(w2g.W.nnz).toBe(before.W.nnz);
    g.dispose();
    c.dispose();
  });

  test('ζ = 0 changes nothing; ζ = 1 regrows every connection at 0', async () => {
    for (const engine of [gpu, cpu] as Engine[]) {
      const layer = new SparseLinear(shape);
      layer.attach(engine);
      const X = integerMatrix(120, 3, 5);
      const dY = integerMatrix(90, 3, 6);
      const before = await layer.weights();
      expect((await layer.evolve({ zeta: 0, seed: 1, growth: 'gradient', X, dY })).removed).toBe(0);
      const same = await layer.weights();
      expect(same.W.colIdx).toEqual(before.W.colIdx);
      expect(same.W.values).toEqual(before.W.values);
      expect((await layer.evolve({ zeta: 1, seed: 1, growth: 'gradient', X, dY })).removed).toBe(before.W.nnz);
      const all = await layer.weights();
      expect(all.W.nnz).toBe(before.W.nnz);
      expect(all.W.values.every((v) => v === 0)).toBe(true);
      expect(grownPositions(all.W, emptyCsr(90, 120))).toEqual(naiveGrowth(emptyCsr(90, 120), X, dY, before.W.nnz));
      layer.dispose();
    }
  });

  test('evolve with gradient growth on WebGPU reads back only counters', async () => {
    const layer = new SparseLinear({ in: 300, out: 200, epsilon: 10, seed: 2 });
    layer.attach(gpu);
    const X = DenseMatrix.random(300, 16, { seed: 1 });
    const dY = DenseMatrix.random(200, 16, { seed: 2 });
    const sizes = await mappedBufferSizes(() => layer.evolve({ zeta: 0.3, seed: 1, growth: 'gradient', X, dY, blockBytes: 300 * 4 * 30 }));
    // The pruning's kept count.
    expect(sizes.length).toBe(1);
    for (const s of sizes) expect(s, 'bytes read back in one mapping').toBeLessThanOrEqual(16);
    layer.dispose();
  });

  test('bad input is typed and names the option', async () => {
    for (const engine of [gpu, cpu] as Engine[]) {
      const l = new SparseLinear(shape);
      l.attach(engine);
      const X = DenseMatrix.random(120, 4);
      const dY = DenseMatrix.random(90, 4);
      const evolve = (o: object) => l.evolve({ zeta: 0.3, seed: 1, growth: 'gradient', ...o });
      await expect(evolve({ dY })).rejects.toMatchObject({ argument: 'options.X' });
      await expect(evolve({ X })).rejects.toMatchObject({ argument: 'options.dY' });
      await expect(evolve({ X: DenseMatrix.random(119, 4), dY })).rejects.toBeInstanceOf(ShapeMismatchError);
      await expect(evolve({ X: DenseMatrix.random(119, 4), dY })).rejects.toMatchObject({ argument: 'options.X' });
      await expect(evolve({ X, dY: DenseMatrix.random(91, 4) })).rejects.toMatchObject({ argument: 'options.dY' });
      await expect(evolve({ X, dY: DenseMatrix.random(90, 5) })).rejects.toBeInstanceOf(ShapeMismatchError);
      await expect(evolve({ X, dY: DenseMatrix.random(90, 5) })).rejects.toMatchObject({ argument: 'options.dY' });
      await expect(evolve({ X: new DenseMatrix(120, 0), dY: new DenseMatrix(90, 0) })).rejects.toMatchObject({ argument: 'options.X' });
      await expect(evolve({ X: X.data, dY })).rejects.toMatchObject({ argument: 'options.X' });
      const nan = DenseMatrix.random(90, 4);
      nan.data[17] = Number.NaN;
      await expect(evolve({ X, dY: nan })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(evolve({ X, dY: nan })).rejects.toMatchObject({ argument: 'options.dY' });
      await expect(evolve({ X, dY, blockBytes: 0 })).rejects.toMatchObject({ argument: 'options.blockBytes' });
      await expect(l.evolve({ zeta: 0.3, seed: 1, growth: 'magnitude' as 'gradient', X, dY })).rejects.toMatchObject({ argument: 'options.growth' });
      await expect(evolve({ zeta: 1.5, X, dY })).rejects.toMatchObject({ argument: 'zeta' });
      // Nothing changed after the rejected calls.
      expect((await l.weights()).W.nnz).toBe(l.nnz);
      l.dispose();
    }
    const W = CSRMatrix.random({ rows: 10, cols: 8, density: 0.3, seed: 1 });
    expect(() => evolveRiglCpu(W, { zeta: 0.3, X: DenseMatrix.random(8, 2), dY: DenseMatrix.random(9, 2) })).toThrow(ShapeMismatchError);
    expect(() => growByGradientCpu(W, new Float32Array(W.nnz), W.nnz - 1, DenseMatrix.random(8, 2), DenseMatrix.random(10, 2))).toThrow(InvalidArgumentError);
    await expect(growByGradientGpu(ctx, W, new Float32Array(W.nnz), W.nnz + 1, DenseMatrix.random(7, 2), DenseMatrix.random(10, 2))).rejects.toMatchObject({ argument: 'X' });
  });
});
