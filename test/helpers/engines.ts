import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';

let gpu: Promise<Engine> | undefined;

/**
 * The WebGPU engine for tests. No adapter is a failure, never a skip: a GPU
 * test that quietly passes without a GPU proves nothing.
 */
export function gpuEngine(): Promise<Engine> {
  gpu ??= createEngine({ backend: 'webgpu' }).then(
    (engine) => {
      const a = engine.adapterInfo;
      console.log(`[wgsparse tests] WebGPU adapter: ${a?.vendor} ${a?.architecture} ${a?.description}`.trim());
      return engine;
    },
    (e: unknown) => {
      throw new Error(`GPU tests need a WebGPU adapter (install chromium for SwiftShader; see README): ${String(e)}`);
    },
  );
  return gpu;
}

export function adapterName(engine: Engine): string {
  const a = engine.adapterInfo;
  return [a?.vendor, a?.architecture].filter(Boolean).join(' ') || 'unknown adapter';
}

export function cpuEngine(): Promise<Engine> {
  return createEngine({ backend: 'cpu' });
}

export type Backend = 'cpu' | 'webgpu';

/** The engine runs the backend asked for, not a fallback: no fallback reason, and a device exactly when it is WebGPU. */
export function expectChosenBackend(engine: Engine, backend: Backend): void {
  expect(engine.backend).toBe(backend);
  expect(engine.fallbackReason).toBeUndefined();
  if (backend === 'webgpu') expect(engine.device).toBeDefined();
  else expect(engine.device).toBeUndefined();
}

/**
 * `describe` once per backend, titled `${title} (cpu backend)` and
 * `(webgpu backend)`, with the block's engine made before its tests: a fresh
 * CPU engine disposed after them, or the shared WebGPU engine (kept: other
 * files use it). The body reads the engine through `engine()` at test time.
 */
export function describeBackends(title: string, body: (engine: () => Engine, backend: Backend) => void): void {
  describe.each([
    ['cpu', cpuEngine],
    ['webgpu', gpuEngine],
  ] as const)(`${title} (%s backend)`, (backend, makeEngine) => {
    let current: Engine | undefined;
    beforeAll(async () => {
      current = await makeEngine();
    });
    afterAll(() => {
      if (backend === 'cpu') current?.dispose();
    });
    body(() => {
      if (!current) throw new Error(`the ${backend} engine of "${title}" is not made yet (use engine() inside a test)`);
      return current;
    }, backend);
  });
}

/** The shared WebGPU engine and a CPU engine, and both as [backend, engine] pairs, for tests that loop over the two. */
export async function bothEngines(): Promise<{ gpu: Engine; cpu: Engine; backends: ReadonlyArray<readonly [Backend, Engine]> }> {
  const gpu = await gpuEngine();
  const cpu = await cpuEngine();
  return { gpu, cpu, backends: [['webgpu', gpu], ['cpu', cpu]] };
}
