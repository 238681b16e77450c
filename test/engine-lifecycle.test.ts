/**
 * Engine lifecycle on real WebGPU: backend selection, borrowed vs owned
 * devices, device loss, the per-device pipeline cache, prepared operations.
 */
import { describe, expect, test } from 'vitest';
import { createEngine, CSRMatrix, DenseMatrix, DeviceLostError, DisposedError } from '../src/index.js';
import { expectChosenBackend, gpuEngine } from './helpers/engines.js';

const W = CSRMatrix.random({ rows: 20, cols: 30, density: 0.3, seed: 3, init: 'uniform' });
const X = DenseMatrix.random(30, 4, { seed: 4 });

describe('engine lifecycle', () => {
  test("'cpu' gives the CPU with no fallback reason; 'webgpu' gives adapter info", async () => {
    expectChosenBackend(await createEngine({ backend: 'cpu' }), 'cpu');
    const gpu = await gpuEngine();
    expectChosenBackend(gpu, 'webgpu');
    expect(gpu.adapterInfo?.vendor || gpu.adapterInfo?.architecture).toBeTruthy();
    // Limits were raised to the adapter's, not left at the 128 MiB default.
    expect(gpu.device!.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
  });

  test('a borrowed device survives dispose(); an owned one is destroyed', async () => {
    const owner = await createEngine({ backend: 'webgpu' });
    const borrower = await createEngine({ device: owner.device! });
    const expected = (await owner.spmmCsr(W, X)).data;
    borrower.dispose();
    expect(Array.from((await owner.spmmCsr(W, X)).data)).toEqual(Array.from(expected));
    owner.dispose();
    await expect(owner.spmmCsr(W, X)).rejects.toBeInstanceOf(DisposedError);
  });

  test('device loss: later calls reject with DeviceLostError, host matrices are intact', async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    const before = Float32Array.from(W.values);
    await engine.spmmCsr(W, X);
    // A loss not caused by engine.dispose(): e.g. a driver reset, simulated by destroy().
    engine.device!.destroy();
    await engine.device!.lost;
    await expect(engine.spmmCsr(W, X)).rejects.toBeInstanceOf(DeviceLostError);
    expect(W.values).toEqual(before);
    // A new engine picks up the work.
    const fresh = await createEngine({ backend: 'webgpu' });
    expect((await fresh.spmmCsr(W, X)).rows).toBe(20);
    fresh.dispose();
    engine.dispose();
  });

  test('pipelines are compiled once per device', async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    await engine.spmmCsr(W, X);
    const after1 = engine.pipelineCount;
    await engine.spmmCsr(W, X);
    await engine.spmmCsr(W, DenseMatrix.random(30, 12));
    expect(engine.pipelineCount).toBe(after1);
    // A batch that is not a multiple of 4 takes the scalar-load variant: one more pipeline, once.
    await engine.spmmCsr(W, DenseMatrix.random(30, 9));
    await engine.spmmCsr(W, DenseMatrix.random(30, 5));
    expect(engine.pipelineCount).toBe(after1 + 1);
    await engine.spmmCsrT(W, DenseMatrix.random(20, 4));
    expect(engine.pipelineCount).toBe(after1 + 2);
    const borrower = await createEngine({ device: engine.device! });
    await borrower.spmmCsr(W, X);
    expect(borrower.pipelineCount).toBe(after1 + 2);
    borrower.dispose();
    engine.dispose();
  });

  test('a prepared operation runs repeatedly and is released by dispose()', async () => {
    const engine = await gpuEngine();
    const prepared = await engine.prepare('spmmCsr', W, X);
    const once = await prepared.run();
    const encoder = engine.device!.createCommandEncoder();
    prepared.encode(encoder, 5);
    engine.device!.queue.submit([encoder.finish()]);
    const again = await prepared.run();
    expect(Array.from(again.data)).toEqual(Array.from(once.data));
    prepared.dispose();
    await expect(prepared.run()).rejects.toBeInstanceOf(DisposedError);
    const cpu = await createEngine({ backend: 'cpu' });
    await expect(cpu.prepare('spmmCsr', W, X)).rejects.toThrow(/webgpu backend/);
  });
});
