/**
 * Every GPU buffer a layer or model creates is destroyed by the time it is
 * disposed: across forward/backward, repeated evolution (SET, RigL, N:M in
 * groups) and a fit with evolution. Buffers are tracked by wrapping the
 * device's createBuffer and each buffer's destroy.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { DenseLinear, DenseMatrix, GpuError, NMLinear, Sequential, SparseLinear, relu, rigl, set, softmax, syntheticClassification } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { trackLiveBuffers } from './helpers/live-buffers.js';

const gpu = await gpuEngine();
const device = gpu.device!;
const { live, restore } = trackLiveBuffers(device);
afterAll(restore);

describe(`GPU buffers are released (${adapterName(gpu)})`, () => {
  test('layers: forward, backward, three evolutions, dispose', async () => {
    const before = live.size;
    const layers = [new SparseLinear({ in: 40, out: 24, epsilon: 4, seed: 1 }), new NMLinear({ in: 40, out: 24, seed: 2 }), new DenseLinear({ in: 40, out: 24, seed: 3 })];
    for (const layer of layers) {
      layer.attach(gpu);
      const X = DenseMatrix.random(40, 8, { seed: 4 });
      await layer.forward(X);
      await layer.backward(X, DenseMatrix.random(24, 8, { seed: 5 }));
      if (layer instanceof SparseLinear || layer instanceof NMLinear) {
        for (let seed = 0; seed < 3; seed++) await layer.evolve({ zeta: 0.3, seed });
      }
      layer.dispose();
      expect(live.size - before, `${layer.constructor.name}: buffers left after dispose`).toBe(0);
    }
  });

  test('a layer disposed while its evolve runs: the update settles (done, or a GpuError) and leaves no buffer', async () => {
    const before = live.size;
    for (const layer of [new SparseLinear({ in: 40, out: 24, epsilon: 4, seed: 1 }), new NMLinear({ in: 40, out: 24, seed: 2 })]) {
      layer.attach(gpu);
      const pending = layer.evolve({ zeta: 0.3, seed: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      layer.dispose();
      const outcome = await pending;
      if (outcome !== undefined) expect(outcome).toBeInstanceOf(GpuError);
      expect(live.size - before, `${layer.constructor.name}: buffers left`).toBe(0);
    }
  });

  test('engine.evolveSet: nothing left after it returns', async () => {
    const before = live.size;
    const { CSRMatrix } = await import('../src/index.js');
    const W = CSRMatrix.random({ rows: 60, cols: 50, density: 0.1, seed: 2 });
    await gpu.evolveSet(W, { zeta: 0.3, seed: 3, second: new Float32Array(W.nnz) });
    expect(live.size - before).toBe(0);
  });

  test('a model: fits with SET and RigL evolution, evaluate, predict, dispose', async () => {
    const before = live.size;
    const data = syntheticClassification({ count: 120, features: 40, classes: 4, seed: 6 });
    const model = new Sequential(gpu, [new SparseLinear({ in: 40, out: 32, epsilon: 4, seed: 7 }), relu(), new NMLinear({ in: 32, out: 16, seed: 8 }), relu(), new DenseLinear({ in: 16, out: 4, seed: 9 }), softmax()]);
    await model.fit(data, { epochs: 3, batchSize: 32, evolution: set({ zeta: 0.3 }) });
    await model.fit(data, { epochs: 3, batchSize: 32, evolution: rigl({ zeta: 0.3 }) });
    await model.evaluate(data);
    const X = new DenseMatrix(40, 5);
    await model.predict(X);
    model.dispose();
    expect(live.size - before, 'buffers left after the model was disposed').toBe(0);
  });
});
