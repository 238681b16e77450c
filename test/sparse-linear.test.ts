/**
 * SparseLinear on WebGPU (state resident on the GPU) and on the CPU: the same
 * forward, backward, gradients, SGD steps and SET evolution, checked against
 * each other and against dense references; evolve reads nothing back but
 * counters.
 */
import { describe, expect, test } from 'vitest';
import { DenseMatrix, DisposedError, InvalidArgumentError, ShapeMismatchError, SparseLinear, type Engine } from '../src/index.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { mappedBufferSizes } from './helpers/readbacks.js';
import { expectClose, referenceMatMul } from './helpers/reference.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();
const options = { in: 120, out: 90, epsilon: 10, seed: 4 };

function pair(): [SparseLinear, SparseLinear] {
  const g = new SparseLinear(options);
  const c = new SparseLinear(options);
  g.attach(gpu);
  c.attach(cpu);
  return [g, c];
}

describe(`SparseLinear on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  test('parameter counts show the saving', () => {
    const layer = new SparseLinear({ in: 784, out: 1000, epsilon: 20, seed: 1 });
    expect(layer.denseParameterCount).toBe(784 * 1000 + 1000);
    expect(layer.parameterCount).toBe(layer.nnz + 1000);
    expect(layer.parameterCount / layer.denseParameterCount).toBeLessThan(0.06);
  });

  test('forward = W·X + b and backward = (Wᵀ·dY, dY·Xᵀ/batch at the nonzeros, mean dY) on both backends', async () => {
    const [g, c] = pair();
    const X = DenseMatrix.random(120, 17, { seed: 1 });
    const dY = DenseMatrix.random(90, 17, { seed: 2 });
    const { W } = await g.weights();
    const ref = referenceMatMul(W.toDense(), X).flat();
    const [yg, yc] = await Promise.all([g.forward(X), c.forward(X)]);
    expectClose(yg.data, ref, 120, 'gpu forward', 1e-5);
    expectClose(yc.data, ref, 120, 'cpu forward', 1e-5);
    const refDx = referenceMatMul(W.toDense(), dY, { transA: true }).flat();
    const [dxg, dxc] = await Promise.all([g.backward(X, dY), c.backward(X, dY)]);
    expectClose(dxg.data, refDx, 90, 'gpu dX', 1e-5);
    expectClose(dxc.data, refDx, 90, 'cpu dX', 1e-5);
    // One SGD step: W ← W − lr·dW (no momentum yet, no decay) must match the dense gradient.
    await Promise.all([g.step({ lr: 0.5, momentum: 0.9, weightDecay: 0 }), c.step({ lr: 0.5, momentum: 0.9, weightDecay: 0 })]);
    const [wg, wc] = await Promise.all([g.weights(), c.weights()]);
    const dense = referenceMatMul(dY, X, { transB: true });
    const rows = W.rowIndices();
    const expected = Array.from(W.values, (v, k) => v - (0.5 * dense[rows[k]!]![W.colIdx[k]!]!) / 17);
    expectClose(wg.W.values, expected, 1, 'gpu step', 1e-5);
    expectClose(wc.W.values, expected, 1, 'cpu step', 1e-5);
    const biasExpected = Array.from({ length: 90 }, (_, o) => (-0.5 * dY.data.slice(o * 17, o * 17 + 17).reduce((a, b) => a + b, 0)) / 17);
    expectClose(wg.bias, biasExpected, 1, 'gpu bias', 1e-5);
    expectClose(wc.bias, biasExpected, 1, 'cpu bias', 1e-5);
    expectClose(wg.velocity, wc.velocity, 1, 'velocity gpu vs cpu', 1e-5);
    g.dispose();
    c.dispose();
  });

  test('evolve gives the same layer on both backends, keeps nnz, and the evolved layer computes correctly', async () => {
    const [g, c] = pair();
    const X = DenseMatrix.random(120, 8, { seed: 3 });
    const dY = DenseMatrix.random(90, 8, { seed: 4 });
    const { W: before } = await g.weights();
    const [rg, rc] = await Promise.all([g.evolve({ zeta: 0.3, seed: 9 }), c.evolve({ zeta: 0.3, seed: 9 })]);
    expect(rg.removed).toBe(rc.removed);
    expect(rg.removed).toBeGreaterThan(0.25 * before.nnz);
    const [wg, wc] = await Promise.all([g.weights(), c.weights()]);
    expect(wg.W.nnz).toBe(before.nnz);
    expect(wg.W.colIdx).toEqual(wc.W.colIdx);
    expect(wg.W.rowPtr).toEqual(wc.W.rowPtr);
    expect(wg.W.values).toEqual(wc.W.values);
    // The evolved layer's derived indices (rebuilt on the GPU) give the right backward.
    const dx = await g.backward(X, dY);
    const ref = referenceMatMul(wg.W.toDense(), dY, { transA: true }).flat();
    expectClose(dx.data, ref, 90, 'gpu dX after evolve', 1e-5);
    const y = await g.forward(X);
    expectClose(y.data, (await c.forward(X)).data, 120, 'forward after evolve', 1e-5);
    g.dispose();
    c.dispose();
  });

  test('evolve on WebGPU reads back only counters', async () => {
    const layer = new SparseLinear({ in: 300, out: 200, epsilon: 10, seed: 2 });
    layer.attach(gpu);
    const sizes = await mappedBufferSizes(() => layer.evolve({ zeta: 0.3, seed: 1 }));
    expect(sizes.length).toBeGreaterThan(0);
    for (const s of sizes) expect(s, 'bytes read back in one mapping').toBeLessThanOrEqual(16);
    layer.dispose();
  });

  test('bad input and lifecycle errors are typed', async () => {
    const layer = new SparseLinear(options);
    await expect(layer.forward(DenseMatrix.random(120, 2))).rejects.toMatchObject({ argument: 'engine' });
    for (const engine of [gpu, cpu] as Engine[]) {
      const l = new SparseLinear(options);
      l.attach(engine);
      await expect(l.forward(DenseMatrix.random(119, 2))).rejects.toBeInstanceOf(ShapeMismatchError);
      await expect(l.backward(DenseMatrix.random(120, 2), DenseMatrix.random(90, 3))).rejects.toBeInstanceOf(ShapeMismatchError);
      await expect(l.evolve({ zeta: 2, seed: 1 })).rejects.toMatchObject({ argument: 'zeta' });
      await expect(l.step({ lr: Number.NaN, momentum: 0, weightDecay: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      l.dispose();
      await expect(l.forward(DenseMatrix.random(120, 2))).rejects.toBeInstanceOf(DisposedError);
    }
    expect(() => new SparseLinear({ in: 0, out: 3, density: 0.5 })).toThrow(InvalidArgumentError);
    expect(() => new SparseLinear({ in: 3, out: 3, density: 1.5 })).toThrow(InvalidArgumentError);
  });
});
