/**
 * Instantiates the CPU backend's WebAssembly modules once each, or yields
 * null where WebAssembly (or its SIMD) is missing, so callers fall back to
 * their JavaScript loops. All modules import one memory, so an operand staged
 * by one (the N:M columns nm-decode.wat writes) is read in place by another.
 * Also the staging every kernel wrapper shares.
 */
import nmDecodeModule, { shared as nmDecodeShared } from './nm-decode.wat';

export interface WasmKernel<Exports> {
  memory: WebAssembly.Memory;
  exports: Exports;
}

let forcedOff = false;
/** The memory every module imports: shared where the realm allows (worker threads then run over it), else a plain one. Null: no WebAssembly. */
let memory: WebAssembly.Memory | null | undefined;

/**
 * @internal Tests: run the JavaScript fallbacks as an environment without
 * WebAssembly SIMD would (to check both paths give the same bits).
 */
export function setWasmKernelsEnabled(enabled: boolean): void {
  forcedOff = !enabled;
}

/** Bytes the shared WebAssembly memory holds now (0 before any kernel loaded); it grows, never shrinks. */
export function wasmMemoryBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

/**
 * The kernels' memory, created on first use: a shared one (maximum 4 GiB, as
 * a plain one's growth allows) where SharedArrayBuffer exists and a browser
 * page is cross-origin isolated, so that kernels/wasm/pool.ts may hand it to
 * workers; plain otherwise. Chosen once: every module is instantiated for it.
 */
export function kernelMemory(): WebAssembly.Memory | null {
  if (memory !== undefined) return memory;
  memory = null;
  if (typeof WebAssembly !== 'object') return memory;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  if (isolated && typeof SharedArrayBuffer === 'function') {
    try {
      memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    } catch {
      memory = null;
    }
  }
  memory ??= new WebAssembly.Memory({ initial: 1 });
  return memory;
}

/** `bytes` importing a plain memory, `sharedBytes` the same module importing a shared one (the wat plugin's two exports). */
export function wasmKernel<Exports>(bytes: Uint8Array<ArrayBuffer>, sharedBytes: Uint8Array<ArrayBuffer>): () => WasmKernel<Exports> | null {
  let kernel: WasmKernel<Exports> | null | undefined;
  return () => {
    if (forcedOff) return null;
    if (kernel !== undefined) return kernel;
    kernel = null;
    try {
      const mem = kernelMemory();
      const module = mem?.buffer instanceof ArrayBuffer ? bytes : sharedBytes;
      // Modules this small may be compiled synchronously, on a browser's main thread too.
      if (mem && WebAssembly.validate(module)) {
        const exports = new WebAssembly.Instance(new WebAssembly.Module(module), { env: { memory: mem } }).exports as unknown as Exports;
        kernel = { memory: mem, exports };
      }
    } catch {
      kernel = null;
    }
    return kernel;
  };
}

/**
 * The positions of an N:M matrix as it stores them (packed in-group fields),
 * for a kernel that wants a column per slot: staging decodes them in
 * WebAssembly (nm-decode.wat) instead of copying a decoded Uint32Array in.
 */
export interface PackedColumns {
  readonly packed: Uint32Array;
  readonly nnz: number;
  readonly n: number;
  readonly m: number;
  readonly cols: number;
}

export type StagedOperand = Float32Array | Uint32Array | PackedColumns;

/** An N:M matrix's columns for a CPU kernel: packed for the SIMD path, decoded on demand for the JavaScript loops. */
export interface NMColumns extends PackedColumns {
  decoded(): Uint32Array;
}

/** The columns of an N:M matrix (W.indices are its packed positions). */
export function nmColumns(W: { readonly indices: Uint32Array; readonly nnz: number; readonly n: number; readonly m: number; readonly cols: number; slotColumns(): Uint32Array }): NMColumns {
  return { packed: W.indices, nnz: W.nnz, n: W.n, m: W.m, cols: W.cols, decoded: () => W.slotColumns() };
}

const loadDecoder = wasmKernel<{ slotColumns: (packed: number, nnz: number, n: number, m: number, bits: number, cols: number, out: number) => void }>(nmDecodeModule, nmDecodeShared);

/**
 * Operands already staged during the current stagingSession: per buffer, the
 * views copied in and where. Undefined outside a session.
 */
let session: { staged: Map<ArrayBufferLike, Array<{ byteOffset: number; byteLength: number; at: number }>>; top: number } | undefined;

/** Whether a stagingSession is running (its staged operands are kept for reuse). */
export function inStagingSession(): boolean {
  return session !== undefined;
}

/**
 * Runs `fn` (an operand check followed by the CPU product it guards) so that
 * an array staged twice in it is copied once: the finiteness scan's copy of
 * the weights and activations is the one the product reads. Sound because
 * `fn` runs synchronously and nothing in it writes its operands; staging
 * allocates after everything staged before it in the session.
 */
export function stagingSession<T>(fn: () => T): T {
  if (session) return fn();
  session = { staged: new Map(), top: 0 };
  try {
    return fn();
  } finally {
    session = undefined;
  }
}

/**
 * Copies `inputs` into the shared memory as consecutive 16-byte-aligned
 * arrays (decoding PackedColumns into a column per slot), followed by room
 * for `outputBytes`, growing the memory as needed. Returns the byte offset of
 * every input (the decoded columns for PackedColumns), then of the output:
 * the kernels' arguments. Undefined where the decoder is unavailable or the
 * memory cannot grow that far (the caller's JavaScript path runs instead).
 */
export function stage(memory: WebAssembly.Memory, inputs: readonly StagedOperand[], outputBytes: number): number[] | undefined {
  // In a session, inputs staged before are read where they are.
  const reused = inputs.map((a) => (isPacked(a) ? undefined : session?.staged.get(a.buffer)?.find((v) => v.byteOffset === a.byteOffset && v.byteLength === a.byteLength)?.at));
  // Packed operands take their packed words plus room for the decoded columns.
  const sizes = inputs.flatMap((a, i) => (isPacked(a) ? [a.packed.byteLength, a.nnz * 4] : [reused[i] === undefined ? a.byteLength : 0]));
  const offsets: number[] = [];
  let at = session?.top ?? 0;
  for (const byteLength of [...sizes, outputBytes]) {
    offsets.push(at);
    // Not `& ~15`: offsets past 2 GiB would turn negative.
    at = Math.ceil((at + byteLength) / 16) * 16;
  }
  const have = memory.buffer.byteLength;
  if (at > have) {
    try {
      memory.grow(Math.ceil((at - have) / 65536));
    } catch {
      // Past what a 32-bit memory (or the host) allows: the caller's JavaScript path runs instead.
      return undefined;
    }
  }
  if (session) session.top = at;
  const result: number[] = [];
  let slot = 0;
  for (const [i, a] of inputs.entries()) {
    if (isPacked(a)) {
      new Uint8Array(memory.buffer, offsets[slot], a.packed.byteLength).set(new Uint8Array(a.packed.buffer, a.packed.byteOffset, a.packed.byteLength));
      const decoder = loadDecoder();
      if (!decoder) return undefined;
      decoder.exports.slotColumns(offsets[slot]!, a.nnz, a.n, a.m, Math.log2(a.m), a.cols, offsets[slot + 1]!);
      result.push(offsets[slot + 1]!);
      slot += 2;
      continue;
    }
    const before = reused[i];
    if (before !== undefined) {
      result.push(before);
    } else {
      new Uint8Array(memory.buffer, offsets[slot], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      result.push(offsets[slot]!);
      if (session) {
        const views = session.staged.get(a.buffer) ?? [];
        views.push({ byteOffset: a.byteOffset, byteLength: a.byteLength, at: offsets[slot]! });
        session.staged.set(a.buffer, views);
      }
    }
    slot += 1;
  }
  result.push(offsets[slot]!);
  return result;
}

function isPacked(a: StagedOperand): a is PackedColumns {
  return !ArrayBuffer.isView(a);
}

/** A copy of the `length` floats a kernel wrote at byte offset `at`. */
export function readBack(memory: WebAssembly.Memory, at: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, at, length).slice();
}
