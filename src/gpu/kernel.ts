import type { OperationScope } from './gpu-context.js';
import type { GpuPlan } from './plan.js';

export type { GpuPlan };


/**
 * One operation, two implementations of identical semantics: `cpu` over typed
 * arrays and `plan`, which uploads operands into the scope and records WGSL
 * dispatches. `validate` runs first, on both backends, so bad input fails the
 * same way everywhere and before any GPU work.
 */
export interface Kernel<Args extends unknown[], Result> {
  readonly name: string;
  validate(...args: Args): void;
  cpu(...args: Args): Result;
  plan(scope: OperationScope, ...args: Args): GpuPlan<Result>;
}
