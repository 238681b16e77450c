import type { GpuContext } from '../src/engine/gpu-context.js';

/**
 * One operation, two implementations of identical semantics: `cpu` over typed
 * arrays and `gpu` through a WGSL program. `validate` runs first, on both
 * backends, so bad input fails the same way everywhere and before any GPU work.
 */
export interface Kernel<Args extends unknown[], Result> {
  readonly name: string;
  validate(...args: Args): void;
  cpu(...args: Args): Result;
  gpu(ctx: GpuContext, ...args: Args): Promise<Result>;
}
