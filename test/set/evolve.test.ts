/**
 * engine.evolveSet: both backends return the same layer for a seed; on WebGPU
 * nothing but a few counters is read back before the result itself.
 */
import { describe, expect, test } from 'vitest';
import { ROUNDS_AHEAD } from '../../kernels/set/regrow.js';
import { CSRMatrix, DenseMatrix, DisposedError, InvalidArgumentError, SparseLinear, createEngine, type Engine } from '../../src/index.js';
import { adapterName, cpuEngine, gpuEngine } from '../helpers/engines.js';
import { mappedBufferSizes } from '../helpers/readbacks.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

describe(`engine.evolveSet on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  test('same survivors and regrown layer on both backends; nnz constant; momentum follows', async () => {
    let W = CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 3 });
    let state: Float32Array = Float32Array.from(W.values, (v) => v * 0.5);
    for (let epoch = 0; epoch < 2; epoch++) {
      const options = { zeta: 0.3, seed: 100 + epoch, state };
      const [g, c] = await Promise.all([gpu.evolveSet(W, options), cpu.evolveSet(W, options)]);
      expect(g.W.nnz).toBe(W.nnz);
      expect(g.removed).toBe(c.removed);
      expect(g.removed / W.nnz).toBeGreaterThan(0.28);
      expect(g.removed / W.nnz).toBeLessThan(0.32);
      expect(g.W.colIdx).toEqual(c.W.colIdx);
      expect(g.W.rowPtr).toEqual(c.W.rowPtr);
      expect(g.W.values).toEqual(c.W.values);
      expect(g.state).toEqual(c.state);
      // The transpose index of the evolved layer is consistent (built on demand).
      const t = g.W.transposeIndex();
      expect(t.colPtr[W.cols]).toBe(W.nnz);
      W = g.W;
      state = g.state;
    }
  });

  test('a second state (Adam\'s second moment) moves with its weight on both backends, new entries 0', async () => {
    const W = CSRMatrix.random({ rows: 300, cols: 200, density: 0.05, seed: 9 });
    const state = Float32Array.from(W.values, (v) => v * 0.5);
    const second = Float32Array.from(W.values, (v) => v * v);
    const options = { zeta: 0.3, seed: 4, state, second };
    const [g, c] = await Promise.all([gpu.evolveSet(W, options), cpu.evolveSet(W, options)]);
    expect(g.W.colIdx).toEqual(c.W.colIdx);
    expect(g.second).toEqual(c.second);
    // Where a weight was kept, its second state is its square; regrown entries start at 0.
    for (let k = 0; k < g.W.nnz; k++) expect([Math.fround(g.W.values[k]! * g.W.values[k]!), 0]).toContain(g.second![k]!);
  });

  test('no weight, index or state array is read back during the update: only counters, then the result', async () => {
    const W = CSRMatrix.random({ rows: 400, cols: 300, density: 0.05, seed: 8 });
    const sizes = await mappedBufferSizes(() => gpu.evolveSet(W, { zeta: 0.3, seed: 1 }));
    const resultBytes = sizes.pop()!;
    expect(resultBytes).toBeGreaterThanOrEqual(W.nnz * 12);
    // The kept count and one nnz counter per regrowth round (emulation profile).
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(sizes.length).toBeLessThanOrEqual(6);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(16);
  });

  test('bad input: ζ outside [0, 1], wrong state length, disposed engine', async () => {
    const W = CSRMatrix.random({ rows: 10, cols: 10, density: 0.3, seed: 1 });
    for (const engine of [gpu, cpu]) {
      await expect(engine.evolveSet(W, { zeta: 1.2, seed: 1 })).rejects.toMatchObject({ argument: 'zeta' });
      await expect(engine.evolveSet(W, { zeta: 0.3, seed: 1, state: new Float32Array(3) })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(engine.evolveSet(W, { zeta: 0.3, seed: -1 })).rejects.toMatchObject({ argument: 'options.seed' });
    }
    const disposed = await createEngine({ backend: 'webgpu' });
    disposed.dispose();
    await expect(disposed.evolveSet(W, { zeta: 0.3, seed: 1 })).rejects.toBeInstanceOf(DisposedError);
  });
});

describe('ζ = 0 evolves nothing, on both backends, for engines and layers', () => {
  test.each([
    ['webgpu', gpuEngine],
    ['cpu', cpuEngine],
  ] as const)('%s', async (_name, make) => {
    const engine = await make();
    const W = CSRMatrix.random({ rows: 40, cols: 30, density: 0.2, seed: 5 });
    const result = await engine.evolveSet(W, { zeta: 0, seed: 1 });
    expect(result.removed).toBe(0);
    expect(result.W.rowPtr).toEqual(W.rowPtr);
    expect(result.W.colIdx).toEqual(W.colIdx);
    expect(result.W.values).toEqual(W.values);
    const layer = new SparseLinear({ in: 30, out: 40, weights: W });
    layer.attach(engine);
    const X = DenseMatrix.random(30, 4, { seed: 6 });
    const before = await layer.forward(X);
    expect(await layer.evolve({ zeta: 0, seed: 2 })).toEqual({ removed: 0 });
    expect(await layer.forward(X)).toEqual(before);
    layer.dispose();
  });
});

describe(`the 'gpu' kernel profile on WebGPU (${adapterName(gpu)}): prune, regrowth rounds and install in one submission, one read-back`, () => {
  const forced = createEngine({ backend: 'webgpu', device: gpu.device!, kernels: 'gpu' });

  test.each([
    ['1000 × 784 at ε 20, ζ 0.3', CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 3 }), 0.3, false],
    ['a second state', CSRMatrix.random({ rows: 300, cols: 200, density: 0.05, seed: 9 }), 0.3, true],
    ['ζ = 1: everything removed and regrown', CSRMatrix.random({ rows: 50, cols: 70, density: 0.1, seed: 2 }), 1, false],
    ['99 % dense: more rounds than one submission records', CSRMatrix.random({ rows: 60, cols: 60, density: 0.99, seed: 4 }), 0.3, true],
    ['one row', CSRMatrix.random({ rows: 1, cols: 500, density: 0.3, seed: 5 }), 0.3, false],
  ] as const)('%s: the CPU twin\'s layer; only the counters (12 bytes) are read back before the result', async (_name, W, zeta, withSecond) => {
    const engine = await forced;
    const options = { zeta, seed: 17, state: Float32Array.from(W.values, (v) => v / 2), ...(withSecond ? { second: Float32Array.from(W.values, (v) => v * v) } : {}) };
    const c = await cpu.evolveSet(W, options);
    let g: Awaited<ReturnType<Engine['evolveSet']>> | undefined;
    const sizes = await mappedBufferSizes(async () => (g = await engine.evolveSet(W, options)));
    expect(g!.W.rowPtr).toEqual(c.W.rowPtr);
    expect(g!.W.colIdx).toEqual(c.W.colIdx);
    expect(g!.W.values).toEqual(c.W.values);
    expect(g!.state).toEqual(c.state);
    expect(g!.second).toEqual(c.second);
    expect([g!.removed, g!.rounds]).toEqual([c.removed, c.rounds]);
    sizes.pop(); // the evolved layer
    // The counters (3 words) once per ROUNDS_AHEAD rounds: once below 4 rounds.
    expect(sizes).toEqual(new Array(Math.ceil(c.rounds / ROUNDS_AHEAD)).fill(12));
  });

  test('ζ = 0 and an empty layer: nothing read back but the result', async () => {
    const engine = await forced;
    for (const W of [CSRMatrix.random({ rows: 40, cols: 30, density: 0.2, seed: 5 }), new CSRMatrix({ rows: 3, cols: 4, rowPtr: new Uint32Array(4), colIdx: new Uint32Array(0), values: new Float32Array(0) })]) {
      for (const zeta of [0, 0.3]) {
        if (W.nnz > 0 && zeta > 0) continue;
        let g: Awaited<ReturnType<Engine['evolveSet']>> | undefined;
        const sizes = await mappedBufferSizes(async () => (g = await engine.evolveSet(W, { zeta, seed: 1 })));
        expect(sizes).toHaveLength(1);
        expect(g!.W.colIdx).toEqual(W.colIdx);
        expect(g!.W.values).toEqual(W.values);
        expect([g!.removed, g!.rounds]).toEqual([0, 0]);
      }
    }
  });

  test('a training layer evolved on the gpu profile: its transpose index is rebuilt in the same submission', async () => {
    const engine = await forced;
    const W = CSRMatrix.random({ rows: 120, cols: 90, density: 0.15, seed: 12 });
    const layer = new SparseLinear({ in: 90, out: 120, weights: W });
    const twin = new SparseLinear({ in: 90, out: 120, weights: W });
    layer.attach(engine);
    twin.attach(cpu);
    try {
      expect(await layer.evolve({ zeta: 0.3, seed: 8 })).toEqual(await twin.evolve({ zeta: 0.3, seed: 8 }));
      // The backward gather reads the rebuilt transpose index.
      const dY = DenseMatrix.random(120, 5, { seed: 1 });
      const X = DenseMatrix.random(90, 5, { seed: 2 });
      expect(await layer.forward(X)).toEqual(await twin.forward(X));
      const [a, b] = [await layer.backward(X, dY), await twin.backward(X, dY)];
      for (let i = 0; i < a.data.length; i++) expect(a.data[i]).toBeCloseTo(b.data[i]!, 5);
    } finally {
      layer.dispose();
      twin.dispose();
    }
  });
});
