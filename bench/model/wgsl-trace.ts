// Traces from the WGSL itself: runs a product's tracing variant (flag TRACE,
// shaders/fragments/trace.wgsl) on a WebGPU device — SwiftShader here — and
// turns the events it wrote into the trace format of bench/model/trace.ts, so
// bench/model/analyze.ts reads them as it reads the JavaScript models. The
// models (bench/model/kernels.ts, bench/model/gemm.ts) scale to shapes no
// trace buffer holds; these traces say whether the models describe the code
// that runs (the tests compare the two event for event).
import { gemmGrid, type GemmDims } from '../../kernels/gemm.js';
import { tracedGatherCsrProgram, tracedGatherCsrWarpProgram, tracedGemmProgram, tracedGemmReduceProgram, tracedSddmmCsrProgram } from '../../kernels/programs.js';
import { rowSchedule } from '../../kernels/row-order.js';
import type { GpuContext, OperationScope } from '../../src/gpu/gpu-context.js';
import type { CSRMatrix } from '../../src/index.js';
import { InvocationRecorder, workgroupThreads, type DispatchTrace, type InvocationTrace, type MemoryEvent, type WorkgroupTrace } from './trace.js';

/** Buffer ids of the gather's events (the T_ consts of shaders/spmm.wgsl), by id. */
export const GATHER_TRACE_BUFFERS = ['rowOrder', 'rowPtr', 'colIdx', 'perm', 'values', 'X', 'Y', 'schedule'] as const;
/** Buffer ids of the SDDMM's events (the T_ consts of shaders/sddmm.wgsl), by id. */
export const SDDMM_TRACE_BUFFERS = ['rowOf', 'colIdx', 'dY', 'X', 'outValues'] as const;

/**
 * Buffer ids of the GEMM's events (the T_ consts of shaders/gemm.wgsl), by id:
 * its bindings, then its workgroup arrays (`main`'s As, Bs; tileGpu's tileA,
 * tileB), which have ids too so bank conflicts can be counted.
 */
export const GEMM_TRACE_BUFFERS = ['A', 'B', 'C', 'partials', 'As', 'Bs', 'tileA', 'tileB'] as const;
const GEMM_WORKGROUP_ARRAYS: ReadonlySet<string> = new Set(GEMM_TRACE_BUFFERS.slice(4));

/** The CSR products with tracing variants: Y = W·X, dX = Wᵀ·dY (through the transpose index), the SDDMM at W's entries. */
export type TracedProduct = 'gather' | 'gatherTranspose' | 'sddmm';

export interface WgslTraceRequest {
  product: TracedProduct;
  W: CSRMatrix;
  batch: number;
  /** The 'gpu' kernel profile's entry point (gatherWarp, sddmmWarp) instead of the emulation one (main). */
  warp: boolean;
  /** Room for this many events (default 2^21, 32 MiB); a dispatch that makes more is refused, not truncated. */
  maxEvents?: number;
  /** gatherWarp's schedule (kernels/row-order.ts's words; default: rowSchedule's of the product's rows). */
  schedule?: Uint32Array;
}

const HEADER_WORDS = 4;
const EVENT_WORDS = 4;

/** Runs the tracing variant once and returns its trace (every workgroup traced). */
export async function traceWgsl(ctx: GpuContext, request: WgslTraceRequest): Promise<DispatchTrace> {
  const { product, W, batch, warp } = request;
  const label = `${product} (${warp ? 'gpu' : 'emulation'}, WGSL trace)`;
  const shape = product === 'sddmm' ? sddmmShape(W.nnz, warp) : gatherShape(product === 'gather' ? W.rows : W.cols, batch, warp);
  const words = await recordTrace(ctx, label, request.maxEvents, (s, trace) => {
    if (product === 'sddmm') recordSddmm(s, W, batch, warp, shape.workgroups, trace);
    else recordGather(s, W, batch, warp, product === 'gatherTranspose', shape.workgroups, trace, request.schedule);
  });
  return decodeTrace(words, label, product === 'sddmm' ? SDDMM_TRACE_BUFFERS : GATHER_TRACE_BUFFERS, shape);
}

/**
 * Every invocation's events as sorted strings, keyed `workgroup/localIndex`:
 * the form in which the tests hold a WGSL trace and a model's equal (the
 * order of a shader's events is the order its atomics won, not the program's).
 */
export function eventsByInvocation(trace: DispatchTrace): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const key = (e: MemoryEvent) => `${e.kind} ${e.buffer}@${e.byteOffset}+${e.bytes} step ${e.step}`;
  for (const wg of trace.workgroups()) {
    for (const inv of wg.invocations) out.set(`${wg.workgroup}/${inv.localIndex}`, inv.events.map(key).sort());
  }
  return out;
}

/** Runs `record` (one dispatch of a tracing variant) with a trace buffer of room for `maxEvents`, and returns the buffer's words. */
async function recordTrace(ctx: GpuContext, label: string, requested: number | undefined, record: (s: OperationScope, trace: GPUBuffer) => void): Promise<Uint32Array> {
  const maxEvents = Math.min(requested ?? 2 ** 21, Math.floor(ctx.maxBufferBytes / 4 / EVENT_WORDS) - HEADER_WORDS);
  const byteLength = (HEADER_WORDS + maxEvents * EVENT_WORDS) * 4;
  const words = await ctx.run(`trace ${label}`, (s) => {
    const trace = s.output('trace', byteLength);
    record(s, trace);
    return { result: trace, byteLength, decode: (bytes) => new Uint32Array(bytes) };
  });
  if (words[0]! > maxEvents) throw new RangeError(`${label}: ${words[0]} events do not fit the trace buffer of ${maxEvents}; trace a smaller shape`);
  return words;
}

/**
 * The events of a trace buffer as a DispatchTrace: `names` maps buffer ids to
 * names; events on buffers `keep` rejects are left out (so are invocations left without any).
 */
function decodeTrace(words: Uint32Array, label: string, names: readonly string[], shape: DispatchShape, keep: (buffer: string) => boolean = () => true): DispatchTrace {
  const count = words[0]!;
  const threads = workgroupThreads(shape.size);
  const byInvocation = new Map<number, InvocationRecorder>();
  for (let e = 0; e < count; e++) {
    const at = HEADER_WORDS + e * EVENT_WORDS;
    const invocation = words[at]!;
    const packed = words[at + 2]!;
    const buffer = names[packed & 0xff];
    if (buffer === undefined) throw new Error(`${label}: event ${e} names buffer id ${packed & 0xff}, which the shader does not declare`);
    if (!keep(buffer)) continue;
    let rec = byInvocation.get(invocation);
    if (!rec) byInvocation.set(invocation, (rec = new InvocationRecorder()));
    const kind = (packed >>> 8) & 0xff;
    (kind === 0 ? rec.load : rec.store).call(rec, words[at + 1]!, buffer, words[at + 3]!, packed >>> 16);
  }
  const workgroups = new Map<number, InvocationTrace[]>();
  for (const [globalIndex, rec] of [...byInvocation].sort((a, b) => a[0] - b[0])) {
    const g = Math.floor(globalIndex / threads);
    let list = workgroups.get(g);
    if (!list) workgroups.set(g, (list = []));
    list.push({ globalIndex, localIndex: globalIndex % threads, events: rec.events });
  }
  const traced: WorkgroupTrace[] = [];
  for (let g = 0; g < shape.workgroups; g++) traced.push({ workgroup: g, invocations: workgroups.get(g) ?? [] });
  return {
    label,
    workgroupSize: shape.size,
    workgroupCount: shape.workgroups,
    workgroupMemoryBytes: shape.workgroupMemoryBytes,
    tracedWorkgroups: traced.length,
    workgroups: () => traced,
  };
}

interface DispatchShape {
  size: readonly [number, number, number];
  workgroups: number;
  /** The entry point's var<workgroup> declarations, in bytes. */
  workgroupMemoryBytes: number;
}

const gatherConsts = tracedGatherCsrProgram(false, false).layout.consts;
const sddmmConsts = tracedSddmmCsrProgram(false, false).layout.consts;

function gatherShape(rows: number, batch: number, warp: boolean): DispatchShape {
  const { THREADS_B, COLS_PER_THREAD, ROWS_PER_WG, WARP_LANES, WARP_ROWS, WARP_COLS } = gatherConsts;
  const tileB = warp ? WARP_LANES * WARP_COLS : THREADS_B * COLS_PER_THREAD;
  const rowsPerWorkgroup = warp ? WARP_ROWS : ROWS_PER_WG;
  return {
    size: warp ? [WARP_LANES, WARP_ROWS, 1] : [THREADS_B, ROWS_PER_WG, 1],
    workgroups: Math.ceil(rows / rowsPerWorkgroup) * Math.ceil(batch / tileB),
    // gatherWarp: stagedColumn, stagedValue (lanes × rows each), rowLengths (rows), longestRow, partialSums (rows × tile).
    workgroupMemoryBytes: warp ? (2 * WARP_LANES * WARP_ROWS + WARP_ROWS + 1 + WARP_ROWS * tileB) * 4 : 0,
  };
}

function sddmmShape(nnz: number, warp: boolean): DispatchShape {
  const { ENTRIES, WARP_LANES, WARP_ENTRIES } = sddmmConsts;
  return {
    size: warp ? [WARP_LANES, WARP_ENTRIES, 1] : [ENTRIES, 1, 1],
    workgroups: Math.ceil(nnz / (warp ? WARP_ENTRIES : ENTRIES)),
    // sddmmWarp: partials, (lanes + 1) × entries.
    workgroupMemoryBytes: warp ? (WARP_LANES + 1) * WARP_ENTRIES * 4 : 0,
  };
}

/** Seeded operand values: what is loaded does not change which addresses are, but NaNs would hide nothing either way. */
function operand(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed * 131 + i) * 0.5);
}

function recordGather(s: OperationScope, W: CSRMatrix, batch: number, warp: boolean, transpose: boolean, workgroups: number, trace: GPUBuffer, schedule: Uint32Array | undefined): void {
  const vec4 = !warp && batch % 4 === 0;
  const rows = transpose ? W.cols : W.rows;
  const inner = transpose ? W.rows : W.cols;
  const t = transpose ? W.transposeIndex() : undefined;
  const tileB = warp ? gatherConsts.WARP_LANES * gatherConsts.WARP_COLS : gatherConsts.THREADS_B * gatherConsts.COLS_PER_THREAD;
  const X = s.upload('X', operand(inner * batch, 1));
  const Y = s.output('Y', rows * batch * 4);
  const uniforms = { rows, batch, batchTiles: Math.ceil(batch / tileB) };
  if (warp) {
    const ptr = t ? t.colPtr : W.rowPtr;
    s.dispatch(tracedGatherCsrWarpProgram(transpose), {
      bindings: {
        X,
        Y,
        values: s.upload('W.values', W.values),
        colIdx: s.upload('colIdx', t ? t.rowIdx : W.colIdx),
        schedule: s.upload('schedule', schedule ?? rowSchedule.cpu(ptr, rows)),
        ...(t ? { perm: s.upload('perm', t.perm) } : {}),
        trace,
      },
      uniforms,
      workgroups,
    });
    return;
  }
  s.dispatch(tracedGatherCsrProgram(transpose, vec4), {
    bindings: {
      X,
      Y,
      values: s.upload('W.values', W.values),
      rowPtr: s.upload('rowPtr', t ? t.colPtr : W.rowPtr),
      colIdx: s.upload('colIdx', t ? t.rowIdx : W.colIdx),
      rowOrder: s.upload('rowOrder', t ? t.order : W.rowOrder()),
      ...(t ? { perm: s.upload('perm', t.perm) } : {}),
      trace,
    },
    uniforms,
    workgroups,
  });
}

function recordSddmm(s: OperationScope, W: CSRMatrix, batch: number, warp: boolean, workgroups: number, trace: GPUBuffer): void {
  const program = tracedSddmmCsrProgram(!warp && batch % 4 === 0, warp);
  s.dispatch(program, {
    bindings: {
      dY: s.upload('dY', operand(W.rows * batch, 2)),
      X: s.upload('X', operand(W.cols * batch, 3)),
      outValues: s.output('outValues', W.nnz * 4),
      rowOf: s.upload('rowOf', W.rowIndices()),
      colIdx: s.upload('colIdx', W.colIdx),
      trace,
    },
    uniforms: { nnz: W.nnz, batch, alpha: 1 },
    workgroups,
  });
}

export interface GemmWgslTraceRequest {
  /** The kernel profile whose tile pass runs: `main` ('emulation') or tileGpu, split by gemmGrid ('gpu'). */
  profile: 'emulation' | 'gpu';
  dims: GemmDims;
  transA?: boolean;
  transB?: boolean;
  /** Room for this many events per dispatch (as WgslTraceRequest's). */
  maxEvents?: number;
}

/** A GEMM's WGSL trace, split as bench/model/gemm.ts's model splits it. */
export interface GemmWgslTrace {
  /** The tile pass's global memory: A, B, and C, or with split-K the partials (the buffer bound to C). */
  tile: DispatchTrace;
  /** The tile pass's workgroup memory (As, Bs or tileA, tileB), every workgroup and k-step. */
  workgroupMemory: DispatchTrace;
  /** reduceSplits, when gemmGrid splits K. */
  reduce?: DispatchTrace;
}

const gemmConsts = tracedGemmProgram(false, false, false).layout.consts;
/** fragments/gemm-tile.wgsl's k-step (a const of the fragment, not of the layout). */
const GEMM_TK = 16;

/** Runs the GEMM's tracing variants once (the tile pass, then reduceSplits under split-K) on seeded operands. */
export async function traceGemmWgsl(ctx: GpuContext, request: GemmWgslTraceRequest): Promise<GemmWgslTrace> {
  const { profile, dims } = request;
  const { m, n, k } = dims;
  const transA = request.transA ?? false;
  const transB = request.transB ?? false;
  const gpu = profile === 'gpu';
  const { TS, GPU_TM, GPU_TN, GPU_TK, REDUCE_THREADS } = gemmConsts;
  const grid = gpu ? gemmGrid(dims) : { tilesM: Math.ceil(m / TS), tilesN: Math.ceil(n / TS), splits: 1, kChunk: k, workgroups: Math.ceil(m / TS) * Math.ceil(n / TS) };
  const label = `gemm (${profile} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${grid.splits > 1 ? ` split-K ${grid.splits}` : ''}, WGSL trace)`;
  const uniforms = { M: m, N: n, K: k, tilesM: grid.tilesM, tilesN: grid.tilesN, splits: grid.splits, kChunk: grid.kChunk, alpha: 1 };
  const tileWords = await recordTrace(ctx, label, request.maxEvents, (s, trace) => {
    const bindings = { A: s.upload('A', operand(m * k, 4)), B: s.upload('B', operand(k * n, 5)), C: s.output('C', grid.splits * m * n * 4), trace };
    s.dispatch(tracedGemmProgram(transA, transB, gpu), { bindings, uniforms, workgroups: grid.workgroups });
  });
  const shape: DispatchShape = {
    size: [16, 16, 1],
    workgroups: grid.workgroups,
    // main: As, Bs (TK × TS f32 each); tileGpu: tileA, tileB (GPU_TK rows of GPU_TM / 4 + 1 and GPU_TN / 4 + 1 vec4s).
    workgroupMemoryBytes: gpu ? GPU_TK * (GPU_TM / 4 + 1 + GPU_TN / 4 + 1) * 16 : 2 * GEMM_TK * TS * 4,
  };
  // Under split-K the tile pass's C binding holds the partials.
  const names = GEMM_TRACE_BUFFERS.map((b) => (b === 'C' && grid.splits > 1 ? 'partials' : b));
  const trace: GemmWgslTrace = {
    tile: decodeTrace(tileWords, label, names, shape, (b) => !GEMM_WORKGROUP_ARRAYS.has(b)),
    workgroupMemory: decodeTrace(tileWords, `${label} workgroup memory`, names, shape, (b) => GEMM_WORKGROUP_ARRAYS.has(b)),
  };
  if (grid.splits === 1) return trace;
  const reduceLabel = `gemm (gpu reduceSplits ${grid.splits}, WGSL trace)`;
  const reduceShape: DispatchShape = { size: [REDUCE_THREADS, 1, 1], workgroups: Math.ceil((m * n) / REDUCE_THREADS), workgroupMemoryBytes: 0 };
  const reduceWords = await recordTrace(ctx, reduceLabel, request.maxEvents, (s, trace) => {
    const bindings = { partials: s.upload('partials', operand(grid.splits * m * n, 6)), C: s.output('C', m * n * 4), trace };
    s.dispatch(tracedGemmReduceProgram, { bindings, uniforms, workgroups: reduceShape.workgroups });
  });
  return { ...trace, reduce: decodeTrace(reduceWords, reduceLabel, GEMM_TRACE_BUFFERS, reduceShape) };
}
