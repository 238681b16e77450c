/**
 * Runs `work` and returns the size of every buffer mapped for reading while it
 * ran (GPUBuffer.prototype.mapAsync is wrapped for the duration): how tests
 * prove that an operation reads back only counters.
 */
export async function mappedBufferSizes(work: () => Promise<unknown>): Promise<number[]> {
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: GPUBuffer } }).GPUBuffer.prototype;
  const original = proto.mapAsync;
  const sizes: number[] = [];
  proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    sizes.push(this.size);
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    proto.mapAsync = original;
  }
  return sizes;
}
