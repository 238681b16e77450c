import type { OperationScope } from '../src/engine/gpu-context.js';

/** What a kernel's GPU side records: dispatches in the scope, and how to read the result. */
export interface GpuPlan<Result> {
  /** The buffer holding the result after the dispatches ran. */
  result: GPUBuffer;
  byteLength: number;
  /** Turns the read-back bytes into the kernel's result type. */
  decode(bytes: ArrayBuffer): Result;
}

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
