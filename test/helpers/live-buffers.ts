/**
 * Tracks the GPU buffers a device creates and that are not destroyed yet, by
 * wrapping createBuffer and each buffer's destroy: what leak tests count.
 */
export function trackLiveBuffers(device: GPUDevice): { live: Set<GPUBuffer>; restore(): void } {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  return { live, restore: () => void (device.createBuffer = create) };
}
