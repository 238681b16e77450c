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
