// The trace format of the GPU execution model: what every invocation of one
// dispatch loads and stores, in the order of its own source-level accesses.
// Traces come from JavaScript models of the shaders (bench/model/kernels.ts)
// and from the shaders' tracing variants run on WebGPU
// (bench/model/wgsl-trace.ts), which the test suite holds equal; see
// bench/README.md, "GPU execution model". bench/model/analyze.ts reads both
// the same way.

export type AccessKind = 'load' | 'store';

/**
 * One memory access of one invocation.
 *
 * `step` names the dynamic instance of a source-level access, not a time: the
 * same access site at the same loop iteration has the same step in every lane,
 * so the events of a warp's lanes that share a step form one warp-wide access
 * (an instruction the warp issues once for all its active lanes). Tracers
 * number steps as `site + sites × iteration` (`stepOf`), with iteration 0
 * outside loops, so an access after a loop that lanes leave at different
 * times still has one step in every lane (where the warp reconverges). A lane
 * that skips a site (a branch, a shorter loop) is inactive for that access.
 */
export interface MemoryEvent {
  step: number;
  /** The binding's name (`X`, `colIdx`, …); buffers are separate address spaces. */
  buffer: string;
  byteOffset: number;
  /** 4 for an f32/u32, 16 for a vec4f. */
  bytes: number;
  kind: AccessKind;
}

export interface InvocationTrace {
  /** Index among all invocations of the dispatch (workgroup × workgroup size + local index). */
  globalIndex: number;
  /** `local_invocation_index`: x + size.x · (y + size.y · z). Warps take lanes in this order. */
  localIndex: number;
  events: MemoryEvent[];
}

export interface WorkgroupTrace {
  /** Linear workgroup id (as `linearWorkgroupId` in shaders/fragments/common.wgsl). */
  workgroup: number;
  /** The invocations that made at least one access; a missing local index is an idle lane. */
  invocations: InvocationTrace[];
}

export interface DispatchTrace {
  /** Kernel and variant, e.g. `spmm_csr (CSR+VEC4)`. */
  label: string;
  workgroupSize: readonly [number, number, number];
  /** Workgroups dispatched (all of them, traced or not). */
  workgroupCount: number;
  /** Bytes of `var<workgroup>` memory one workgroup declares (0 when none). */
  workgroupMemoryBytes: number;
  /**
   * The traced workgroups: all of them, or an evenly spaced sample
   * (`sampleWorkgroups`) for large dispatches. Produced lazily, one workgroup
   * at a time, so a trace of millions of events is never held whole.
   */
  workgroups: () => Iterable<WorkgroupTrace>;
  /** How many workgroups `workgroups()` yields. */
  tracedWorkgroups: number;
}

/** What an operation is: its kernel and variant, and the layer and batch it ran on. */
export interface OperationShape {
  kernel: string;
  variant: string;
  rows: number;
  cols: number;
  batch: number;
  sparsity: number;
}

/** An operation at host level: the dispatches it records and the results it reads back. */
export interface OperationTrace extends OperationShape {
  dispatches: DispatchTrace[];
  /** Host read-backs per operation (mapAsync of a result), counted by the model of the host call. */
  readbacks: number;
}

/** The step of access `site` (0 ≤ site < sites) at loop iteration `iteration`. */
export function stepOf(site: number, sites: number, iteration = 0): number {
  return site + sites * iteration;
}

/**
 * Access sites numbered in source order from how many each takes (a vec4
 * store of 4 lanes' quads is 4 sites): `{ ptr: 1, x: 16, y: 1 }` gives ptr 0,
 * x 1 … 16 (x + i), y 17, and `sites`, the count, for stepOf. Summed here, the
 * numbers cannot drift from the widths when a site is added.
 */
export function accessSites<K extends string>(widths: Record<K, number>): Record<K, number> & { sites: number } {
  const out = {} as Record<K, number>;
  let next = 0;
  for (const key of Object.keys(widths) as K[]) {
    out[key] = next;
    next += widths[key];
  }
  return { ...out, sites: next };
}

/**
 * A dispatch traced lazily: its workgroups (all, or an evenly spaced sample
 * of at most `maxWorkgroups`) are produced by `workgroup` one at a time.
 */
export function sampledDispatch(shape: Omit<DispatchTrace, 'workgroups' | 'tracedWorkgroups'>, maxWorkgroups: number | undefined, workgroup: (g: number) => WorkgroupTrace): DispatchTrace {
  const ids = sampleWorkgroups(shape.workgroupCount, maxWorkgroups ?? shape.workgroupCount);
  return {
    ...shape,
    tracedWorkgroups: ids.length,
    *workgroups(): Iterable<WorkgroupTrace> {
      for (const g of ids) yield workgroup(g);
    },
  };
}

/** Workgroup `g`'s invocations from one recorder per local index; a lane that made no access is left out (idle). */
export function recordedWorkgroup(g: number, recorders: readonly InvocationRecorder[]): WorkgroupTrace {
  const invocations: InvocationTrace[] = [];
  recorders.forEach((rec, local) => {
    if (rec.events.length > 0) invocations.push({ globalIndex: g * recorders.length + local, localIndex: local, events: rec.events });
  });
  return { workgroup: g, invocations };
}

/** Invocations per workgroup. */
export function workgroupThreads(size: readonly [number, number, number]): number {
  return size[0] * size[1] * size[2];
}

/**
 * Up to `max` workgroup ids out of `count`, evenly spaced, always with the
 * first and the last (a dispatch visits its longest rows first).
 */
export function sampleWorkgroups(count: number, max: number): number[] {
  if (count <= 0) return [];
  if (count <= max || max >= count) return Array.from({ length: count }, (_, i) => i);
  if (max <= 1) return [0];
  const ids = new Set<number>();
  for (let i = 0; i < max; i++) ids.add(Math.round((i * (count - 1)) / (max - 1)));
  return [...ids].sort((a, b) => a - b);
}

/** Builds the events of one invocation: `load`/`store` append with the given step. */
export class InvocationRecorder {
  readonly events: MemoryEvent[] = [];
  load(step: number, buffer: string, byteOffset: number, bytes: number): void {
    this.events.push({ step, buffer, byteOffset, bytes, kind: 'load' });
  }
  store(step: number, buffer: string, byteOffset: number, bytes: number): void {
    this.events.push({ step, buffer, byteOffset, bytes, kind: 'store' });
  }
}
