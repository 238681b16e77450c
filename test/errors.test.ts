/**
 * Bad input: every case raises a typed error naming the argument, on both
 * backends, before any GPU work — and the engine stays usable afterwards (a
 * correct operation after each error still gives the right answer), with no
 * WebGPU validation error leaking out.
 */
import { afterAll, describe, expect, test } from 'vitest';
import {
  BackendUnavailableError,
  createEngine,
  CSRMatrix,
  DenseMatrix,
  DeviceLimitError,
  DisposedError,
  type Engine,
  InvalidArgumentError,
  NMMatrix,
  ShapeMismatchError,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

const W = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 2], [0, 0, 0], [0, 3, 0]]));
const X = DenseMatrix.fromRows([[1, 2], [3, 4], [5, 6]]);
const N = NMMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0, 2], [0, 3, 4, 0]]), { n: 2, m: 4 });
const X4 = DenseMatrix.fromRows([[1], [2], [3], [4]]);

/** Runs `fn`, expects a typed error of `cls` naming `argument`, then checks the engine still works. */
async function expectTypedError(engine: Engine, fn: () => unknown, cls: new (...a: never[]) => Error, argument: string): Promise<void> {
  const device = engine.device;
  device?.pushErrorScope('validation');
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'an error was thrown').toBeInstanceOf(cls);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
  expect((caught as Error).message).toContain(argument);
  const leaked = device ? await device.popErrorScope() : null;
  expect(leaked, 'no WebGPU validation error leaked').toBeNull();
  const y = await engine.spmmCsr(W, X);
  expect(Array.from(y.data)).toEqual([11, 14, 0, 0, 9, 12]);
}

for (const [name, engine] of [
  ['webgpu', gpu],
  ['cpu', cpu],
] as Array<[string, Engine]>) {
  describe(`bad operands on the ${name} engine`, () => {
    const wrongX = DenseMatrix.random(4, 2);
    const dY = DenseMatrix.random(3, 2);
    test('shape mismatches name the operand', async () => {
      await expectTypedError(engine, () => engine.spmmCsr(W, wrongX), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmCsrT(W, wrongX), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, wrongX, X), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, dY, DenseMatrix.random(3, 5)), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmNM(N, X), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmNMT(N, X), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmNM(N, X, X4), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.gemm(X, X), ShapeMismatchError, 'B');
      await expectTypedError(engine, () => engine.gemm(X, DenseMatrix.random(2, 2), { transA: true }), ShapeMismatchError, 'B');
    });

    test('wrong operand types name the operand', async () => {
      await expectTypedError(engine, () => engine.spmmCsr(X as unknown as CSRMatrix, X), InvalidArgumentError, 'W');
      await expectTypedError(engine, () => engine.spmmNM(W as unknown as NMMatrix, X4), InvalidArgumentError, 'W');
      await expectTypedError(engine, () => engine.gemm(X, [[1]] as unknown as DenseMatrix), InvalidArgumentError, 'B');
    });

    test('NaN or Infinity in a dense operand, and a non-finite alpha', async () => {
      const bad = DenseMatrix.fromRows([[1, 2], [Number.NaN, 4], [5, 6]]);
      await expectTypedError(engine, () => engine.spmmCsr(W, bad), InvalidArgumentError, 'X');
      const inf = DenseMatrix.fromRows([[1, Number.POSITIVE_INFINITY], [0, 0], [0, 0]]);
      await expectTypedError(engine, () => engine.spmmCsrT(W, inf), InvalidArgumentError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, dY, X, { alpha: Number.NaN }), InvalidArgumentError, 'options.alpha');
      await expectTypedError(engine, () => engine.gemm(X, X, { transB: true, alpha: Number.POSITIVE_INFINITY }), InvalidArgumentError, 'options.alpha');
    });

    test('use after dispose throws DisposedError; dispose is idempotent', async () => {
      const e = await createEngine({ backend: name === 'webgpu' ? 'webgpu' : 'cpu' });
      e.dispose();
      e.dispose();
      await expect(e.spmmCsr(W, X)).rejects.toBeInstanceOf(DisposedError);
      await expect(e.gemm(X, X, { transB: true })).rejects.toBeInstanceOf(DisposedError);
    });
  });
}

describe('formats reject bad structure with the argument named', () => {
  const ok = { rows: 2, cols: 3, rowPtr: new Uint32Array([0, 1, 2]), colIdx: new Uint32Array([0, 2]), values: new Float32Array([1, 2]) };
  const cases: Array<[string, () => unknown, string]> = [
    ['rowPtr of the wrong length', () => new CSRMatrix({ ...ok, rowPtr: new Uint32Array([0, 1]) }), 'rowPtr'],
    ['rowPtr not starting at 0', () => new CSRMatrix({ ...ok, rowPtr: new Uint32Array([1, 1, 2]) }), 'rowPtr'],
    ['rowPtr not monotone', () => new CSRMatrix({ ...ok, rowPtr: new Uint32Array([0, 2, 1]), colIdx: new Uint32Array([0]), values: new Float32Array([1]) }), 'rowPtr'],
    ['colIdx of the wrong length', () => new CSRMatrix({ ...ok, colIdx: new Uint32Array([0]) }), 'colIdx'],
    ['values of the wrong length', () => new CSRMatrix({ ...ok, values: new Float32Array([1, 2, 3]) }), 'values'],
    ['column out of range', () => new CSRMatrix({ ...ok, colIdx: new Uint32Array([0, 3]) }), 'colIdx'],
    ['unsorted columns', () => new CSRMatrix({ ...ok, rowPtr: new Uint32Array([0, 2, 2]), colIdx: new Uint32Array([2, 0]) }), 'colIdx'],
    ['duplicate columns', () => new CSRMatrix({ ...ok, rowPtr: new Uint32Array([0, 2, 2]), colIdx: new Uint32Array([1, 1]) }), 'colIdx'],
    ['NaN value', () => new CSRMatrix({ ...ok, values: new Float32Array([1, Number.NaN]) }), 'values'],
    ['Infinity value', () => new CSRMatrix({ ...ok, values: new Float32Array([Number.NEGATIVE_INFINITY, 1]) }), 'values'],
    ['colIdx not a Uint32Array', () => new CSRMatrix({ ...ok, colIdx: [0, 2] as unknown as Uint32Array }), 'colIdx'],
    ['negative rows', () => new CSRMatrix({ ...ok, rows: -1 }), 'rows'],
    ['COO duplicate', () => CSRMatrix.fromCOO({ rows: 2, cols: 2, rowIndices: [0, 0], colIndices: [1, 1], values: [1, 2] }), 'colIndices'],
    ['COO row out of range', () => CSRMatrix.fromCOO({ rows: 2, cols: 2, rowIndices: [2], colIndices: [0], values: [1] }), 'rowIndices'],
    ['density above 1', () => CSRMatrix.random({ rows: 3, cols: 3, density: 1.5 }), 'density'],
    ['epsilon ≤ 0', () => CSRMatrix.random({ rows: 3, cols: 3, epsilon: 0 }), 'epsilon'],
    ['both density and epsilon', () => CSRMatrix.random({ rows: 3, cols: 3, density: 0.5, epsilon: 2 }), 'density'],
    ['N:M with cols % m ≠ 0', () => NMMatrix.random({ rows: 2, cols: 6, n: 2, m: 4 }), 'cols'],
    ['N:M with n > m', () => NMMatrix.random({ rows: 2, cols: 8, n: 5, m: 4 }), 'n'],
    ['N:M with unsupported m', () => NMMatrix.random({ rows: 2, cols: 6, n: 1, m: 3 }), 'm'],
    ['N:M with m = 32', () => NMMatrix.random({ rows: 2, cols: 32, n: 1, m: 32 }), 'm'],
    ['N:M with more than n nonzeros in a group', () => NMMatrix.fromDense(DenseMatrix.fromRows([[1, 1, 1, 0]]), { n: 2, m: 4 }), 'dense'],
    ['N:M values of the wrong length', () => new NMMatrix({ rows: 1, cols: 4, n: 2, m: 4, values: new Float32Array(3), indices: new Uint32Array(1) }), 'values'],
    ['N:M indices of the wrong length', () => new NMMatrix({ rows: 1, cols: 4, n: 2, m: 4, values: new Float32Array(2), indices: new Uint32Array(2) }), 'indices'],
    ['N:M positions not increasing', () => new NMMatrix({ rows: 1, cols: 4, n: 2, m: 4, values: new Float32Array(2), indices: new Uint32Array([(1 << 2) | 1]) }), 'indices'],
    ['N:M NaN value', () => new NMMatrix({ rows: 1, cols: 4, n: 2, m: 4, values: new Float32Array([Number.NaN, 1]), indices: new Uint32Array([1 << 2]) }), 'values'],
    ['DenseMatrix data of the wrong length', () => new DenseMatrix(2, 2, new Float32Array(3)), 'data'],
  ];
  for (const [name, fn, argument] of cases) {
    test(name, () => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as InvalidArgumentError).argument).toBe(argument);
    });
  }
});

describe('engine options and limits', () => {
  const engines: Engine[] = [];
  afterAll(() => engines.forEach((e) => e.dispose()));

  test('an unknown backend name is rejected', async () => {
    await expect(createEngine({ backend: 'cuda' as 'cpu' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test('a buffer over the device limit is refused with DeviceLimitError, never zeros', async () => {
    const small = await createEngine({ backend: 'webgpu', maxBufferBytes: 1024 });
    engines.push(small);
    expect(small.maxBufferBytes).toBe(1024);
    const big = DenseMatrix.random(3, 100); // 1200 bytes
    await expectTypedError(small, () => small.spmmCsr(W, big), DeviceLimitError, 'X');
    const wide = CSRMatrix.random({ rows: 300, cols: 3, density: 1, seed: 1 }); // 900 values: 3600 bytes
    await expectTypedError(small, () => small.spmmCsr(wide, X), DeviceLimitError, 'W.values');
    // The output alone over the limit: 300 × 2 floats = 2400 bytes.
    const tall = CSRMatrix.random({ rows: 300, cols: 3, density: 0.1, seed: 2 });
    let caught: unknown;
    try {
      await small.spmmCsr(tall, X);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DeviceLimitError);
  });

  test("'webgpu' without an adapter throws; 'auto' falls back to the CPU and says why", async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    await expect(createEngine({ backend: 'webgpu', gpu: noAdapter })).rejects.toBeInstanceOf(BackendUnavailableError);
    const auto = await createEngine({ backend: 'auto', gpu: noAdapter });
    engines.push(auto);
    expect(auto.backend).toBe('cpu');
    expect(auto.fallbackReason).toMatch(/adapter/);
    expect(Array.from((await auto.spmmCsr(W, X)).data)).toEqual([11, 14, 0, 0, 9, 12]);
  });
});
