import { describe, expect, test } from 'vitest';
import { DenseLinear, InvalidArgumentError, NMLinear, Sequential, SparseLinear, leakyRelu, rigl, softmax, subset, syntheticClassification, type Engine } from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { mappedBufferSizes } from './helpers/readbacks.js';

const data = syntheticClassification({ count: 500, features: 40, classes: 4, seed: 21 });
const train = subset(data, 0, 400);
const val = subset(data, 400, 100);

function build(engine: Engine): { model: Sequential; first: SparseLinear; second: SparseLinear } {
  const first = new SparseLinear({ in: 40, out: 48, density: 0.2, seed: 1 });
  const second = new SparseLinear({ in: 48, out: 32, density: 0.2, seed: 2 });
  const model = new Sequential(engine, [first, leakyRelu(-0.6), second, leakyRelu(0.6), new NMLinear({ in: 32, out: 16, seed: 3 }), leakyRelu(0), new DenseLinear({ in: 16, out: 4, seed: 4 }), softmax()]);
  return { model, first, second };
}

describe('Sequential with RigL evolution', () => {
  test('GPU and CPU grow the same connections epoch by epoch, nnz constant, and the model learns', async () => {
    const results = [];
    for (const engine of [await cpuEngine(), await gpuEngine()]) {
      const { model, first, second } = build(engine);
      const nnz = [first.nnz, second.nnz];
      const before = (await first.weights()).W;
      const history = await model.fit(train, { epochs: 3, batchSize: 40, evolution: rigl({ zeta: 0.3 }), validationData: val, seed: 5, optimizer: (await import('../src/index.js')).sgd({ lr: 0.05 }) });
      const after = (await first.weights()).W;
      expect([first.nnz, second.nnz]).toEqual(nnz);
      // The topology moved, and the cosine schedule shrank ζ from the first update to the second.
      expect(after.colIdx).not.toEqual(before.colIdx);
      expect(history.epochs[0]!.zeta).toBeCloseTo(0.3, 10);
      expect(history.epochs[1]!.zeta).toBeLessThan(0.3);
      results.push({ history, W1: after, W2: (await second.weights()).W });
      model.dispose();
    }
    const [cpu, gpu] = results;
    expect(cpu!.history.epochs.at(-1)!.valAccuracy).toBeGreaterThan(0.85);
    // Same grown positions on both backends (the gradient sums run in the same order).
    expect(gpu!.W1.rowPtr).toEqual(cpu!.W1.rowPtr);
    expect(gpu!.W1.colIdx).toEqual(cpu!.W1.colIdx);
    expect(gpu!.W2.colIdx).toEqual(cpu!.W2.colIdx);
    cpu!.history.epochs.forEach((e, i) => expect(Math.abs(gpu!.history.epochs[i]!.loss - e.loss)).toBeLessThan(1e-3));
  });

  test('on the GPU a RigL update reads back only counters (never weights, activations or gradients)', async () => {
    const engine = await gpuEngine();
    const { model, first } = build(engine);
    const nnz = first.nnz;
    const sizes = await mappedBufferSizes(() => model.evolve(rigl({ zeta: 0.3 }), 7, train, { batchSize: 40 }));
    expect(sizes.length).toBeGreaterThan(0);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(16);
    expect(first.nnz).toBe(nnz);
    model.dispose();
  });

  test('model.evolve(rigl()) without data is a typed error', async () => {
    const { model } = build(await cpuEngine());
    await expect(model.evolve(rigl(), 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    model.dispose();
  });
});
