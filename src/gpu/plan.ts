/** What a kernel's GPU side records: dispatches in the scope, and how to read the result. */
export interface GpuPlan<Result> {
  /** The buffer holding the result after the dispatches ran. */
  result: GPUBuffer;
  byteLength: number;
  /** Turns the read-back bytes into the kernel's result type. */
  decode(bytes: ArrayBuffer): Result;
}
