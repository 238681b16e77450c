/**
 * Bad input, on the WebGPU engine (real Dawn device) and the CPU engine, and
 * in the format constructors: every case raises its typed error class naming
 * the argument at fault, no WebGPU validation error leaks out, and the engine
 * still gives correct answers afterwards.
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
  NMLinear,
  NMMatrix,
  ShapeMismatchError,
  SparseLinear,
  WgsparseError,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { caught } from './helpers/expect-error.js';
import { trackLiveBuffers } from './helpers/live-buffers.js';

type ErrorClass = abstract new (...args: never[]) => Error;

// W = [[1,0,2],[0,0,0],[0,3,0]], X = [[1,2],[3,4],[5,6]] → W·X = [[11,14],[0,0],[9,12]].
const W = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 2], [0, 0, 0], [0, 3, 0]]));
const X = DenseMatrix.fromRows([[1, 2], [3, 4], [5, 6]]);
const WX = [11, 14, 0, 0, 9, 12];
// N (2:4) = [[1,0,0,2],[0,3,4,0]], X4 = [1,2,3,4]ᵀ → N·X4 = [9, 18].
const N = NMMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 0, 2], [0, 3, 4, 0]]), { n: 2, m: 4 });
const X4 = DenseMatrix.fromRows([[1], [2], [3], [4]]);
const NX4 = [9, 18];


/** The error is exactly the expected class (not just a parent) and names the argument. */
function expectNamed(error: unknown, cls: ErrorClass, argument: string): void {
  expect(error, `expected ${cls.name} naming '${argument}', got ${String(error)}`).toBeInstanceOf(cls);
  expect((error as Error).name).toBe(cls.name);
  expect(error).toBeInstanceOf(WgsparseError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as Error).message.startsWith(`${argument}: `)).toBe(true);
}

/** The engine still works: two different ops give their exact results. */
async function expectUsable(engine: Engine): Promise<void> {
  expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
  expect(Array.from((await engine.spmmNM(N, X4)).data)).toEqual(NX4);
}

/**
 * Runs `fn` inside a WebGPU validation error scope (on the GPU engine),
 * expects the typed error, checks that nothing leaked into the scope, then
 * checks that the engine still works.
 */
async function expectTypedError(engine: Engine, fn: () => unknown, cls: ErrorClass, argument: string): Promise<void> {
  const device = engine.device;
  device?.pushErrorScope('validation');
  const error = await caught(fn);
  const leaked = device ? await device.popErrorScope() : null;
  expectNamed(error, cls, argument);
  expect(leaked, `WebGPU validation error leaked: ${leaked?.message}`).toBeNull();
  await expectUsable(engine);
}

const gpu = await gpuEngine();
const cpu = await cpuEngine();

for (const [name, engine] of [
  ['webgpu', gpu],
  ['cpu', cpu],
] as Array<[string, Engine]>) {
  describe(`bad operands on the ${name} engine`, () => {
    test('the engine is the one intended', async () => {
      expect(engine.backend).toBe(name);
      await expectUsable(engine);
    });

    test('shape mismatches in the CSR ops name the operand', async () => {
      const X4x2 = DenseMatrix.random(4, 2);
      await expectTypedError(engine, () => engine.spmmCsr(W, X4x2), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmCsrT(W, X4x2), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, X4x2, X), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, DenseMatrix.random(3, 2), X4x2), ShapeMismatchError, 'X');
      // Batch (columns) of dY and X differ.
      await expectTypedError(engine, () => engine.sddmmCsr(W, DenseMatrix.random(3, 5), X), ShapeMismatchError, 'X');
    });

    test('shape mismatches in the N:M ops name the operand', async () => {
      await expectTypedError(engine, () => engine.spmmNM(N, DenseMatrix.random(3, 1)), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmNM(N, DenseMatrix.random(2, 1)), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.spmmNMT(N, DenseMatrix.random(4, 1)), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmNM(N, DenseMatrix.random(3, 1), X4), ShapeMismatchError, 'dY');
      await expectTypedError(engine, () => engine.sddmmNM(N, DenseMatrix.random(2, 1), DenseMatrix.random(5, 1)), ShapeMismatchError, 'X');
      await expectTypedError(engine, () => engine.sddmmNM(N, DenseMatrix.random(2, 3), X4), ShapeMismatchError, 'X');
    });

    test('shape mismatches in gemm, every transposition', async () => {
      const A = DenseMatrix.random(2, 3); // op(A): 2×3, or 3×2 with transA
      await expectTypedError(engine, () => engine.gemm(A, DenseMatrix.random(2, 3)), ShapeMismatchError, 'B');
      await expectTypedError(engine, () => engine.gemm(A, DenseMatrix.random(3, 4), { transA: true }), ShapeMismatchError, 'B');
      await expectTypedError(engine, () => engine.gemm(A, DenseMatrix.random(4, 2), { transB: true }), ShapeMismatchError, 'B');
      await expectTypedError(engine, () => engine.gemm(A, DenseMatrix.random(4, 3), { transA: true, transB: true }), ShapeMismatchError, 'B');
      // The matching shapes of each variant do run (and are right).
      const B = DenseMatrix.fromRows([[1, 0], [0, 1], [1, 1]]);
      const P = DenseMatrix.fromRows([[1, 2, 3], [4, 5, 6]]);
      expect(Array.from((await engine.gemm(P, B)).data)).toEqual([4, 5, 10, 11]);
      expect(Array.from((await engine.gemm(P, DenseMatrix.fromRows([[1, 1], [0, 2]]), { transA: true })).data)).toEqual([1, 9, 2, 12, 3, 15]);
      expect(Array.from((await engine.gemm(P, B.transpose(), { transB: true })).data)).toEqual([4, 5, 10, 11]);
      expect(Array.from((await engine.gemm(P.transpose(), B.transpose(), { transA: true, transB: true, alpha: 2 })).data)).toEqual([8, 10, 20, 22]);
    });

    test('operands of the wrong type name the operand', async () => {
      await expectTypedError(engine, () => engine.spmmCsr(N as unknown as CSRMatrix, X4), InvalidArgumentError, 'W');
      await expectTypedError(engine, () => engine.spmmNM(W as unknown as NMMatrix, X), InvalidArgumentError, 'W');
      await expectTypedError(engine, () => engine.spmmCsr(W, { rows: 3, cols: 2, data: X.data } as unknown as DenseMatrix), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.gemm(X.data as unknown as DenseMatrix, X), InvalidArgumentError, 'A');
    });

    test('NaN and ±Infinity in a dense operand name it', async () => {
      const bad = (rows: number, cols: number, value: number, at = 1) => {
        const d = DenseMatrix.random(rows, cols);
        d.data[at] = value;
        return d;
      };
      await expectTypedError(engine, () => engine.spmmCsr(W, bad(3, 2, Number.NaN)), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.spmmCsr(W, bad(3, 2, Number.POSITIVE_INFINITY, 5)), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.spmmCsrT(W, bad(3, 2, Number.NEGATIVE_INFINITY)), InvalidArgumentError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, bad(3, 2, Number.NaN), X), InvalidArgumentError, 'dY');
      await expectTypedError(engine, () => engine.sddmmCsr(W, X, bad(3, 2, Number.NaN, 0)), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.spmmNM(N, bad(4, 1, Number.NaN, 3)), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.spmmNMT(N, bad(2, 1, Number.POSITIVE_INFINITY)), InvalidArgumentError, 'dY');
      await expectTypedError(engine, () => engine.sddmmNM(N, bad(2, 1, Number.NaN), X4), InvalidArgumentError, 'dY');
      await expectTypedError(engine, () => engine.sddmmNM(N, DenseMatrix.random(2, 1), bad(4, 1, Number.NaN)), InvalidArgumentError, 'X');
      await expectTypedError(engine, () => engine.gemm(bad(2, 2, Number.NaN), DenseMatrix.random(2, 2)), InvalidArgumentError, 'A');
      await expectTypedError(engine, () => engine.gemm(DenseMatrix.random(2, 2), bad(2, 2, Number.POSITIVE_INFINITY)), InvalidArgumentError, 'B');
    });

    test('a non-finite alpha names options.alpha', async () => {
      const dY = DenseMatrix.random(3, 2);
      await expectTypedError(engine, () => engine.sddmmCsr(W, dY, X, { alpha: Number.NaN }), InvalidArgumentError, 'options.alpha');
      await expectTypedError(engine, () => engine.sddmmCsr(W, dY, X, { alpha: Number.POSITIVE_INFINITY }), InvalidArgumentError, 'options.alpha');
      await expectTypedError(engine, () => engine.sddmmNM(N, DenseMatrix.random(2, 1), X4, { alpha: Number.NaN }), InvalidArgumentError, 'options.alpha');
      await expectTypedError(engine, () => engine.gemm(X, DenseMatrix.random(2, 2), { alpha: Number.NEGATIVE_INFINITY }), InvalidArgumentError, 'options.alpha');
      // A finite alpha scales: dY = e₀ (row 0 only), X as above → W's entries (0,0), (0,2), (2,1).
      const e0 = DenseMatrix.fromRows([[1, 0], [0, 0], [0, 0]]);
      expect(Array.from(await engine.sddmmCsr(W, e0, X, { alpha: -0.5 }))).toEqual([-0.5, -2.5, -0]);
    });

    test('prepare() validates too', async () => {
      if (engine.backend === 'cpu') {
        const error = await caught(() => engine.prepare('spmmCsr', W, X));
        expect(error).toBeInstanceOf(BackendUnavailableError);
        await expectUsable(engine);
      } else {
        await expectTypedError(engine, () => engine.prepare('spmmCsr', W, DenseMatrix.random(4, 2)), ShapeMismatchError, 'X');
        await expectTypedError(engine, () => engine.prepare('gemm', X, X), ShapeMismatchError, 'B');
      }
    });

    // Other positions of the same faults: a wrong shape, type or value in each operand slot.
    describe('further operand variants', () => {
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
  });
}

describe('format constructors', () => {
  const parts = () => ({ rows: 3, cols: 4, rowPtr: Uint32Array.of(0, 2, 2, 3), colIdx: Uint32Array.of(0, 3, 1), values: Float32Array.of(1, 2, 3) });
  const csrError = async (change: Partial<ReturnType<typeof parts>>, argument: string) => expectNamed(await caught(() => new CSRMatrix({ ...parts(), ...change })), InvalidArgumentError, argument);

  test('the unchanged parts are valid', () => {
    expect(new CSRMatrix(parts()).nnz).toBe(3);
  });

  test('CSR: wrong typed-array lengths', async () => {
    await csrError({ rowPtr: Uint32Array.of(0, 2, 3) }, 'rowPtr');
    await csrError({ rowPtr: Uint32Array.of(0, 2, 2, 3, 3) }, 'rowPtr');
    await csrError({ colIdx: Uint32Array.of(0, 3) }, 'colIdx');
    await csrError({ colIdx: Uint32Array.of(0, 3, 1, 2) }, 'colIdx');
    await csrError({ values: Float32Array.of(1, 2) }, 'values');
    await csrError({ values: Float32Array.of(1, 2, 3, 4) }, 'values');
  });

  test('CSR: out-of-range, unsorted and duplicate columns', async () => {
    await csrError({ colIdx: Uint32Array.of(0, 4, 1) }, 'colIdx');
    await csrError({ colIdx: Uint32Array.of(0, 3, 0xffffffff) }, 'colIdx');
    await csrError({ colIdx: Uint32Array.of(3, 0, 1) }, 'colIdx');
    await csrError({ colIdx: Uint32Array.of(1, 1, 1) }, 'colIdx');
  });

  test('CSR: rowPtr not starting at 0 or not monotone', async () => {
    await csrError({ rowPtr: Uint32Array.of(1, 2, 2, 3) }, 'rowPtr');
    await csrError({ rowPtr: Uint32Array.of(0, 3, 2, 3) }, 'rowPtr');
    await csrError({ rowPtr: Uint32Array.of(0, 2, 1, 3) }, 'rowPtr');
  });

  test('CSR: NaN and ±Infinity values', async () => {
    await csrError({ values: Float32Array.of(Number.NaN, 2, 3) }, 'values');
    await csrError({ values: Float32Array.of(1, Number.POSITIVE_INFINITY, 3) }, 'values');
    await csrError({ values: Float32Array.of(1, 2, Number.NEGATIVE_INFINITY) }, 'values');
    expectNamed(await caught(() => W.withValues(Float32Array.of(1, Number.NaN, 3))), InvalidArgumentError, 'values');
    expectNamed(await caught(() => W.withValues(Float32Array.of(1, 2))), InvalidArgumentError, 'values');
  });

  test('DenseMatrix: wrong data length and bad shapes', async () => {
    expectNamed(await caught(() => new DenseMatrix(2, 3, new Float32Array(5))), InvalidArgumentError, 'data');
    expectNamed(await caught(() => new DenseMatrix(2, 3, [1, 2, 3, 4, 5, 6, 7])), InvalidArgumentError, 'data');
    expectNamed(await caught(() => new DenseMatrix(-2, 3)), InvalidArgumentError, 'rows');
    expectNamed(await caught(() => new DenseMatrix(2, Number.POSITIVE_INFINITY)), InvalidArgumentError, 'cols');
  });

  const nmParts = () => ({ rows: 2, cols: 4, n: 2, m: 4, values: Float32Array.from(N.values), indices: Uint32Array.from(N.indices) });
  const nmError = async (change: Partial<ReturnType<typeof nmParts>>, argument: string) => expectNamed(await caught(() => new NMMatrix({ ...nmParts(), ...change })), InvalidArgumentError, argument);

  test('N:M: the unchanged parts are valid', () => {
    expect(new NMMatrix(nmParts()).toDense().data).toEqual(N.toDense().data);
  });

  test('N:M: wrong values / indices lengths', async () => {
    await nmError({ values: new Float32Array(3) }, 'values');
    await nmError({ values: new Float32Array(5) }, 'values');
    await nmError({ indices: new Uint32Array(0) }, 'indices');
    await nmError({ indices: new Uint32Array(2) }, 'indices');
  });

  test('N:M: cols % m ≠ 0, n > m, unsupported m', async () => {
    await nmError({ cols: 6 }, 'cols');
    await nmError({ n: 5 }, 'n');
    await nmError({ n: 0 }, 'n');
    await nmError({ n: 1.5 }, 'n');
    await nmError({ m: 3 }, 'm');
    await nmError({ m: 32 }, 'm');
    await nmError({ m: 1 }, 'm');
    expectNamed(await caught(() => NMMatrix.fromDense(DenseMatrix.random(2, 6), { n: 2, m: 4 })), InvalidArgumentError, 'dense');
    expectNamed(await caught(() => NMMatrix.pruneDense(DenseMatrix.random(2, 8), { n: 3, m: 2 })), InvalidArgumentError, 'n');
    expectNamed(await caught(() => NMMatrix.pruneDense(DenseMatrix.random(2, 96), { n: 2, m: 32 })), InvalidArgumentError, 'm');
    expectNamed(await caught(() => NMMatrix.random({ rows: 2, cols: 9, n: 1, m: 3 })), InvalidArgumentError, 'm');
    expectNamed(await caught(() => NMMatrix.random({ rows: 2, cols: 10, n: 1, m: 4 })), InvalidArgumentError, 'cols');
  });

  test('N:M: more than n nonzeros in a group via fromDense', async () => {
    const three = DenseMatrix.fromRows([[1, 0, 0, 0, 1, 2, 3, 0]]);
    expectNamed(await caught(() => NMMatrix.fromDense(three, { n: 2, m: 4 })), InvalidArgumentError, 'dense');
    expectNamed(await caught(() => NMMatrix.fromDense(DenseMatrix.fromRows([[1, 1]]), { n: 1, m: 2 })), InvalidArgumentError, 'dense');
    // Pruning the same matrix is the way out, and works.
    expect(Array.from(NMMatrix.pruneDense(three, { n: 2, m: 4 }).toDense().data)).toEqual([1, 0, 0, 0, 0, 2, 3, 0]);
  });

  test('N:M: non-increasing packed positions', async () => {
    // 2:4, one row of one group: positions (2, 2) and (3, 1).
    const one = { rows: 1, cols: 4, n: 2, m: 4, values: Float32Array.of(1, 2) };
    expect(new NMMatrix({ ...one, indices: Uint32Array.of(1 | (3 << 2)) }).slotColumn(1)).toBe(3);
    expectNamed(await caught(() => new NMMatrix({ ...one, indices: Uint32Array.of(2 | (2 << 2)) })), InvalidArgumentError, 'indices');
    expectNamed(await caught(() => new NMMatrix({ ...one, indices: Uint32Array.of(3 | (1 << 2)) })), InvalidArgumentError, 'indices');
    // In the second row's group of the shared fixture.
    await nmError({ indices: Uint32Array.of(N.indices[0]! & 0xf | (((2 | (1 << 2)) << 4) >>> 0)) }, 'indices');
  });

  test('N:M: NaN and ±Infinity values', async () => {
    await nmError({ values: Float32Array.of(1, 2, Number.NaN, 4) }, 'values');
    await nmError({ values: Float32Array.of(Number.POSITIVE_INFINITY, 2, 3, 4) }, 'values');
    expectNamed(await caught(() => N.withValues(Float32Array.of(1, 2, 3, Number.NEGATIVE_INFINITY))), InvalidArgumentError, 'values');
  });
});

describe('createEngine options', () => {
  test('a bad backend name or buffer cap names the option', async () => {
    expectNamed(await caught(() => createEngine({ backend: 'cuda' as never })), InvalidArgumentError, 'options.backend');
    expectNamed(await caught(() => createEngine({ backend: '' as never })), InvalidArgumentError, 'options.backend');
    expectNamed(await caught(() => createEngine({ backend: 'cpu', maxBufferBytes: 0 })), InvalidArgumentError, 'options.maxBufferBytes');
    expectNamed(await caught(() => createEngine({ backend: 'cpu', maxBufferBytes: 1.5e3 + 0.5 })), InvalidArgumentError, 'options.maxBufferBytes');
    expectNamed(await caught(() => createEngine({ backend: 'webgpu', maxBufferBytes: Number.NaN })), InvalidArgumentError, 'options.maxBufferBytes');
  });
});

describe('buffers larger than the engine limit (webgpu, maxBufferBytes 1024)', () => {
  let limited: Engine;
  afterAll(() => limited?.dispose());

  /** The op must reject (never resolve, e.g. with zeros) with DeviceLimitError naming `argument`. */
  async function expectLimit(fn: () => Promise<unknown>, argument: string, requestedBytes: number): Promise<void> {
    const device = limited.device!;
    device.pushErrorScope('validation');
    let resolved: unknown;
    let error: unknown;
    try {
      resolved = await fn();
    } catch (e) {
      error = e;
    }
    const leaked = await device.popErrorScope();
    expect(resolved, 'the op resolved instead of rejecting').toBeUndefined();
    expectNamed(error, DeviceLimitError, argument);
    expect((error as DeviceLimitError).requestedBytes).toBe(requestedBytes);
    expect((error as DeviceLimitError).limitBytes).toBe(1024);
    expect(leaked, `WebGPU validation error leaked: ${leaked?.message}`).toBeNull();
    await expectUsable(limited);
  }

  test('an oversized operand is refused by name, and the engine keeps working', async () => {
    limited = await createEngine({ backend: 'webgpu', maxBufferBytes: 1024 });
    expect(limited.backend).toBe('webgpu');
    expect(limited.maxBufferBytes).toBe(1024);
    await expectUsable(limited);

    // X: 300 × 1 floats = 1200 bytes > 1024; W itself is tiny (2 nonzeros).
    const wide = CSRMatrix.fromCOO({ rows: 2, cols: 300, rowIndices: [0, 1], colIndices: [5, 299], values: [1, 2] });
    const bigX = DenseMatrix.random(300, 1, { seed: 2 });
    await expectLimit(() => limited.spmmCsr(wide, bigX), 'X', 1200);
    // The same on the CPU is fine (no cap there): the product is real, not zeros.
    const y = await cpu.spmmCsr(wide, bigX);
    expect(Array.from(y.data)).toEqual([bigX.data[5]!, Math.fround(2 * bigX.data[299]!)]);

    await expectLimit(() => limited.spmmCsrT(wide.withValues(Float32Array.of(1, 1)), DenseMatrix.random(2, 150)), 'dY', 1200);
    await expectLimit(() => limited.sddmmCsr(wide, DenseMatrix.random(2, 1), bigX), 'X', 1200);
    await expectLimit(() => limited.sddmmCsr(W, DenseMatrix.random(3, 100), DenseMatrix.random(3, 100)), 'dY', 1200);
    const nmWide = NMMatrix.random({ rows: 1, cols: 300, n: 1, m: 4, seed: 1 });
    await expectLimit(() => limited.spmmNM(nmWide, bigX), 'X', 1200);
    await expectLimit(() => limited.spmmNMT(N, DenseMatrix.random(2, 150)), 'dY', 1200);
    await expectLimit(() => limited.gemm(DenseMatrix.random(300, 1), DenseMatrix.random(1, 1)), 'A', 1200);
    await expectLimit(() => limited.gemm(DenseMatrix.random(1, 1), DenseMatrix.random(1, 300)), 'B', 1200);
    // W's own values: 300 × 2 fully dense W → 600 floats = 2400 bytes.
    const tall = CSRMatrix.random({ rows: 300, cols: 2, density: 1, seed: 1 });
    await expectLimit(() => limited.spmmCsr(tall, DenseMatrix.random(2, 1)), 'W.values', 2400);
    // Small operands, oversized result: 200 × 2 floats = 1600 bytes.
    const empty = new CSRMatrix({ rows: 200, cols: 1, rowPtr: new Uint32Array(201), colIdx: new Uint32Array(0), values: new Float32Array(0) });
    await expectLimit(() => limited.spmmCsr(empty, DenseMatrix.random(1, 2)), 'result', 1600);
    await expectLimit(() => limited.gemm(DenseMatrix.random(20, 1), DenseMatrix.random(1, 20)), 'result', 1600);
    // Exactly at the limit is allowed: X of 256 floats = 1024 bytes.
    const atLimit = CSRMatrix.fromCOO({ rows: 1, cols: 256, rowIndices: [0], colIndices: [255], values: [3] });
    const x256 = DenseMatrix.random(256, 1, { seed: 5 });
    expect(Array.from((await limited.spmmCsr(atLimit, x256)).data)).toEqual([Math.fround(3 * x256.data[255]!)]);
  });

  test('a layer whose weights exceed the limit is refused by name at attach, keeps nothing allocated, and attaches elsewhere', async () => {
    const device = limited.device!;
    const { live, restore } = trackLiveBuffers(device);
    try {
      for (const [name, make, argument] of [
        ['SparseLinear', () => new SparseLinear({ in: 300, out: 2, density: 1, seed: 1 }), 'W.colIdx'],
        ['NMLinear', () => new NMLinear({ in: 512, out: 2, seed: 1 }), 'W.values'],
      ] as Array<[string, () => SparseLinear | NMLinear, string]>) {
        const layer = make();
        let error: unknown;
        try {
          layer.attach(limited);
        } catch (e) {
          error = e;
        }
        expectNamed(error, DeviceLimitError, argument);
        expect(live.size, `${name}: GPU buffers left after the failed attach`).toBe(0);
        // Unattached, so a CPU engine can take it and it works.
        layer.attach(cpu);
        const y = await layer.forward(DenseMatrix.random(layer.in, 1, { seed: 3 }));
        expect(y.rows).toBe(2);
        layer.dispose();
      }
    } finally {
      restore();
    }
  });
});

describe('use after dispose', () => {
  for (const backend of ['webgpu', 'cpu'] as const) {
    test(`every operation on a disposed ${backend} engine throws DisposedError; dispose is idempotent`, async () => {
      const engine = await createEngine({ backend });
      await expectUsable(engine);
      engine.dispose();
      expect(engine.isDisposed).toBe(true);
      expect(() => engine.dispose()).not.toThrow();
      const dY = DenseMatrix.random(3, 2);
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['spmmCsr', () => engine.spmmCsr(W, X)],
        ['spmmCsrT', () => engine.spmmCsrT(W, dY)],
        ['sddmmCsr', () => engine.sddmmCsr(W, dY, X)],
        ['spmmNM', () => engine.spmmNM(N, X4)],
        ['spmmNMT', () => engine.spmmNMT(N, DenseMatrix.random(2, 1))],
        ['sddmmNM', () => engine.sddmmNM(N, DenseMatrix.random(2, 1), X4)],
        ['gemm', () => engine.gemm(X, DenseMatrix.random(2, 2))],
        ['evolveSet', () => engine.evolveSet(W, { zeta: 0.3, seed: 1 })],
        ['prepare', () => engine.prepare('spmmCsr', W, X)],
        // Disposal wins over bad input.
        ['spmmCsr (bad shape)', () => engine.spmmCsr(W, X4)],
      ];
      for (const [name, op] of ops) {
        const error = await caught(op);
        expect(error, name).toBeInstanceOf(DisposedError);
        expect((error as Error).message, name).toContain('engine');
      }
      expect(() => engine.gpuContextForLayers()).toThrow(DisposedError);
      expect(() => engine.dispose()).not.toThrow();
      // Host-side matrices are untouched.
      expect(Array.from(W.values)).toEqual([1, 2, 3]);
    });
  }

  test('disposing one engine leaves the others usable', async () => {
    const other = await createEngine({ backend: 'webgpu' });
    other.dispose();
    await expectUsable(gpu);
    await expectUsable(cpu);
  });
});

describe('sparse values made non-finite after construction', () => {
  test.each(['cpu', 'webgpu'] as const)('engine products reject them with InvalidArgumentError naming W.values (%s)', async (backend) => {
    const { cpuEngine: cpu, gpuEngine: gpu } = await import('./helpers/engines.js');
    const engine = backend === 'cpu' ? await cpu() : await gpu();
    const W = CSRMatrix.random({ rows: 6, cols: 5, density: 0.5, seed: 2 });
    const X = DenseMatrix.random(5, 3, { seed: 3 });
    W.values[1] = Number.NaN;
    const error = await caught(() => engine.spmmCsr(W, X));
    expectNamed(error, InvalidArgumentError, 'W.values');
    W.values[1] = 0.5;
    expect((await engine.spmmCsr(W, X)).rows).toBe(6);
  });
});

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
