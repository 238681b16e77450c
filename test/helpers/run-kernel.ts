import type { HostKernel } from '../../src/gpu/kernel.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import type { Engine } from '../../src/index.js';

/** Runs an internal kernel (one without an Engine method) on an engine's device, borrowed. */
export async function runOnGpu<Args extends unknown[], Result>(engine: Engine, kernel: HostKernel<Args, Result>, ...args: Args): Promise<Result> {
  const ctx = new GpuContext(engine.device!, false, undefined);
  kernel.validate(...args);
  return ctx.run(kernel.name, (s) => kernel.plan(s, ...args));
}
