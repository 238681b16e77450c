/**
 * The engine on real WebGPU (Dawn/SwiftShader) and the CPU: backend selection
 * and fallback, borrowed vs owned devices, device loss, the pipeline cache,
 * and disposal.
 */
import { describe, expect, test } from 'vitest';
import { BackendUnavailableError, createEngine, CSRMatrix, DenseMatrix, DeviceLostError, DisposedError, NMMatrix } from '../src/index.js';
import { expectChosenBackend } from './helpers/engines.js';
import { caught } from './helpers/expect-error.js';

// W = [[1,0,2],[0,0,0],[0,3,0]], X = [[1,2],[3,4],[5,6]] → W·X = [[11,14],[0,0],[9,12]] (exact in f32).
const W = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 2], [0, 0, 0], [0, 3, 0]]));
const X = DenseMatrix.fromRows([[1, 2], [3, 4], [5, 6]]);
const WX = [11, 14, 0, 0, 9, 12];

/** A GPU object with no adapter, like a browser with WebGPU blocklisted. */
function fakeGpuWithoutAdapter(): { gpu: GPU; calls: () => number } {
  let calls = 0;
  const gpu = {
    requestAdapter: async () => {
      calls++;
      return null;
    },
    getPreferredCanvasFormat: () => 'bgra8unorm',
    wgslLanguageFeatures: new Set<string>(),
  } as unknown as GPU;
  return { gpu, calls: () => calls };
}

/** Whether `promise` settles within `ms` (without waiting longer). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}


describe('backend selection', () => {
  test("backend 'cpu': the CPU, no fallback reason, no device", async () => {
    const engine = await createEngine({ backend: 'cpu' });
    expectChosenBackend(engine, 'cpu');
    expect(engine.adapterInfo).toBeUndefined();
    expect(engine.pipelineCount).toBe(0);
    expect(engine.maxBufferBytes).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
    engine.dispose();
  });

  test("backend 'webgpu': a device and adapter info", async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    try {
      expectChosenBackend(engine, 'webgpu');
      const info = engine.adapterInfo;
      expect(info).toBeDefined();
      for (const key of ['vendor', 'architecture', 'device', 'description'] as const) expect(typeof info![key]).toBe('string');
      expect(`${info!.vendor}${info!.architecture}${info!.description}`.length).toBeGreaterThan(0);
      expect(engine.maxBufferBytes).toBe(Math.min(engine.device!.limits.maxBufferSize, engine.device!.limits.maxStorageBufferBindingSize));
      expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
    } finally {
      engine.dispose();
    }
  });

  test("backend 'auto' (the default) picks WebGPU where an adapter exists", async () => {
    for (const engine of [await createEngine(), await createEngine({ backend: 'auto' })]) {
      expectChosenBackend(engine, 'webgpu');
      expect(engine.adapterInfo).toBeDefined();
      engine.dispose();
    }
  });

  test("'auto' with no adapter falls back to the CPU and says why", async () => {
    const fake = fakeGpuWithoutAdapter();
    const engine = await createEngine({ backend: 'auto', gpu: fake.gpu });
    expect(fake.calls()).toBe(1);
    expect(engine.backend).toBe('cpu');
    expect(typeof engine.fallbackReason).toBe('string');
    expect(engine.fallbackReason!.trim().length).toBeGreaterThan(0);
    expect(engine.fallbackReason).toMatch(/adapter/i);
    expect(engine.adapterInfo).toBeUndefined();
    expect(engine.device).toBeUndefined();
    // The fallback really computes.
    expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
    engine.dispose();
  });

  test("'auto' falls back, with the reason, when requestAdapter throws", async () => {
    const gpu = { requestAdapter: async () => Promise.reject(new Error('adapter exploded')) } as unknown as GPU;
    const engine = await createEngine({ gpu });
    expect(engine.backend).toBe('cpu');
    expect(engine.fallbackReason).toContain('adapter exploded');
    expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
  });

  test("'webgpu' with no adapter throws BackendUnavailableError", async () => {
    const fake = fakeGpuWithoutAdapter();
    const error = await caught(() => createEngine({ backend: 'webgpu', gpu: fake.gpu }));
    expect(fake.calls()).toBe(1);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).name).toBe('BackendUnavailableError');
    expect((error as Error).message).toMatch(/requestAdapter/);
  });
});

describe('borrowed and owned devices', () => {
  test('a borrowed device is used but not destroyed on dispose', async () => {
    const owner = await createEngine({ backend: 'webgpu' });
    const device = owner.device!;
    const borrower = await createEngine({ device });
    expect(borrower.backend).toBe('webgpu');
    expect(borrower.device).toBe(device);
    expect(Array.from((await borrower.spmmCsr(W, X)).data)).toEqual(WX);
    borrower.dispose();
    expect(borrower.isDisposed).toBe(true);
    expect(await caught(() => borrower.spmmCsr(W, X))).toBeInstanceOf(DisposedError);
    // The device lives on: not lost, still accepts work without errors.
    expect(await settlesWithin(device.lost, 200)).toBe(false);
    device.pushErrorScope('validation');
    const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, new Float32Array(4));
    buffer.destroy();
    expect(await device.popErrorScope()).toBeNull();
    expect(Array.from((await owner.spmmCsr(W, X)).data)).toEqual(WX);
    // A second borrower on the same device works too.
    const again = await createEngine({ backend: 'webgpu', device });
    expect(Array.from((await again.spmmCsr(W, X)).data)).toEqual(WX);
    again.dispose();
    owner.dispose();
  });

  test('dispose() destroys an owned device; later ops throw DisposedError', async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    const device = engine.device!;
    expect(Array.from((await engine.spmmCsr(W, X)).data)).toEqual(WX);
    expect(await settlesWithin(device.lost, 50)).toBe(false);
    engine.dispose();
    expect(engine.isDisposed).toBe(true);
    expect(await settlesWithin(device.lost, 5000)).toBe(true);
    expect((await device.lost).reason).toBe('destroyed');
    // Disposed, not "lost": the loss was the engine's own doing.
    const error = await caught(() => engine.spmmCsr(W, X));
    expect(error).toBeInstanceOf(DisposedError);
    expect(error).not.toBeInstanceOf(DeviceLostError);
    expect(await caught(() => engine.gemm(X, DenseMatrix.random(2, 2)))).toBeInstanceOf(DisposedError);
    expect(() => engine.dispose()).not.toThrow();
  });
});

describe('device loss', () => {
  test('after a loss not caused by dispose(), ops reject with DeviceLostError and host matrices are intact', async () => {
    const A = CSRMatrix.random({ rows: 40, cols: 60, density: 0.2, seed: 12, init: 'uniform' });
    const B = DenseMatrix.random(60, 5, { seed: 13 });
    const valuesBefore = Float32Array.from(A.values);
    const colIdxBefore = Uint32Array.from(A.colIdx);
    const xBefore = Float32Array.from(B.data);
    const engine = await createEngine({ backend: 'webgpu' });
    const expected = (await engine.spmmCsr(A, B)).data;
    // Simulated loss (a driver reset, say): the device is destroyed behind the engine's back.
    engine.device!.destroy();
    // Right away, before the loss has been reported.
    const immediate = await caught(() => engine.spmmCsr(A, B));
    expect(immediate, `got ${String(immediate)}`).toBeInstanceOf(DeviceLostError);
    await engine.device!.lost;
    for (const op of [() => engine.spmmCsr(A, B), () => engine.spmmCsrT(A, DenseMatrix.random(40, 2)), () => engine.gemm(B, DenseMatrix.random(5, 1))]) {
      const error = await caught(op);
      expect(error).toBeInstanceOf(DeviceLostError);
      expect((error as DeviceLostError).reason.length).toBeGreaterThan(0);
    }
    // Host-side data still holds its values.
    expect(A.values).toEqual(valuesBefore);
    expect(A.colIdx).toEqual(colIdxBefore);
    expect(B.data).toEqual(xBefore);
    // ... and a fresh engine gives the same product from them.
    const fresh = await createEngine({ backend: 'webgpu' });
    expect((await fresh.spmmCsr(A, B)).data).toEqual(expected);
    fresh.dispose();
    // Disposing a lost engine is fine; afterwards it reports disposal.
    expect(() => engine.dispose()).not.toThrow();
    expect(await caught(() => engine.spmmCsr(A, B))).toBeInstanceOf(DisposedError);
  });
});

describe('pipeline cache', () => {
  test('running the same op again compiles nothing new; a new op does', async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    try {
      expect(engine.pipelineCount).toBe(0);
      const dY = DenseMatrix.random(3, 2);
      const N24 = NMMatrix.random({ rows: 3, cols: 8, n: 2, m: 4, seed: 1 });
      const N28 = NMMatrix.random({ rows: 3, cols: 8, n: 2, m: 8, seed: 1 });
      const ops: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
        ['spmmCsr', () => engine.spmmCsr(W, X), () => engine.spmmCsr(W, DenseMatrix.random(3, 7))],
        ['spmmCsrT', () => engine.spmmCsrT(W, dY), () => engine.spmmCsrT(W, DenseMatrix.random(3, 9))],
        ['sddmmCsr', () => engine.sddmmCsr(W, dY, X), () => engine.sddmmCsr(W, dY, X, { alpha: 0.5 })],
        ['spmmNM 2:4', () => engine.spmmNM(N24, DenseMatrix.random(8, 2)), () => engine.spmmNM(N24, DenseMatrix.random(8, 3))],
        ['spmmNM 2:8', () => engine.spmmNM(N28, DenseMatrix.random(8, 2)), () => engine.spmmNM(N28, DenseMatrix.random(8, 2))],
        ['gemm', () => engine.gemm(X, dY, { transB: true }), () => engine.gemm(X, DenseMatrix.random(4, 2), { transB: true })],
      ];
      for (const [name, first, second] of ops) {
        const before = engine.pipelineCount;
        await first();
        const afterFirst = engine.pipelineCount;
        expect(afterFirst, `${name} compiled its pipeline`).toBeGreaterThan(before);
        await first();
        await second();
        expect(engine.pipelineCount, `${name} again`).toBe(afterFirst);
      }
      // Engines borrowing the device share its cache.
      const borrower = await createEngine({ device: engine.device! });
      const count = engine.pipelineCount;
      expect(borrower.pipelineCount).toBe(count);
      await borrower.spmmCsr(W, X);
      expect(borrower.pipelineCount).toBe(count);
      borrower.dispose();
    } finally {
      engine.dispose();
    }
  });
});
