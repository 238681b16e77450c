/**
 * The two backends agree on unusual but legal input and refuse the same bad
 * input with the same typed error: batch 0, seeds of every wrong kind,
 * scalars outside float32's range, sizes no host array can hold.
 */
import { describe, expect, test } from 'vitest';
import {
  AllocationError,
  CSRMatrix,
  DenseMatrix,
  type Engine,
  InvalidArgumentError,
  leakyRelu,
  NMLinear,
  NMMatrix,
  sgd,
  SparseLinear,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { caught, expectNamedError, thrown } from './helpers/expect-error.js';


const backends = [
  ['webgpu', gpuEngine],
  ['cpu', cpuEngine],
] as const;

describe('batch 0 (zero columns) gives the same empty or zero results on both backends', () => {
  const W = CSRMatrix.random({ rows: 5, cols: 8, density: 0.5, seed: 1 });
  const N = NMMatrix.random({ rows: 5, cols: 8, seed: 2 });
  const X0 = new DenseMatrix(8, 0);
  const dY0 = new DenseMatrix(5, 0);

  test.each(backends)('engine products (%s)', async (_name, make) => {
    const engine = await make();
    // dW = α · dY · Xᵀ over an empty batch: zero at every nonzero.
    expect(Array.from(await engine.sddmmCsr(W, dY0, X0))).toEqual(new Array(W.nnz).fill(0));
    expect(Array.from(await engine.sddmmNM(N, dY0, X0))).toEqual(new Array(N.nnz).fill(0));
    for (const result of [await engine.spmmCsr(W, X0), await engine.spmmNM(N, X0)]) expect([result.rows, result.cols]).toEqual([5, 0]);
    for (const result of [await engine.spmmCsrT(W, dY0), await engine.spmmNMT(N, dY0)]) expect([result.rows, result.cols]).toEqual([8, 0]);
  });

  test.each(backends)('SparseLinear and NMLinear forward, backward and step (%s)', async (_name, make) => {
    const engine: Engine = await make();
    for (const layer of [new SparseLinear({ in: 8, out: 5, density: 0.5, seed: 3 }), new NMLinear({ in: 8, out: 5, seed: 4 })]) {
      layer.attach(engine);
      const Y = await layer.forward(X0);
      expect([Y.rows, Y.cols]).toEqual([5, 0]);
      const dX = await layer.backward(X0, dY0);
      expect([dX.rows, dX.cols]).toEqual([8, 0]);
      await layer.step({ lr: 0.1, momentum: 0, weightDecay: 0 });
      // An empty batch's gradient is zero: a step leaves the layer's output unchanged.
      const X = DenseMatrix.random(8, 2, { seed: 5 });
      const before = await layer.forward(X);
      await layer.backward(X0, dY0);
      await layer.step({ lr: 0.1, momentum: 0, weightDecay: 0 });
      expect(await layer.forward(X)).toEqual(before);
      layer.dispose();
    }
  });
});

describe('evolve seeds are checked before either backend runs', () => {
  const badSeeds: unknown[] = [-5, 1.5, Number.NaN, '7', undefined, 2 ** 32 + 7];
  test.each(backends)('SparseLinear.evolve and NMLinear.evolve refuse each bad seed naming options.seed (%s)', async (_name, make) => {
    const engine = await make();
    const sparse = new SparseLinear({ in: 8, out: 6, density: 0.5, seed: 6 });
    const nm = new NMLinear({ in: 8, out: 6, seed: 7 });
    sparse.attach(engine);
    nm.attach(engine);
    const X = DenseMatrix.random(8, 3, { seed: 8 });
    const sparseBefore = await sparse.forward(X);
    const nmBefore = await nm.forward(X);
    for (const seed of badSeeds) {
      expectNamedError(await caught(() => sparse.evolve({ zeta: 0.3, seed } as never)), InvalidArgumentError, 'options.seed');
      expectNamedError(await caught(() => nm.evolve({ zeta: 0.3, seed } as never)), InvalidArgumentError, 'options.seed');
    }
    // Nothing changed on the way to the errors.
    expect(await sparse.forward(X)).toEqual(sparseBefore);
    expect(await nm.forward(X)).toEqual(nmBefore);
    // Gradient growth draws nothing and needs no seed.
    const dY = DenseMatrix.random(6, 3, { seed: 9 });
    await expect(sparse.evolve({ zeta: 0.3, growth: 'gradient', X, dY } as never)).resolves.toEqual({ removed: expect.any(Number) });
    sparse.dispose();
    nm.dispose();
  });
});

describe('scalars outside float32 range are refused, naming them', () => {
  const A = DenseMatrix.random(3, 4, { seed: 10 });
  const B = DenseMatrix.random(4, 2, { seed: 11 });
  const W = CSRMatrix.random({ rows: 3, cols: 4, density: 0.5, seed: 12 });
  test.each(backends)('gemm and sddmm alpha (%s)', async (_name, make) => {
    const engine = await make();
    for (const alpha of [1e300, -1e300, 1e40, 3.5e38]) {
      expectNamedError(await caught(() => engine.gemm(A, B, { alpha })), InvalidArgumentError, 'options.alpha');
      expectNamedError(await caught(() => engine.sddmmCsr(W, DenseMatrix.random(3, 2), DenseMatrix.random(4, 2), { alpha })), InvalidArgumentError, 'options.alpha');
    }
    // The largest float32 itself is accepted.
    expect((await engine.gemm(A, B, { alpha: 3.4028234663852886e38 })).rows).toBe(3);
  });

  test('optimizer settings, layer steps and leaky ReLU slopes', async () => {
    expectNamedError(await caught(() => sgd({ lr: 1e39 })), InvalidArgumentError, 'options.lr');
    expectNamedError(await caught(() => leakyRelu(-1e40)), InvalidArgumentError, 'alpha');
    const layer = new SparseLinear({ in: 4, out: 3, density: 0.5 });
    layer.attach(await cpuEngine());
    expectNamedError(await caught(() => layer.step({ lr: 0.01, momentum: 1e39, weightDecay: 0 })), InvalidArgumentError, 'options.momentum');
    layer.dispose();
  });
});

describe('sizes no host array can hold give an AllocationError naming the argument and the bytes', () => {
  test('new DenseMatrix(1e6, 1e6)', () => {
    const error = thrown(() => new DenseMatrix(1e6, 1e6));
    expectNamedError(error, AllocationError, 'rows × cols');
    expect((error as AllocationError).requestedBytes).toBe(4e12);
    expect((error as Error).message).toMatch(/4000000000000 bytes \(3\.64 TiB\)/);
  });

  test('CSRMatrix.random and NMMatrix.random past 32-bit indices or nonzero counts', () => {
    expectNamedError(thrown(() => CSRMatrix.random({ rows: 2 ** 40, cols: 10, density: 0.1 })), InvalidArgumentError, 'rows');
    expectNamedError(thrown(() => CSRMatrix.random({ rows: 10, cols: 2 ** 40, density: 0.1 })), InvalidArgumentError, 'cols');
    // 10⁵ × 10⁵ dense: 10¹⁰ nonzeros cannot be counted by 32-bit offsets (they would wrap).
    expectNamedError(thrown(() => CSRMatrix.random({ rows: 100_000, cols: 100_000, density: 1 })), InvalidArgumentError, 'density');
    expectNamedError(thrown(() => NMMatrix.random({ rows: 2 ** 40, cols: 8 })), InvalidArgumentError, 'rows');
    expectNamedError(thrown(() => NMMatrix.random({ rows: 1_000_000, cols: 1_000_000 })), AllocationError, 'rows × cols');
    expectNamedError(thrown(() => new SparseLinear({ in: 2 ** 40, out: 10, epsilon: 20 })), InvalidArgumentError, 'options.in');
  });
});

describe('subnormal intermediates (documented in the README: the GPU may flush them)', () => {
  test('gemm of 1e-30 × 1e-9 with alpha 1000: 1e-36 on the CPU; on WebGPU the same or 0, never anything else', async () => {
    const A = DenseMatrix.fromRows([[1e-30]]);
    const B = DenseMatrix.fromRows([[1e-9]]);
    const onCpu = (await (await cpuEngine()).gemm(A, B, { alpha: 1000 })).data[0]!;
    expect(onCpu).toBeCloseTo(Math.fround(1e-36), 42);
    const onGpu = (await (await gpuEngine()).gemm(A, B, { alpha: 1000 })).data[0]!;
    console.log(`[wgsparse tests] subnormal product on WebGPU: ${onGpu} (CPU ${onCpu})`);
    expect([0, onCpu]).toContain(onGpu);
  });
});
