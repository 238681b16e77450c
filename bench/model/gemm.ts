// JavaScript models of the dense GEMM's shaders for the GPU execution model:
// shaders/gemm.wgsl's `main` (the 'emulation' kernel profile: the tile of
// shaders/fragments/gemm-tile.wgsl) and `tileGpu` + `reduceSplits` (the 'gpu'
// profile), transcribed as of the commit that added tileGpu. Unlike the
// models of kernels.ts, they also trace workgroup memory (the staged tiles),
// because what a GEMM does with it decides its speed: bank conflicts
// (analyzeBankConflicts) and multiply-adds per workgroup-memory load.
//
// Both profiles' tile sizes come from the declared layout (kernels/programs.ts)
// and the gpu profile's split-K from kernels/gemm.ts's gemmGrid, so the model
// follows the host's decisions; the index arithmetic is transcribed and must
// be mirrored by hand when the shader changes — test/gemm-trace.test.ts
// fails until it is (it holds modelGemmTilePass and reduceSplits' model
// against the shaders' TRACE variant, event for event).
//
// Sampling: every k-step of a tile repeats the same accesses one GPU_TK (or
// TK) further along K, so besides sampling workgroups (maxWorkgroups) the
// traces hold up to maxKSteps evenly spaced k-steps of each workgroup (the
// first and last included) — ratios are means over accesses, and a test
// checks the sample against the whole. The serial steps are counted over the
// whole k range all the same. Workgroup-memory addresses do not depend on the
// workgroup, so that trace holds its first and last workgroup.
import { gemmGrid } from '../../kernels/gemm.js';
import { programs } from '../../kernels/programs.js';
import {
  analyzeBankConflicts,
  analyzeDispatch,
  emptyTotals,
  kernelModel,
  type AccessTotals,
  type DispatchAnalysis,
  type OperationAnalysis,
  type WorkgroupMemoryModel,
} from './analyze.js';
import { workgroupsPerSM, type DeviceProfile } from './profiles.js';
import { sampleWorkgroups, stepOf, type DispatchTrace, type InvocationTrace, type MemoryEvent, type OperationTrace, type WorkgroupTrace } from './trace.js';

const { TS, GPU_TM, GPU_TN, GPU_TK, REDUCE_THREADS } = programs.gemmNN.layout.consts;
/** fragments/gemm-tile.wgsl's k-step (its own const TK). */
const TK = 16;
const F32 = 4;
const VEC4 = 16;

export type GemmModelProfile = 'emulation' | 'gpu';

export interface GemmModelOptions {
  transA?: boolean;
  transB?: boolean;
  /** Trace at most this many workgroups per dispatch (evenly spaced, first and last included; default all). */
  maxWorkgroups?: number;
  /** Trace at most this many k-steps per workgroup (evenly spaced, first and last included; default 4). */
  maxKSteps?: number;
}

/** A GEMM's trace: the operation (global memory), the tile pass's workgroup memory, and what the analysis needs besides. */
export interface GemmTrace {
  operation: OperationTrace;
  /**
   * The tile pass's traced workgroups one by one, and the weight of their global loads: the workgroup's
   * k-steps ÷ those traced (its loads are all in the k loop, its stores all after it).
   */
  tileWorkgroups: Array<{ trace: DispatchTrace; loadWeight: number }>;
  /** The tile pass's workgroup-memory accesses (offsets within tileA/tileB, As/Bs). */
  workgroupMemory: DispatchTrace;
  /** Multiply-adds the invocations of the workgroup-memory trace perform over its k-steps (every lane does all of them, padding included). */
  workgroupMemoryMads: number;
  /** Per dispatch: the most global accesses one traced invocation makes over its whole k range. */
  serialSteps: number[];
}

/** Which memory an invocation's accesses are wanted for: global (`buffer`: a binding) or workgroup (`buffer`: the var). */
type Space = 'global' | 'workgroup';
type Sink = (e: MemoryEvent) => void;

interface TileShape {
  /** Workgroups of the tile pass, and the tile and split of workgroup g. */
  workgroups: number;
  tileOf(g: number): { row0: number; col0: number; kBegin: number; kEnd: number; out: number };
  /** One invocation's accesses to `space` over the k-steps `steps` (indices within its k range), then its stores. */
  invocation(g: number, x: number, y: number, steps: Iterable<number>, space: Space, sink: Sink): void;
  workgroupMemoryBytes: number;
  madsPerKStep: number;
}

/** op(A)[row, k] and op(B)[k, col] as byte offsets into A and B (the hooks mm_readA / mm_readB of gemm.wgsl). */
function operands(m: number, n: number, k: number, transA: boolean, transB: boolean) {
  return {
    a: (row: number, kk: number) => (transA ? kk * m + row : row * k + kk) * F32,
    b: (kk: number, col: number) => (transB ? col * k + kk : kk * n + col) * F32,
  };
}

const ev = (step: number, buffer: string, byteOffset: number, bytes: number, kind: 'load' | 'store'): MemoryEvent => ({ step, buffer, byteOffset, bytes, kind });

/**
 * shaders/gemm.wgsl `main` (fragments/gemm-tile.wgsl): 16 × 16 threads, a
 * TS × TS tile, thread (x, y) owns rows 4y … 4y + 3 and columns 4x … 4x + 3.
 * Per k-step, element e = tid + 256i (i < 4) is staged: As[kk][mm] (mm = e / TK,
 * kk = e % TK, or kk = e / TS, mm = e % TS with TRANS_A) and Bs likewise; then
 * per kk the thread reads As[kk][4y + c] and Bs[kk][4x + c], 8 scalar loads
 * for 16 multiply-adds.
 */
function emulationTile(m: number, n: number, k: number, transA: boolean, transB: boolean): TileShape {
  const tilesN = Math.ceil(n / TS);
  const { a, b } = operands(m, n, k, transA, transB);
  const per = (TS * TK) / 256;
  // Sites: staging (A load, As store, B load, Bs store) × per, then As / Bs reads (TK × 4 each), then the 16 stores.
  const S_STAGE = 0;
  const S_READ = 4 * per;
  const S_STORE = S_READ + 2 * TK * 4;
  const SITES = S_STORE + 16;
  return {
    workgroups: Math.ceil(m / TS) * tilesN,
    tileOf: (g) => ({ row0: Math.floor(g / tilesN) * TS, col0: (g % tilesN) * TS, kBegin: 0, kEnd: k, out: 0 }),
    workgroupMemoryBytes: 2 * TK * TS * F32,
    madsPerKStep: TK * 16,
    invocation(g, x, y, steps, space, sink) {
      const global = space === 'global';
      const row0 = Math.floor(g / tilesN) * TS;
      const col0 = (g % tilesN) * TS;
      const tid = y * 16 + x;
      for (const it of steps) {
        const k0 = it * TK;
        for (let i = 0; i < per; i++) {
          const e = tid + 256 * i;
          const site = (s: number) => stepOf(S_STAGE + 4 * i + s, SITES, it);
          const [mm, ka] = transA ? [e % TS, Math.floor(e / TS)] : [Math.floor(e / TK), e % TK];
          if (!global) sink(ev(site(1), 'As', (ka * TS + mm) * F32, F32, 'store'));
          else if (row0 + mm < m && k0 + ka < k) sink(ev(site(0), 'A', a(row0 + mm, k0 + ka), F32, 'load'));
          const [nn, kb] = transB ? [Math.floor(e / TK), e % TK] : [e % TS, Math.floor(e / TS)];
          if (!global) sink(ev(site(3), 'Bs', (kb * TS + nn) * F32, F32, 'store'));
          else if (col0 + nn < n && k0 + kb < k) sink(ev(site(2), 'B', b(k0 + kb, col0 + nn), F32, 'load'));
        }
        for (let kk = 0; kk < TK && !global; kk++) {
          for (let c = 0; c < 4; c++) {
            sink(ev(stepOf(S_READ + kk * 4 + c, SITES, it), 'As', (kk * TS + 4 * y + c) * F32, F32, 'load'));
            sink(ev(stepOf(S_READ + TK * 4 + kk * 4 + c, SITES, it), 'Bs', (kk * TS + 4 * x + c) * F32, F32, 'load'));
          }
        }
      }
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const r = row0 + 4 * y + i;
          const c = col0 + 4 * x + j;
          if (global && r < m && c < n) sink(ev(stepOf(S_STORE + 4 * i + j, SITES), 'C', (r * n + c) * F32, F32, 'store'));
        }
      }
    },
  };
}

/** gemm.wgsl's tileSlot and stageIndex (see the shader for why). */
const tileSlot = (mm: number): number => (mm % 16) + 16 * Math.floor(mm / 64);
function stageIndex(e: number, rows: number, kContiguous: boolean): [row: number, kk: number] {
  const blocks = rows / 64;
  const rest = Math.floor(e / 32);
  if (kContiguous) {
    const r2 = Math.floor(rest / 16);
    return [(rest % 16) + 16 * (Math.floor(e / 8) % 4) + 64 * (r2 % blocks), (e % 8) + 8 * Math.floor(r2 / blocks)];
  }
  const r2 = Math.floor(rest / 2);
  return [(e % 8) + 16 * (Math.floor(e / 8) % 4) + 8 * (rest % 2) + 64 * (r2 % blocks), Math.floor(r2 / blocks)];
}

/**
 * shaders/gemm.wgsl `tileGpu`: 16 × 16 threads, a GPU_TM × GPU_TN tile over
 * the k range of split ⌊g / tiles⌋; thread (x, y) owns rows y + 16i and
 * columns x + 16j. Per k-step it stages 8 elements of A and 4 of B by
 * stageIndex into tileA / tileB (rows padded to GPU_TM + 4 and GPU_TN + 4
 * words), then per kk reads one vec4 of tileB and two of tileA: 3 loads for
 * 32 multiply-adds. It stores C, or with split-K the partials at split · M · N.
 */
function gpuTile(m: number, n: number, k: number, transA: boolean, transB: boolean): TileShape {
  const grid = gemmGrid({ m, n, k });
  const tiles = grid.tilesM * grid.tilesN;
  const { a, b } = operands(m, n, k, transA, transB);
  const out = grid.splits > 1 ? 'partials' : 'C';
  const perA = (GPU_TM * GPU_TK) / 256;
  const perB = (GPU_TN * GPU_TK) / 256;
  const strideA = GPU_TM + 4;
  const strideB = GPU_TN + 4;
  const halves = GPU_TM / 64;
  const S_A = 0;
  const S_B = 2 * perA;
  const S_READ = S_B + 2 * perB;
  const S_STORE = S_READ + GPU_TK * (1 + halves);
  const SITES = S_STORE + (GPU_TM / 16) * 4;
  const tileOf = (g: number) => {
    const split = Math.floor(g / tiles);
    const kBegin = split * grid.kChunk;
    return { row0: Math.floor((g % tiles) / grid.tilesN) * GPU_TM, col0: (g % grid.tilesN) * GPU_TN, kBegin, kEnd: Math.min(k, kBegin + grid.kChunk), out: split * m * n };
  };
  return {
    workgroups: grid.workgroups,
    tileOf,
    workgroupMemoryBytes: GPU_TK * (strideA + strideB) * F32,
    madsPerKStep: GPU_TK * (GPU_TM / 16) * 4,
    invocation(g, x, y, steps, space, sink) {
      const global = space === 'global';
      const { row0, col0, kBegin, kEnd, out: base } = tileOf(g);
      const tid = y * 16 + x;
      for (const it of steps) {
        const k0 = kBegin + it * GPU_TK;
        for (let i = 0; i < perA; i++) {
          const [row, kk] = stageIndex(tid + 256 * i, GPU_TM, !transA);
          if (global) {
            if (row0 + row < m && k0 + kk < kEnd) sink(ev(stepOf(S_A + 2 * i, SITES, it), 'A', a(row0 + row, k0 + kk), F32, 'load'));
          } else sink(ev(stepOf(S_A + 2 * i + 1, SITES, it), 'tileA', (kk * strideA + 4 * tileSlot(row) + (Math.floor(row / 16) % 4)) * F32, F32, 'store'));
        }
        for (let i = 0; i < perB; i++) {
          const [col, kk] = stageIndex(tid + 256 * i, GPU_TN, transB);
          if (global) {
            if (col0 + col < n && k0 + kk < kEnd) sink(ev(stepOf(S_B + 2 * i, SITES, it), 'B', b(k0 + kk, col0 + col), F32, 'load'));
          } else sink(ev(stepOf(S_B + 2 * i + 1, SITES, it), 'tileB', (kk * strideB + 4 * tileSlot(col) + (Math.floor(col / 16) % 4)) * F32, F32, 'store'));
        }
        for (let kk = 0; kk < GPU_TK && !global; kk++) {
          const site = S_READ + kk * (1 + halves);
          sink(ev(stepOf(site, SITES, it), 'tileB', (kk * strideB + 4 * x) * F32, VEC4, 'load'));
          for (let h = 0; h < halves; h++) sink(ev(stepOf(site + 1 + h, SITES, it), 'tileA', (kk * strideA + 4 * (16 * h + y)) * F32, VEC4, 'load'));
        }
      }
      for (let i = 0; i < GPU_TM / 16; i++) {
        const r = row0 + y + 16 * i;
        if (r >= m) continue;
        for (let j = 0; j < 4; j++) {
          const c = col0 + x + 16 * j;
          if (global && c < n) sink(ev(stepOf(S_STORE + 4 * i + j, SITES), out, (base + r * n + c) * F32, F32, 'store'));
        }
      }
    },
  };
}

/** The k-steps of workgroup g's range, sampled. */
function kSteps(tile: TileShape, g: number, step: number, max: number): number[] {
  const { kBegin, kEnd } = tile.tileOf(g);
  return sampleWorkgroups(Math.ceil((kEnd - kBegin) / step), max);
}

/** The tile pass as a DispatchTrace of one memory space, over workgroups `ids` and, for each, the k-steps `stepsOf(g)`. */
function tileDispatch(label: string, tile: TileShape, space: Space, ids: number[], stepsOf: (g: number) => number[]): DispatchTrace {
  return {
    label,
    workgroupSize: [16, 16, 1],
    workgroupCount: tile.workgroups,
    workgroupMemoryBytes: tile.workgroupMemoryBytes,
    tracedWorkgroups: ids.length,
    *workgroups(): Iterable<WorkgroupTrace> {
      for (const g of ids) {
        const steps = stepsOf(g);
        const invocations: InvocationTrace[] = [];
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            const events: MemoryEvent[] = [];
            tile.invocation(g, x, y, steps, space, (e) => events.push(e));
            if (events.length > 0) invocations.push({ globalIndex: g * 256 + x + 16 * y, localIndex: x + 16 * y, events });
          }
        }
        yield { workgroup: g, invocations };
      }
    },
  };
}

/**
 * The most global accesses one invocation makes over its whole k range:
 * those of workgroup 0 (tile 0 of split 0, whose rows, columns and k range
 * are never shorter than another workgroup's).
 */
function tileSerialSteps(tile: TileShape, step: number): number {
  const { kBegin, kEnd } = tile.tileOf(0);
  const all = Array.from({ length: Math.ceil((kEnd - kBegin) / step) }, (_, i) => i);
  let most = 0;
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      let count = 0;
      tile.invocation(0, x, y, all, 'global', () => count++);
      most = Math.max(most, count);
    }
  }
  return most;
}

/** shaders/gemm.wgsl `reduceSplits`: invocation i loads partials[s · M · N + i] for every split s, then stores C[i]. */
function reduceDispatch(label: string, count: number, splits: number, maxWorkgroups: number): DispatchTrace {
  const workgroupCount = Math.ceil(count / REDUCE_THREADS);
  const ids = sampleWorkgroups(workgroupCount, maxWorkgroups);
  return {
    label,
    workgroupSize: [REDUCE_THREADS, 1, 1],
    workgroupCount,
    workgroupMemoryBytes: 0,
    tracedWorkgroups: ids.length,
    *workgroups(): Iterable<WorkgroupTrace> {
      for (const g of ids) {
        const invocations: InvocationTrace[] = [];
        for (let lane = 0; lane < REDUCE_THREADS; lane++) {
          const i = g * REDUCE_THREADS + lane;
          if (i >= count) break;
          const events: MemoryEvent[] = [];
          for (let s = 0; s < splits; s++) events.push(ev(s, 'partials', (s * count + i) * F32, F32, 'load'));
          events.push(ev(splits, 'C', i * F32, F32, 'store'));
          invocations.push({ globalIndex: i, localIndex: lane, events });
        }
        yield { workgroup: g, invocations };
      }
    },
  };
}

/** The tile pass the profile runs, its k-step, gemmGrid's splits and its label. */
function tilePass(profile: GemmModelProfile, dims: { m: number; n: number; k: number }, options: GemmModelOptions) {
  const { m, n, k } = dims;
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const ops = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  const gpu = profile === 'gpu';
  const splits = gpu ? gemmGrid(dims).splits : 1;
  const variant = gpu ? `gpu ${ops} tileGpu${splits > 1 ? ` split-K ${splits}` : ''}` : `emulation ${ops} main`;
  return {
    tile: gpu ? gpuTile(m, n, k, transA, transB) : emulationTile(m, n, k, transA, transB),
    step: gpu ? GPU_TK : TK,
    splits,
    variant,
    label: `gemm (${variant})`,
  };
}

/**
 * The tile pass whole, every workgroup and k-step, in global and in
 * workgroup memory: what its WGSL trace (bench/model/wgsl-trace.ts,
 * traceGemmWgsl) holds, which test/gemm-trace.test.ts holds equal event for event.
 */
export function modelGemmTilePass(profile: GemmModelProfile, dims: { m: number; n: number; k: number }, options: Pick<GemmModelOptions, 'transA' | 'transB'> = {}): { global: DispatchTrace; workgroupMemory: DispatchTrace } {
  const { tile, step, label } = tilePass(profile, dims, options);
  const ids = sampleWorkgroups(tile.workgroups, tile.workgroups);
  const all = (g: number) => kSteps(tile, g, step, Infinity);
  return { global: tileDispatch(label, tile, 'global', ids, all), workgroupMemory: tileDispatch(`${label} workgroup memory`, tile, 'workgroup', ids, all) };
}

/**
 * The model of one GEMM C (m × n) = op(A) · op(B) with inner dimension k, as
 * the kernel profile records it (kernels/gemm.ts): `main`, or `tileGpu`
 * (+ `reduceSplits` when gemmGrid splits K). `rows`, `cols`, `batch` are a
 * dense layer's W (m × k) and batch (n); sparsity 0.
 */
export function modelGemm(profile: GemmModelProfile, dims: { m: number; n: number; k: number }, options: GemmModelOptions = {}): GemmTrace {
  const { m, n, k } = dims;
  const maxKSteps = options.maxKSteps ?? 4;
  const { tile, step, splits, variant, label } = tilePass(profile, dims, options);
  const ids = sampleWorkgroups(tile.workgroups, options.maxWorkgroups ?? tile.workgroups);
  const sampled = (g: number) => kSteps(tile, g, step, maxKSteps);
  const dispatches = [tileDispatch(label, tile, 'global', ids, sampled)];
  const serialSteps = [tileSerialSteps(tile, step)];
  if (splits > 1) {
    dispatches.push(reduceDispatch(`gemm (gpu reduceSplits ${splits})`, m * n, splits, options.maxWorkgroups ?? Infinity));
    serialSteps.push(splits + 1);
  }
  const wgIds = sampleWorkgroups(tile.workgroups, 2);
  const wgKSteps = Math.min(maxKSteps, 2);
  return {
    operation: { kernel: 'gemm', variant, rows: m, cols: k, batch: n, sparsity: 0, dispatches, readbacks: 1 },
    tileWorkgroups: ids.map((g) => {
      const { kBegin, kEnd } = tile.tileOf(g);
      return { trace: tileDispatch(label, tile, 'global', [g], sampled), loadWeight: Math.ceil((kEnd - kBegin) / step) / sampled(g).length };
    }),
    workgroupMemory: tileDispatch(`${label} workgroup memory`, tile, 'workgroup', wgIds, (g) => kSteps(tile, g, step, wgKSteps)),
    workgroupMemoryMads: wgIds.reduce((sum, g) => sum + kSteps(tile, g, step, wgKSteps).length * 256 * tile.madsPerKStep, 0),
    serialSteps,
  };
}

/** A GEMM's analysis: the operation's figures, with its workgroup memory. */
export interface GemmAnalysis extends OperationAnalysis {
  workgroupMemory: WorkgroupMemoryModel;
}

/** into += w · from, for every sum of an AccessTotals. */
function addScaled(into: AccessTotals, from: AccessTotals, w: number): void {
  into.accesses += w * from.accesses;
  into.sectors += w * from.sectors;
  into.lines += w * from.lines;
  into.usefulBytes += w * from.usefulBytes;
  into.activeLaneSum += w * from.activeLaneSum;
}

/**
 * Analyses a GEMM model as analyzeOperation does an operation, with three
 * differences: the tile pass's global loads count with their workgroup's
 * weight (sampled k-steps stand for all of them), `workgroupsPerSM` is the
 * tile pass's (the pass that does the multiply-adds; reduceSplits is an
 * elementwise pass of m·n / 256 workgroups that fills the device whenever
 * split-K is on), and the serial steps are counted over the whole k range;
 * plus `workgroupMemory`.
 */
export function analyzeGemm(trace: GemmTrace, profile: DeviceProfile): GemmAnalysis {
  const warpSize = profile.warpSize;
  const [tileTrace, ...others] = trace.operation.dispatches;
  const tile: DispatchAnalysis = {
    label: tileTrace!.label,
    warpSize,
    workgroupCount: tileTrace!.workgroupCount,
    tracedWorkgroups: tileTrace!.tracedWorkgroups,
    threadsPerWorkgroup: 256,
    workgroupMemoryBytes: tileTrace!.workgroupMemoryBytes,
    loads: emptyTotals(),
    stores: emptyTotals(),
    byBuffer: new Map(),
    maxSerialSteps: trace.serialSteps[0]!,
  };
  for (const { trace: one, loadWeight } of trace.tileWorkgroups) {
    const a = analyzeDispatch(one, { warpSize });
    addScaled(tile.loads, a.loads, loadWeight);
    addScaled(tile.stores, a.stores, 1);
    for (const [buffer, t] of a.byBuffer) {
      let b = tile.byBuffer.get(buffer);
      if (!b) tile.byBuffer.set(buffer, (b = { loads: emptyTotals(), stores: emptyTotals() }));
      addScaled(b.loads, t.loads, loadWeight);
      addScaled(b.stores, t.stores, 1);
    }
  }
  const dispatches = [tile, ...others.map((d) => ({ ...analyzeDispatch(d, { warpSize }), maxSerialSteps: trace.serialSteps[1]! }))];
  const loads = emptyTotals();
  const stores = emptyTotals();
  for (const d of dispatches) {
    addScaled(loads, d.loads, 1);
    addScaled(stores, d.stores, 1);
  }

  const banks = analyzeBankConflicts(trace.workgroupMemory, { warpSize });
  let wgLoads = 0;
  for (const wg of trace.workgroupMemory.workgroups()) {
    for (const inv of wg.invocations) for (const e of inv.events) if (e.kind === 'load') wgLoads++;
  }
  const ratio = (t: { wavefronts: number; idealWavefronts: number }) => (t.idealWavefronts > 0 ? t.wavefronts / t.idealWavefronts : null);
  const workgroupMemory: WorkgroupMemoryModel = {
    maxConflictWays: { loads: banks.loads.accesses > 0 ? banks.loads.maxWays : null, stores: banks.stores.accesses > 0 ? banks.stores.maxWays : null },
    conflictFactor: { loads: ratio(banks.loads), stores: ratio(banks.stores) },
    madsPerLoad: wgLoads > 0 ? trace.workgroupMemoryMads / wgLoads : null,
  };
  const occupancy = workgroupsPerSM(profile, tile.workgroupCount, tile.threadsPerWorkgroup, tile.workgroupMemoryBytes);
  return {
    model: { ...kernelModel(trace.operation, loads, stores, occupancy, trace.serialSteps.reduce((x, y) => x + y, 0)), workgroupMemory },
    dispatches,
    loads,
    stores,
    workgroupMemory,
  };
}
