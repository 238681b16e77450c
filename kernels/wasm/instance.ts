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
 * Copies `inputs` into `memory` as consecutive 16-byte-aligned arrays
 * followed by room for `outputBytes`, growing the memory as needed. Returns
 * the byte offset of every input, then of the output: the kernels' arguments.
 */
export function stage(memory: WebAssembly.Memory, inputs: ReadonlyArray<Float32Array | Uint32Array>, outputBytes: number): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const byteLength of [...inputs.map((a) => a.byteLength), outputBytes]) {
    offsets.push(at);
    at = (at + byteLength + 15) & ~15;
  }
  const have = memory.buffer.byteLength;
  if (at > have) memory.grow(Math.ceil((at - have) / 65536));
  inputs.forEach((a, i) => new Uint8Array(memory.buffer, offsets[i], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
  return offsets;
}

/** A copy of the `length` floats a kernel wrote at byte offset `at`. */
export function readBack(memory: WebAssembly.Memory, at: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, at, length).slice();
}
