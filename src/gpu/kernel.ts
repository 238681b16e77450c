import type { OperationScope } from './gpu-context.js';
import type { GpuPlan } from './plan.js';

export type { GpuPlan };

/**
 * One kernel, two implementations of identical semantics: `cpu` over host
 * arrays and `encode`, which records the same computation over buffers that
 * already live on the GPU (no transfers: operands are resident, results stay
 * there). Every kernel module exports its kernels as such objects, so a layer,
 * a trainer or an evolution step takes `adam.encode` on WebGPU and
 * `adam.cpu` on the CPU backend, and a test compares the two through one name.
 * Arguments differ between the sides (a CSRMatrix on the host is three
 * buffers and its shape on the GPU), the semantics do not: where results must
 * be bit-identical, `cpu` keeps the GPU's summation order.
 */
export interface Kernel<HostArgs extends unknown[], HostResult, GpuArgs extends unknown[], GpuResult = void> {
  readonly name: string;
  cpu(...args: HostArgs): HostResult;
  encode(s: OperationScope, ...args: GpuArgs): GpuResult;
}

/**
 * A kernel whose argument lists are read from its own `cpu` and `encode`
 * parameters, written once where they are used, rather than restated as
 * tuples in a Kernel<…> annotation above them.
 */
export function kernel<HostArgs extends unknown[], HostResult, GpuArgs extends unknown[], GpuResult = void>(
  definition: Kernel<HostArgs, HostResult, GpuArgs, GpuResult>,
): Kernel<HostArgs, HostResult, GpuArgs, GpuResult> {
  return definition;
}

/**
 * A kernel the Engine runs on host operands (its public products, and the
 * primitives tests run alone). `validate` runs first, on both backends, so bad
 * input fails the same way everywhere and before any GPU work; `plan` takes
 * the host operands to the GPU: uploads them into the scope, records `encode`
 * and says how to read the result back. Most plans are derived by
 * `hostKernel` from an upload step and a decode step rather than written.
 * The defaults of GpuArgs / GpuResult let the Engine hold any host kernel
 * (`encode` is a method, so its parameters compare bivariantly).
 */
export interface HostKernel<Args extends unknown[], Result, GpuArgs extends unknown[] = unknown[], GpuResult = unknown>
  extends Kernel<Args, Result, GpuArgs, GpuResult> {
  validate(...args: Args): void;
  plan(s: OperationScope, ...args: Args): GpuPlan<Result>;
}

/** How a derived plan moves a host kernel's operands and result (see hostKernel). */
export interface HostTransfer<Args extends unknown[], Result, GpuArgs extends unknown[]> {
  /**
   * Uploads the operands into the scope and returns the result's size in
   * bytes and the encode arguments around the result buffer. It runs before
   * the result is allocated, so a device-limit error names the operand at
   * fault rather than the result.
   */
  upload(s: OperationScope, ...args: Args): { byteLength: number; encodeArgs(result: GPUBuffer): GpuArgs };
  /** Turns the read-back bytes into the host result. */
  decode(bytes: ArrayBuffer, ...args: Args): Result;
}

/**
 * A host kernel whose plan is the generic one: upload → `s.output('result')`
 * → encode → read back. The definition gives the kernel (name, validate, cpu,
 * encode) and its transfer (upload, decode); the object returned carries the
 * kernel and the derived plan only.
 */
export function hostKernel<Args extends unknown[], Result, GpuArgs extends unknown[]>(
  definition: Kernel<Args, Result, GpuArgs, void> & Pick<HostKernel<Args, Result, GpuArgs, void>, 'validate'> & HostTransfer<Args, Result, GpuArgs>,
): HostKernel<Args, Result, GpuArgs, void> {
  const { name, validate, cpu, encode, upload, decode } = definition;
  return {
    name,
    validate,
    cpu,
    encode,
    plan(s, ...args) {
      const { byteLength, encodeArgs } = upload(s, ...args);
      const result = s.output('result', byteLength);
      encode(s, ...encodeArgs(result));
      return { result, byteLength, decode: (bytes) => decode(bytes, ...args) };
    },
  };
}
