/**
 * NMLinear and DenseLinear on WebGPU and the CPU: forward, backward and an SGD
 * step against a dense mathjs reference, and the parameter counts that show
 * what structured sparsity saves.
 */
import { describe, expect, test } from 'vitest';
import { DenseLinear, DenseMatrix, NMLinear, type Engine } from '../src/index.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectClose, referenceMatMul } from './helpers/reference.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

async function checkLayer(make: () => NMLinear | DenseLinear, engine: Engine, dense: (l: NMLinear | DenseLinear) => Promise<DenseMatrix>): Promise<void> {
  const layer = make();
  layer.attach(engine);
  const X = DenseMatrix.random(layer.in, 13, { seed: 5 });
  const dY = DenseMatrix.random(layer.out, 13, { seed: 6 });
  const W = await dense(layer);
  expectClose((await layer.forward(X)).data, referenceMatMul(W, X).flat(), layer.in, 'forward', 1e-5);
  expectClose((await layer.backward(X, dY)).data, referenceMatMul(W, dY, { transA: true }).flat(), layer.out, 'dX', 1e-5);
  await layer.step({ lr: 0.1, momentum: 0.9, weightDecay: 0 });
  // After one step from zero velocity: W' = W − 0.1·(dY·Xᵀ)/13 at the stored weights.
  const grad = referenceMatMul(dY, X, { transB: true });
  const W2 = await dense(layer);
  const expected = W.toArray().map((row, o) => row.map((w, i) => (w === 0 && W2.get(o, i) === 0 ? 0 : w - (0.1 * grad[o]![i]!) / 13)));
  // N:M: unstored positions stay exactly zero; stored ones moved by the gradient.
  expectClose(W2.data, expected.flat(), 1, 'W after step', 1e-5);
  layer.dispose();
}

describe(`NMLinear and DenseLinear on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  for (const [name, engine] of [
    ['webgpu', gpu],
    ['cpu', cpu],
  ] as Array<[string, Engine]>) {
    test(`2:4 NMLinear forward, backward and step (${name})`, async () => {
      await checkLayer(() => new NMLinear({ in: 64, out: 30, seed: 2 }), engine, async (l) => (await (l as NMLinear).weights()).toDense());
    });
    test(`1:4 NMLinear (${name})`, async () => {
      await checkLayer(() => new NMLinear({ in: 32, out: 17, n: 1, m: 4, seed: 3 }), engine, async (l) => (await (l as NMLinear).weights()).toDense());
    });
    test(`DenseLinear forward, backward and step (${name})`, async () => {
      await checkLayer(() => new DenseLinear({ in: 70, out: 33, seed: 4 }), engine, async (l) => (await (l as DenseLinear).weights()) as DenseMatrix);
    });
  }

  test('parameter counts: 2:4 stores half the weights, dense all of them', () => {
    const nm = new NMLinear({ in: 1000, out: 1000 });
    const dense = new DenseLinear({ in: 1000, out: 1000 });
    expect(nm.parameterCount).toBe(500_000 + 1000);
    expect(dense.parameterCount).toBe(1_000_000 + 1000);
    expect(nm.denseParameterCount).toBe(dense.parameterCount);
  });

  test('bad shapes are typed errors', async () => {
    expect(() => new NMLinear({ in: 30, out: 4 })).toThrow(/multiple of m/);
    const l = new DenseLinear({ in: 5, out: 3 });
    l.attach(gpu);
    await expect(l.forward(DenseMatrix.random(4, 2))).rejects.toMatchObject({ argument: 'X' });
    l.dispose();
  });
});
