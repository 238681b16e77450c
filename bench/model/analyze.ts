// The analyzer of the GPU execution model: groups a dispatch's invocations
// into warps and counts, for every warp-wide access, the memory transactions a
// GPU would issue for it. See bench/README.md, "GPU execution model".
import { type DeviceProfile, workgroupsPerSM, type WorkgroupsPerSM } from './profiles.js';
import type { AccessKind, DispatchTrace, MemoryEvent, OperationShape, OperationTrace } from './trace.js';
import { workgroupThreads } from './trace.js';

/** Sums over warp-wide accesses of one kind (loads or stores). */
export interface AccessTotals {
  /** Warp-wide accesses (one per warp and step that at least one lane makes). */
  accesses: number;
  /** 32-byte sectors touched, summed over accesses (distinct within each access). */
  sectors: number;
  /** 128-byte lines touched, summed likewise. */
  lines: number;
  /** Distinct bytes the lanes asked for, summed over accesses (lanes reading the same bytes count them once). */
  usefulBytes: number;
  /** Σ over accesses of active lanes / warp size. */
  activeLaneSum: number;
}

export interface DispatchAnalysis {
  label: string;
  warpSize: number;
  workgroupCount: number;
  tracedWorkgroups: number;
  threadsPerWorkgroup: number;
  workgroupMemoryBytes: number;
  loads: AccessTotals;
  stores: AccessTotals;
  /** The same sums per buffer. */
  byBuffer: Map<string, { loads: AccessTotals; stores: AccessTotals }>;
  /** The most steps (distinct accesses) one traced invocation ran. */
  maxSerialSteps: number;
}

export interface AnalyzeOptions {
  /** Lanes per warp: 32 (NVIDIA, Apple), 64 (AMD wavefronts), 16 (an Intel SIMD16 subgroup). */
  warpSize: number;
  /** Transaction granularity: 32-byte sectors (default). */
  sectorBytes?: number;
  /** Cache-line granularity: 128 bytes (default). */
  lineBytes?: number;
}

export const emptyTotals = (): AccessTotals => ({ accesses: 0, sectors: 0, lines: 0, usefulBytes: 0, activeLaneSum: 0 });

function addTotals(into: AccessTotals, from: AccessTotals): void {
  into.accesses += from.accesses;
  into.sectors += from.sectors;
  into.lines += from.lines;
  into.usefulBytes += from.usefulBytes;
  into.activeLaneSum += from.activeLaneSum;
}

/** Sectors touched per 512 useful bytes (16 = perfect coalescing with 32-byte sectors); null without bytes. */
export function sectorsPer512B(t: AccessTotals): number | null {
  return t.usefulBytes > 0 ? (t.sectors * 512) / t.usefulBytes : null;
}

/** 128-byte lines touched per 512 useful bytes (4 = perfect). */
export function linesPer512B(t: AccessTotals): number | null {
  return t.usefulBytes > 0 ? (t.lines * 512) / t.usefulBytes : null;
}

/** Mean sectors one warp-wide access touches. */
export function sectorsPerAccess(t: AccessTotals): number | null {
  return t.accesses > 0 ? t.sectors / t.accesses : null;
}

/** Mean fraction of a warp's lanes that take part in a warp-wide access. */
export function activeLanes(t: AccessTotals): number | null {
  return t.accesses > 0 ? t.activeLaneSum / t.accesses : null;
}

export function combined(a: AccessTotals, b: AccessTotals): AccessTotals {
  const t = emptyTotals();
  addTotals(t, a);
  addTotals(t, b);
  return t;
}

interface Group {
  kind: AccessKind;
  buffer: string;
  lanes: number;
  lastLane: number;
  events: MemoryEvent[];
}

/** Counts one warp-wide access: distinct sectors and lines, and distinct useful bytes. */
function measureAccess(events: MemoryEvent[], sectorBytes: number, lineBytes: number): { sectors: number; lines: number; usefulBytes: number } {
  const sectors = new Set<number>();
  const lines = new Set<number>();
  const ranges: Array<[number, number]> = [];
  for (const e of events) {
    if (e.bytes <= 0) continue;
    const end = e.byteOffset + e.bytes;
    for (let s = Math.floor(e.byteOffset / sectorBytes); s <= Math.floor((end - 1) / sectorBytes); s++) sectors.add(s);
    for (let l = Math.floor(e.byteOffset / lineBytes); l <= Math.floor((end - 1) / lineBytes); l++) lines.add(l);
    ranges.push([e.byteOffset, end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let usefulBytes = 0;
  let curStart = -1;
  let curEnd = -1;
  for (const [start, end] of ranges) {
    if (start > curEnd) {
      usefulBytes += curEnd - curStart;
      curStart = start;
      curEnd = end;
    } else if (end > curEnd) curEnd = end;
  }
  usefulBytes += curEnd - curStart;
  return { sectors: sectors.size, lines: lines.size, usefulBytes };
}

/**
 * Analyses one dispatch: lanes form warps of `warpSize` in
 * local_invocation_index order inside each workgroup (warps never span
 * workgroups); a warp-wide access is the events of a warp's lanes with the
 * same step, kind and buffer; a lane without such an event — one that took
 * another branch, left its loop, returned early or lies past the workgroup's
 * last invocation — is inactive for it.
 */
export function analyzeDispatch(trace: DispatchTrace, options: AnalyzeOptions): DispatchAnalysis {
  const { warpSize } = options;
  const sectorBytes = options.sectorBytes ?? 32;
  const lineBytes = options.lineBytes ?? 128;
  if (!(Number.isInteger(warpSize) && warpSize > 0)) throw new RangeError(`warpSize must be a positive integer, got ${warpSize}`);
  const threads = workgroupThreads(trace.workgroupSize);
  const loads = emptyTotals();
  const stores = emptyTotals();
  const byBuffer = new Map<string, { loads: AccessTotals; stores: AccessTotals }>();
  let maxSerialSteps = 0;
  let traced = 0;

  for (const wg of trace.workgroups()) {
    traced++;
    const lanes: Array<MemoryEvent[] | undefined> = new Array<MemoryEvent[] | undefined>(threads);
    for (const inv of wg.invocations) {
      if (inv.localIndex < 0 || inv.localIndex >= threads) {
        throw new RangeError(`${trace.label}: workgroup ${wg.workgroup} has local index ${inv.localIndex}, outside its ${threads} invocations`);
      }
      lanes[inv.localIndex] = inv.events;
      const steps = new Set<number>();
      for (const e of inv.events) steps.add(e.step);
      if (steps.size > maxSerialSteps) maxSerialSteps = steps.size;
    }
    for (let first = 0; first < threads; first += warpSize) {
      const groups = new Map<string, Group>();
      for (let lane = 0; lane < warpSize && first + lane < threads; lane++) {
        const events = lanes[first + lane];
        if (!events) continue;
        for (const e of events) {
          const key = `${e.step}|${e.kind}|${e.buffer}`;
          let g = groups.get(key);
          if (!g) {
            g = { kind: e.kind, buffer: e.buffer, lanes: 0, lastLane: -1, events: [] };
            groups.set(key, g);
          }
          if (g.lastLane !== lane) {
            g.lanes++;
            g.lastLane = lane;
          }
          g.events.push(e);
        }
      }
      for (const g of groups.values()) {
        const m = measureAccess(g.events, sectorBytes, lineBytes);
        const t: AccessTotals = { accesses: 1, sectors: m.sectors, lines: m.lines, usefulBytes: m.usefulBytes, activeLaneSum: g.lanes / warpSize };
        addTotals(g.kind === 'load' ? loads : stores, t);
        let b = byBuffer.get(g.buffer);
        if (!b) {
          b = { loads: emptyTotals(), stores: emptyTotals() };
          byBuffer.set(g.buffer, b);
        }
        addTotals(g.kind === 'load' ? b.loads : b.stores, t);
      }
    }
  }
  return {
    label: trace.label,
    warpSize,
    workgroupCount: trace.workgroupCount,
    tracedWorkgroups: traced,
    threadsPerWorkgroup: threads,
    workgroupMemoryBytes: trace.workgroupMemoryBytes,
    loads,
    stores,
    byBuffer,
    maxSerialSteps,
  };
}

/** One operation's figures for a device profile: the fields of `model.kernels[]` in the benchmark JSON. */
export interface KernelModel extends OperationShape {
  /** Sectors per 512 useful bytes: loads, stores, and both together (null where the kernel makes none). */
  sectorsPer512B: { loads: number | null; stores: number | null; all: number | null };
  /** Mean fraction of a warp's lanes active per warp-wide access (loads and stores). */
  activeLanes: number | null;
  /** The operation's largest dispatch (in workgroups) on the profile. */
  workgroupsPerSM: WorkgroupsPerSM;
  maxSerialSteps: number;
  dispatches: number;
  readbacks: number;
  /** Only for kernels whose model traces their workgroup memory (GEMM, bench/model/gemm.ts). */
  workgroupMemory?: WorkgroupMemoryModel;
}

/** How a kernel uses workgroup memory: bank conflicts (analyzeBankConflicts) and reuse. */
export interface WorkgroupMemoryModel {
  /** The most distinct words one bank serves in one phase of a warp-wide load / store (1: no conflict; null: none). */
  maxConflictWays: { loads: number | null; stores: number | null };
  /** Bank cycles ÷ conflict-free cycles over all loads / stores (1: none lost to conflicts). */
  conflictFactor: { loads: number | null; stores: number | null };
  /** Multiply-adds per workgroup-memory load instruction of an invocation (a vec4 load is one). */
  madsPerLoad: number | null;
}

/** Sums over warp-wide workgroup-memory accesses of one kind. */
export interface BankTotals {
  accesses: number;
  /** Σ over accesses of Σ over phases of the most distinct words one bank serves: the cycles the banks take. */
  wavefronts: number;
  /** Σ over accesses of their phases with an active lane: the cycles without conflicts. */
  idealWavefronts: number;
  /** The most distinct words one bank served in one phase (0 before any access). */
  maxWays: number;
}

/**
 * Bank conflicts of a trace of workgroup-memory accesses (byte offsets
 * within each `var<workgroup>`; a warp-wide access is grouped as in
 * analyzeDispatch). Memory is `banks` banks of `bankBytes` (32 × 4 bytes:
 * NVIDIA, AMD LDS, Apple), serving one word per bank per cycle to any lanes
 * that read it (a broadcast is free); an access of `b` bytes per lane is
 * served in phases of banks · bankBytes / b lanes (the 8 lanes of a
 * quarter-warp for vec4), and a phase whose lanes want w distinct words of
 * one bank takes w cycles. Per access, the phases' maximum is its "ways".
 */
export function analyzeBankConflicts(trace: DispatchTrace, options: { warpSize: number; banks?: number; bankBytes?: number }): { loads: BankTotals; stores: BankTotals } {
  const { warpSize } = options;
  const banks = options.banks ?? 32;
  const bankBytes = options.bankBytes ?? 4;
  const threads = workgroupThreads(trace.workgroupSize);
  const totals = { load: { accesses: 0, wavefronts: 0, idealWavefronts: 0, maxWays: 0 }, store: { accesses: 0, wavefronts: 0, idealWavefronts: 0, maxWays: 0 } };
  for (const wg of trace.workgroups()) {
    const lanes: Array<MemoryEvent[] | undefined> = new Array<MemoryEvent[] | undefined>(threads);
    for (const inv of wg.invocations) lanes[inv.localIndex] = inv.events;
    for (let first = 0; first < threads; first += warpSize) {
      const groups = new Map<string, Array<{ lane: number; e: MemoryEvent }>>();
      for (let lane = 0; lane < warpSize && first + lane < threads; lane++) {
        for (const e of lanes[first + lane] ?? []) {
          const key = `${e.step}|${e.kind}|${e.buffer}`;
          let g = groups.get(key);
          if (!g) groups.set(key, (g = []));
          g.push({ lane, e });
        }
      }
      for (const g of groups.values()) {
        const t = totals[g[0]!.e.kind];
        const bytes = Math.max(...g.map(({ e }) => e.bytes));
        const perPhase = Math.max(1, Math.floor((banks * bankBytes) / bytes));
        const phases = new Map<number, Map<number, Set<number>>>();
        for (const { lane, e } of g) {
          let words = phases.get(Math.floor(lane / perPhase));
          if (!words) phases.set(Math.floor(lane / perPhase), (words = new Map()));
          for (let w = Math.floor(e.byteOffset / bankBytes); w <= Math.floor((e.byteOffset + e.bytes - 1) / bankBytes); w++) {
            let set = words.get(w % banks);
            if (!set) words.set(w % banks, (set = new Set()));
            set.add(w);
          }
        }
        t.accesses++;
        t.idealWavefronts += phases.size;
        for (const words of phases.values()) {
          const ways = Math.max(...[...words.values()].map((set) => set.size));
          t.wavefronts += ways;
          t.maxWays = Math.max(t.maxWays, ways);
        }
      }
    }
  }
  return { loads: totals.load, stores: totals.store };
}

/** What `analyzeOperation` returns: the JSON fields and the detail the table prints. */
export interface OperationAnalysis {
  model: KernelModel;
  dispatches: DispatchAnalysis[];
  loads: AccessTotals;
  stores: AccessTotals;
}

/** Analyses every dispatch of an operation with the profile's warp size and sums them. */
export function analyzeOperation(op: OperationTrace, profile: DeviceProfile): OperationAnalysis {
  const dispatches = op.dispatches.map((d) => analyzeDispatch(d, { warpSize: profile.warpSize }));
  const loads = emptyTotals();
  const stores = emptyTotals();
  for (const d of dispatches) {
    addTotals(loads, d.loads);
    addTotals(stores, d.stores);
  }
  const largest = dispatches.reduce<DispatchAnalysis | undefined>((a, d) => (!a || d.workgroupCount > a.workgroupCount ? d : a), undefined);
  const occupancy = largest
    ? workgroupsPerSM(profile, largest.workgroupCount, largest.threadsPerWorkgroup, largest.workgroupMemoryBytes)
    : workgroupsPerSM(profile, 0, profile.warpSize);
  return {
    // Dispatches of one operation run one after another: their chains add up.
    model: kernelModel(op, loads, stores, occupancy, dispatches.reduce((m, d) => m + d.maxSerialSteps, 0)),
    dispatches,
    loads,
    stores,
  };
}

/** The JSON fields of an operation from its summed loads and stores (shared by the GEMM's model, which adds workgroup memory). */
export function kernelModel(
  op: OperationShape & { dispatches: readonly unknown[]; readbacks: number },
  loads: AccessTotals,
  stores: AccessTotals,
  occupancy: WorkgroupsPerSM,
  maxSerialSteps: number,
): KernelModel {
  const all = combined(loads, stores);
  return {
    kernel: op.kernel,
    variant: op.variant,
    rows: op.rows,
    cols: op.cols,
    batch: op.batch,
    sparsity: op.sparsity,
    sectorsPer512B: { loads: sectorsPer512B(loads), stores: sectorsPer512B(stores), all: sectorsPer512B(all) },
    activeLanes: activeLanes(all),
    workgroupsPerSM: occupancy,
    maxSerialSteps,
    dispatches: op.dispatches.length,
    readbacks: op.readbacks,
  };
}
