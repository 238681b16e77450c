/**
 * Instantiates one of the CPU backend's WebAssembly modules once, or yields
 * null where WebAssembly (or its SIMD) is missing, so callers fall back to
 * their JavaScript loops. Also the scratch layout the kernels share.
 */
export interface WasmKernel<Exports> {
  memory: WebAssembly.Memory;
  exports: Exports;
}

let forcedOff = false;

/**
 * @internal Tests: run the JavaScript fallbacks as an environment without
 * WebAssembly SIMD would (to check both paths give the same bits).
 */
export function setWasmKernelsEnabled(enabled: boolean): void {
  forcedOff = !enabled;
}

export function wasmKernel<Exports>(bytes: Uint8Array<ArrayBuffer>): () => WasmKernel<Exports> | null {
  let kernel: WasmKernel<Exports> | null | undefined;
  return () => {
    if (forcedOff) return null;
    if (kernel !== undefined) return kernel;
    kernel = null;
    try {
      // Modules this small may be compiled synchronously, on a browser's main thread too.
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
        const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Exports & { memory: WebAssembly.Memory };
        kernel = { memory: exports.memory, exports };
      }
    } catch {
      kernel = null;
    }
    return kernel;
  };
}

/**
 * Byte offsets of consecutive 16-byte-aligned arrays of the given byte
 * lengths, growing `memory` to hold them all; the last entry is the end.
 */
export function layout(memory: WebAssembly.Memory, byteLengths: readonly number[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const length of byteLengths) {
    offsets.push(at);
    at = (at + length + 15) & ~15;
  }
  offsets.push(at);
  const have = memory.buffer.byteLength;
  if (at > have) memory.grow(Math.ceil((at - have) / 65536));
  return offsets;
}
