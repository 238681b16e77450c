// JavaScript models of the product shaders for the GPU execution model:
// each function emits, for a given CSR matrix and batch, the accesses the
// shader performs, invocation by invocation, in the trace format of
// bench/model/trace.ts. They are transcriptions of the WGSL, checked against
// the WGSL itself: the shaders' TRACE variants (bench/model/wgsl-trace.ts)
// must produce the same events on SwiftShader
// (test/bench-model-trace.test.ts), so a shader change fails the suite until
// it is mirrored here. Both kernel profiles (src/gpu/kernel-profile.ts): the
// 'emulation' entry points (`main`, variant names starting `emulation`) and
// the 'gpu' ones (`gatherWarp`, `sddmmWarp`, variant names starting `gpu`).
//
// Workgroup memory (`var<workgroup>`: the gpu gather's staged pairs, the gpu
// SDDMM's partial sums) is not traced: it is on-chip, not the L2/DRAM sectors
// the analyzer counts. Its loads are in no invocation's serial steps either.
//
// Not modelled: `params` (a uniform buffer, served by the constant cache as a
// broadcast), and the loop bound `rowPtr[r + 1u]`, which the source reads on
// every iteration but a compiler hoists out of the loop (a `read` binding
// cannot change during the dispatch): it is counted once, before the loop.
import { CSRMatrix } from '../../src/index.js';
import { rowSchedule, SCHEDULE, scheduleWords } from '../../kernels/row-order.js';
import { accessSites, InvocationRecorder, recordedWorkgroup, sampledDispatch, stepOf, type DispatchTrace, type OperationTrace, type WorkgroupTrace } from './trace.js';

/** shaders/spmm.wgsl: THREADS_B × ROWS_PER_WG invocations per workgroup, COLS_PER_THREAD batch columns each. */
export const GATHER_SHAPE = { threadsB: 8, rowsPerWorkgroup: 8, colsPerThread: 16, tileB: 128 } as const;
/** shaders/sddmm.wgsl: ENTRIES invocations (one stored entry each) per workgroup. */
export const SDDMM_ENTRIES = 64;

export interface ModelOptions {
  /** Trace at most this many workgroups per dispatch, evenly spaced with the first and last (default: all). */
  maxWorkgroups?: number;
}

/** A sparse operand as the gather reads it: CSR, or a transpose index with its perm. */
export interface GatherOperandModel {
  /** Rows of the product (W.rows, or W.cols for Wᵀ). */
  rows: number;
  ptr: Uint32Array;
  idx: Uint32Array;
  /** Rows in visiting order (longest first). */
  order: Uint32Array;
  perm?: Uint32Array;
}

const F32 = 4;
const VEC4 = 16;

// Access sites of the gather (see stepOf): before the loop, the stores after
// it (VEC4: 4 sites, q; scalar: 16, i), then the loop body, whose step
// advances with the nonzero's position in the row (X: VEC4 4 sites, scalar
// full path 16; then the scalar partial path's 16).
const G = accessSites({ order: 1, ptr: 1, ptrEnd: 1, store: 16, perm: 1, values: 1, col: 1, x: 16, xPartial: 16 });

/**
 * The dispatch shaders/spmm.wgsl (flags CSR [+PERM] [+VEC4]) runs for
 * Y = A · X: workgroup g owns rows slot = ⌊g / batchTiles⌋·8 + lid.y (visited
 * through `order`) and batch columns b0 = (g mod batchTiles)·128 + lid.x·16 …
 * b0 + 15; local_invocation_index = lid.x + 8·lid.y, so a 32-lane warp holds
 * 4 rows × 8 column runs.
 */
export function modelGatherDispatch(label: string, A: GatherOperandModel, batch: number, options: ModelOptions = {}): DispatchTrace {
  const { threadsB, rowsPerWorkgroup, colsPerThread, tileB } = GATHER_SHAPE;
  const vec4 = batch % 4 === 0;
  const batchTiles = Math.ceil(batch / tileB);
  const workgroupCount = Math.ceil(A.rows / rowsPerWorkgroup) * batchTiles;
  const step = (site: number, iteration = 0): number => stepOf(site, G.sites, iteration);

  // Invocation (x, y) of workgroup g; one past the rows or the batch records nothing.
  function invocation(rec: InvocationRecorder, g: number, x: number, y: number): void {
    const slot = Math.floor(g / batchTiles) * rowsPerWorkgroup + y;
    const b0 = (g % batchTiles) * tileB + x * colsPerThread;
    if (slot >= A.rows || b0 >= batch) return;
    rec.load(step(G.order), 'rowOrder', slot * F32, F32);
    const r = A.order[slot]!;
    const full = b0 + colsPerThread <= batch;
    rec.load(step(G.ptr), 'rowPtr', r * F32, F32);
    rec.load(step(G.ptrEnd), 'rowPtr', (r + 1) * F32, F32);
    const start = A.ptr[r]!;
    const end = A.ptr[r + 1]!;
    for (let k = start; k < end; k++) {
      const it = k - start;
      // accumulate(values[perm[k]] or values[k], colIdx[k], b0, full): arguments left to right.
      let v = k;
      if (A.perm) {
        rec.load(step(G.perm, it), 'perm', k * F32, F32);
        v = A.perm[k]!;
      }
      rec.load(step(G.values, it), 'values', v * F32, F32);
      rec.load(step(G.col, it), 'colIdx', k * F32, F32);
      const col = A.idx[k]!;
      if (vec4) {
        // X as array<vec4f>: base = (col·batch + b0) / 4, loads X[base + q], q = 0 … 3.
        const base = (col * batch + b0) / 4;
        for (let q = 0; q < 4; q++) rec.load(step(G.x + q, it), 'X', (base + q) * VEC4, VEC4);
      } else if (full) {
        // vec4f(X[o], X[o + 1u], X[o + 2u], X[o + 3u]) for o = base + 4q: 16 scalar loads.
        const base = col * batch + b0;
        for (let i = 0; i < colsPerThread; i++) rec.load(step(G.x + i, it), 'X', (base + i) * F32, F32);
      } else {
        const base = col * batch + b0;
        for (let i = 0; i < colsPerThread; i++) {
          if (b0 + i < batch) rec.load(step(G.xPartial + i, it), 'X', (base + i) * F32, F32);
        }
      }
    }
    if (vec4) {
      const base = (r * batch + b0) / 4;
      for (let q = 0; q < 4; q++) {
        if (b0 + q * 4 < batch) rec.store(step(G.store + q), 'Y', (base + q) * VEC4, VEC4);
      }
    } else {
      const base = r * batch + b0;
      for (let i = 0; i < colsPerThread; i++) {
        if (b0 + i < batch) rec.store(step(G.store + i), 'Y', (base + i) * F32, F32);
      }
    }
  }

  return sampledDispatch({ label, workgroupSize: [threadsB, rowsPerWorkgroup, 1], workgroupCount, workgroupMemoryBytes: 0 }, options.maxWorkgroups, (g) => {
    // Local index x + threadsB·y.
    const recs = Array.from({ length: threadsB * rowsPerWorkgroup }, () => new InvocationRecorder());
    recs.forEach((rec, local) => invocation(rec, g, local % threadsB, Math.floor(local / threadsB)));
    return recordedWorkgroup(g, recs);
  });
}

const sparsityOf = (W: CSRMatrix): number => 1 - W.nnz / (W.rows * W.cols);

/**
 * One host-level product on W (engine.spmm and friends): one dispatch, one
 * read-back of the result (kernels/spmm.ts, kernels/sddmm.ts); `dispatch`
 * gets the label `kernel (variant)`.
 */
function hostProduct(kernel: string, variant: string, W: CSRMatrix, batch: number, dispatch: (label: string) => DispatchTrace): OperationTrace {
  return { kernel, variant, rows: W.rows, cols: W.cols, batch, sparsity: sparsityOf(W), dispatches: [dispatch(`${kernel} (${variant})`)], readbacks: 1 };
}

/** The forward's operand (Y = W·X): W's rows, visited longest first. */
const rowsOperand = (W: CSRMatrix): GatherOperandModel => ({ rows: W.rows, ptr: W.rowPtr, idx: W.colIdx, order: W.rowOrder() });

/** The backward's operand (dX = Wᵀ·dY): W's columns through its transpose index. */
function columnsOperand(W: CSRMatrix): GatherOperandModel {
  const t = W.transposeIndex();
  return { rows: W.cols, ptr: t.colPtr, idx: t.rowIdx, order: t.order, perm: t.perm };
}

/** Model of spmm_csr (forward Y = W·X): shaders/spmm.wgsl with CSR [+VEC4], rows visited longest first. */
export function modelGatherCsr(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  const variant = batch % 4 === 0 ? 'emulation CSR+VEC4' : 'emulation CSR';
  return hostProduct('spmm_csr', variant, W, batch, (label) => modelGatherDispatch(label, rowsOperand(W), batch, options));
}

/** Model of spmm_csr_t (backward dX = Wᵀ·dY): the same shader with CSR+PERM [+VEC4] over W's transpose index. */
export function modelGatherCsrT(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  const variant = batch % 4 === 0 ? 'emulation CSR+PERM+VEC4' : 'emulation CSR+PERM';
  return hostProduct('spmm_csr_t', variant, W, batch, (label) => modelGatherDispatch(label, columnsOperand(W), batch, options));
}

// Access sites of the SDDMM: the entry's row and column, its store, then the
// loop over the batch (iteration q = b / 4) of dY and X: VEC4 one site each,
// scalar 4 full + 4 partial each.
const S_VEC4 = accessSites({ row: 1, col: 1, store: 1, y: 1, x: 1 });
const S_SCALAR = accessSites({ row: 1, col: 1, store: 1, y: 8, x: 8 });

/** The dispatch of shaders/sddmm.wgsl (CSR [+VEC4]): invocation k = g·64 + lid.x computes entry k over the whole batch. */
export function modelSddmmDispatch(label: string, rowOf: Uint32Array, colIdx: Uint32Array, batch: number, options: ModelOptions = {}): DispatchTrace {
  const nnz = colIdx.length;
  const vec4 = batch % 4 === 0;
  const S = vec4 ? S_VEC4 : S_SCALAR;
  const workgroupCount = Math.ceil(nnz / SDDMM_ENTRIES);
  const step = (site: number, iteration = 0): number => stepOf(site, S.sites, iteration);

  function invocation(rec: InvocationRecorder, k: number): void {
    if (k >= nnz) return;
    rec.load(step(S.row), 'rowOf', k * F32, F32);
    rec.load(step(S.col), 'colIdx', k * F32, F32);
    const r = rowOf[k]!;
    const c = colIdx[k]!;
    if (vec4) {
      const quads = batch / 4;
      for (let q = 0; q < quads; q++) {
        rec.load(step(S.y, q), 'dY', (r * quads + q) * VEC4, VEC4);
        rec.load(step(S.x, q), 'X', (c * quads + q) * VEC4, VEC4);
      }
    } else {
      // acc += load4Y(r, b) * load4X(c, b): four scalar loads each, bounds-checked in a partial quad.
      for (let b = 0; b < batch; b += 4) {
        const it = b / 4;
        const fullQuad = b + 3 < batch;
        for (const [buffer, row, site] of [['dY', r, S.y], ['X', c, S.x]] as const) {
          for (let i = 0; i < 4; i++) {
            if (fullQuad) rec.load(step(site + i, it), buffer, (row * batch + b + i) * F32, F32);
            else if (b + i < batch) rec.load(step(site + 4 + i, it), buffer, (row * batch + b + i) * F32, F32);
          }
        }
      }
    }
    rec.store(step(S.store), 'outValues', k * F32, F32);
  }

  return sampledDispatch({ label, workgroupSize: [SDDMM_ENTRIES, 1, 1], workgroupCount, workgroupMemoryBytes: 0 }, options.maxWorkgroups, (g) => {
    const recs = Array.from({ length: SDDMM_ENTRIES }, () => new InvocationRecorder());
    recs.forEach((rec, lane) => invocation(rec, g * SDDMM_ENTRIES + lane));
    return recordedWorkgroup(g, recs);
  });
}

/** Model of sddmm_csr (weight gradient dW = dY·Xᵀ at W's entries): shaders/sddmm.wgsl with CSR [+VEC4]. */
export function modelSddmmCsr(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  const variant = batch % 4 === 0 ? 'emulation CSR+VEC4' : 'emulation CSR';
  return hostProduct('sddmm_csr', variant, W, batch, (label) => modelSddmmDispatch(label, W.rowIndices(), W.colIdx, batch, options));
}

// ---------------------------------------------------------------------------
// The 'gpu' kernel profile (src/gpu/kernel-profile.ts)

/** shaders/spmm.wgsl, entry point gatherWarp: WARP_LANES × WARP_ROWS invocations, WARP_COLS columns per lane (kernels/programs.ts). */
export const GATHER_WARP_SHAPE = { lanes: 32, rows: 4, cols: 4, tileB: 128 } as const;
/** shaders/sddmm.wgsl, entry point sddmmWarp: WARP_LANES lanes × WARP_ENTRIES entries per workgroup. */
export const SDDMM_WARP_SHAPE = { lanes: 32, entries: 8 } as const;

// Access sites of gatherWarp (CSR, flag SCHED): per unit of work the slot's
// three schedule words (row, first entry, end), the staging loads (one
// iteration per strip of 32 entries, counted on through the workgroup's
// units), the loads of X (one iteration per entry), the stores (one per unit)
// and the split rows' fix-up store; before the units, the long-row count.
const GW = accessSites({ order: 1, ptr: 1, ptrEnd: 1, col: 1, perm: 1, values: 1, x: 4, store: 4, fixup: 1, long: 1 });

/**
 * A schedule (kernels/row-order.ts's words) that visits rows in `order` and
 * splits none: what gatherWarp did before length bins and splitting (the
 * identity for training operands, longest first for host products).
 */
export function unsplitSchedule(ptr: Uint32Array, order: Uint32Array): Uint32Array {
  const out = new Uint32Array(scheduleWords(order.length));
  order.forEach((r, slot) => out.set([r, ptr[r]!, ptr[r + 1]!], SCHEDULE.header + SCHEDULE.stride * slot));
  return out;
}

/**
 * The dispatch of shaders/spmm.wgsl's gatherWarp (flags CSR + SCHED [+PERM])
 * for Y = A · X through a schedule (default: rowSchedule's, as the gpu
 * profile builds it): ⌈rows / 4⌉ × batchTiles workgroups of 4 warps of 32
 * lanes (local index lid.x + 32·lid.y); lane x takes batch columns
 * b0 + 32q, b0 = (g mod batchTiles)·128 + x. The units of work are the long
 * rows (the schedule's first `long` slots, one per unit, each warp a quarter
 * in whole strips, added up by the fix-up: invocation c stores column c of
 * the tile) and then the other rows, 4 per unit; workgroup g takes units
 * ⌊g / batchTiles⌋, + ⌈rows / 4⌉, … In a unit the workgroup walks as many
 * strips as its longest warp: lane x stages entry 32s + x (colIdx, perm,
 * values: coalesced), then every lane reads X[col, b0 + 32q] for each staged
 * entry.
 */
export function modelGatherWarpDispatch(label: string, A: GatherOperandModel, batch: number, options: ModelOptions = {}, schedule = rowSchedule.cpu(A.ptr, A.rows)): DispatchTrace {
  const { lanes, rows: warps, cols, tileB } = GATHER_WARP_SHAPE;
  const batchTiles = Math.ceil(batch / tileB);
  const dispatched = Math.ceil(A.rows / warps);
  const workgroupCount = dispatched * batchTiles;
  const step = (site: number, iteration = 0): number => stepOf(site, GW.sites, iteration);
  const long = schedule[0]!;
  const units = long + Math.ceil((A.rows - long) / warps);
  const word = (slot: number, i: number) => schedule[SCHEDULE.header + SCHEDULE.stride * slot + i]!;

  function workgroup(g: number): WorkgroupTrace {
    const tile = g % batchTiles;
    const recs = Array.from({ length: warps * lanes }, () => new InvocationRecorder());
    const first = Math.floor(g / batchTiles);
    if (first < dispatched) for (const rec of recs) rec.load(step(GW.long), 'schedule', 0, F32);
    let round = 0;
    let stripBase = 0;
    for (let unit = first; unit < units; unit += dispatched, round++) {
      const split = unit < long;
      const warp = Array.from({ length: warps }, (_, y) => {
        const slot = split ? unit : long + (unit - long) * warps + y;
        if (slot >= A.rows) return { slot, r: 0, start: 0, len: 0 };
        const at = (SCHEDULE.header + SCHEDULE.stride * slot) * F32;
        for (let x = 0; x < lanes; x++) {
          const rec = recs[x + lanes * y]!;
          rec.load(step(GW.order, round), 'schedule', at, F32);
          rec.load(step(GW.ptr, round), 'schedule', at + 4, F32);
          rec.load(step(GW.ptrEnd, round), 'schedule', at + 8, F32);
        }
        let start = word(slot, 1);
        let len = word(slot, 2) - start;
        if (split) {
          const quarter = Math.ceil(len / (warps * lanes)) * lanes;
          const skipped = Math.min(len, y * quarter);
          start += skipped;
          len = Math.min(len - skipped, quarter);
        }
        return { slot, r: word(slot, 0), start, len };
      });
      const strips = Math.ceil(Math.max(...warp.map((w) => w.len)) / lanes);
      for (let s = 0; s < strips; s++) {
        const firstEntry = s * lanes;
        warp.forEach(({ start, len }, y) => {
          for (let x = 0; x < lanes; x++) {
            const rec = recs[x + lanes * y]!;
            if (firstEntry + x < len) {
              const k = start + firstEntry + x;
              rec.load(step(GW.col, stripBase + s), 'colIdx', k * F32, F32);
              if (A.perm) {
                rec.load(step(GW.perm, stripBase + s), 'perm', k * F32, F32);
                rec.load(step(GW.values, stripBase + s), 'values', A.perm[k]! * F32, F32);
              } else rec.load(step(GW.values, stripBase + s), 'values', k * F32, F32);
            }
            const b0 = tile * tileB + x;
            const count = Math.min(lanes, len - Math.min(len, firstEntry));
            for (let j = 0; j < count; j++) {
              const col = A.idx[start + firstEntry + j]!;
              for (let q = 0; q < cols; q++) {
                if (b0 + q * lanes < batch) rec.load(step(GW.x + q, stripBase * lanes + firstEntry + j), 'X', (col * batch + b0 + q * lanes) * F32, F32);
              }
            }
          }
        });
      }
      if (split) {
        const r = warp[0]!.r;
        for (let c = 0; c < warps * lanes; c++) {
          const b = tile * tileB + c;
          if (b < batch) recs[c]!.store(step(GW.fixup, round), 'Y', (r * batch + b) * F32, F32);
        }
      } else {
        warp.forEach(({ slot, r }, y) => {
          if (slot >= A.rows) return;
          for (let x = 0; x < lanes; x++) {
            const b0 = tile * tileB + x;
            for (let q = 0; q < cols; q++) {
              if (b0 + q * lanes < batch) recs[x + lanes * y]!.store(step(GW.store + q, round), 'Y', (r * batch + b0 + q * lanes) * F32, F32);
            }
          }
        });
      }
      stripBase += strips;
    }
    return recordedWorkgroup(g, recs);
  }

  // stagedColumn, stagedValue (32 × 4 words each), rowLengths (4), longestRow, partialSums (4 × 128).
  const workgroupMemoryBytes = (2 * lanes * warps + warps + 1 + warps * tileB) * F32;
  return sampledDispatch({ label, workgroupSize: [lanes, warps, 1], workgroupCount, workgroupMemoryBytes }, options.maxWorkgroups, workgroup);
}

/** Model of spmm_csr with the gpu profile: gatherWarp with CSR, rows visited through W's row order. */
export function modelGatherCsrWarp(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  return hostProduct('spmm_csr', 'gpu CSR gatherWarp', W, batch, (label) => modelGatherWarpDispatch(label, rowsOperand(W), batch, options));
}

/** Model of spmm_csr_t with the gpu profile: gatherWarp with CSR+PERM over W's transpose index. */
export function modelGatherCsrTWarp(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  return hostProduct('spmm_csr_t', 'gpu CSR+PERM gatherWarp', W, batch, (label) => modelGatherWarpDispatch(label, columnsOperand(W), batch, options));
}

// Access sites of sddmmWarp: the entry's row and column, the loads of the
// batch loop (iteration i: columns lane + 32i), the store.
const SW = accessSites({ row: 1, col: 1, y: 1, x: 1, store: 1 });

/**
 * The dispatch of shaders/sddmm.wgsl's sddmmWarp (CSR): workgroup g computes
 * entries g·8 … g·8 + 7, one 32-lane warp per entry (local index lid.x +
 * 32·lid.y, entry k = g·8 + lid.y); lane x reads dY[row, b] and X[col, b] for
 * b = x, x + 32, …; after the workgroup-memory reduction, lane x < 8 of the
 * first warp stores entry g·8 + x.
 */
export function modelSddmmWarpDispatch(label: string, rowOf: Uint32Array, colIdx: Uint32Array, batch: number, options: ModelOptions = {}): DispatchTrace {
  const { lanes, entries } = SDDMM_WARP_SHAPE;
  const nnz = colIdx.length;
  const workgroupCount = Math.ceil(nnz / entries);
  const step = (site: number, iteration = 0): number => stepOf(site, SW.sites, iteration);

  function workgroup(g: number): WorkgroupTrace {
    const first = g * entries;
    // Local index x + lanes·y.
    const recs = Array.from({ length: lanes * entries }, () => new InvocationRecorder());
    recs.forEach((rec, local) => {
      const x = local % lanes;
      const y = Math.floor(local / lanes);
      const k = first + y;
      if (k < nnz) {
        rec.load(step(SW.row), 'rowOf', k * F32, F32);
        rec.load(step(SW.col), 'colIdx', k * F32, F32);
        const r = rowOf[k]!;
        const c = colIdx[k]!;
        for (let b = x, i = 0; b < batch; b += lanes, i++) {
          rec.load(step(SW.y, i), 'dY', (r * batch + b) * F32, F32);
          rec.load(step(SW.x, i), 'X', (c * batch + b) * F32, F32);
        }
      }
      if (y === 0 && x < entries && first + x < nnz) rec.store(step(SW.store), 'outValues', (first + x) * F32, F32);
    });
    return recordedWorkgroup(g, recs);
  }

  // partials: (32 + 1) × 8 words.
  return sampledDispatch({ label, workgroupSize: [lanes, entries, 1], workgroupCount, workgroupMemoryBytes: (lanes + 1) * entries * F32 }, options.maxWorkgroups, workgroup);
}

/** Model of sddmm_csr with the gpu profile: sddmmWarp with CSR. */
export function modelSddmmCsrWarp(W: CSRMatrix, batch: number, options: ModelOptions = {}): OperationTrace {
  return hostProduct('sddmm_csr', 'gpu CSR sddmmWarp', W, batch, (label) => modelSddmmWarpDispatch(label, W.rowIndices(), W.colIdx, batch, options));
}

// ---------------------------------------------------------------------------
// Skewed layers: gatherWarp before and after length bins and split rows

/**
 * A rows × cols layer whose row r holds round(cols / (r + 1)) entries at
 * seeded columns (row 0 full): the skew of an imported or RigL-grown layer.
 */
export function powerLawLayer(rows: number, cols: number, seed: number): CSRMatrix {
  const rowPtr = new Uint32Array(rows + 1);
  for (let r = 0; r < rows; r++) rowPtr[r + 1] = rowPtr[r]! + Math.min(cols, Math.round(cols / (r + 1)));
  const colIdx = new Uint32Array(rowPtr[rows]!);
  let state = seed >>> 0;
  const taken = new Uint8Array(cols);
  for (let r = 0; r < rows; r++) {
    const start = rowPtr[r]!;
    const len = rowPtr[r + 1]! - start;
    // A seeded partial shuffle would do as well; marking is enough at these sizes.
    let n = 0;
    while (n < len) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const c = state % cols;
      if (!taken[c]) {
        taken[c] = 1;
        colIdx[start + n++] = c;
      }
    }
    for (let k = start; k < start + len; k++) taken[colIdx[k]!] = 0;
    colIdx.subarray(start, start + len).sort();
  }
  const values = Float32Array.from(colIdx, (c, k) => Math.sin(c + k));
  return new CSRMatrix({ rows, cols, rowPtr, colIdx, values });
}

/** The layer whose rows are W's columns (W's transpose as a CSR). */
function transposedLayer(W: CSRMatrix): CSRMatrix {
  const t = W.transposeIndex();
  return new CSRMatrix({ rows: W.cols, cols: W.rows, rowPtr: t.colPtr, colIdx: t.rowIdx, values: Float32Array.from(t.perm, (k) => W.values[k]!) });
}

export interface SkewedLayer {
  name: string;
  W: CSRMatrix;
  /** The product modelled: Y = W·X (spmm_csr) or dX = Wᵀ·dY through the transpose index (spmm_csr_t). */
  transpose: boolean;
}

let skewed: SkewedLayer[] | undefined;

/**
 * The skewed layers of the `--model` table: 4096² with power-law rows
 * (forward), 4096² with power-law columns (its transpose gather's rows), and
 * the transpose of a 4096² Erdős–Rényi layer at 99 % (binomial columns).
 */
export function skewedLayers(): SkewedLayer[] {
  if (!skewed) {
    const rows = powerLawLayer(4096, 4096, 1);
    skewed = [
      { name: 'power-law rows', W: rows, transpose: false },
      { name: 'power-law columns', W: transposedLayer(rows), transpose: true },
      { name: 'ER', W: CSRMatrix.random({ rows: 4096, cols: 4096, density: 0.01, seed: 1 }), transpose: true },
    ];
  }
  return skewed;
}

/**
 * gatherWarp on a skewed layer, before (no bins, no splits: rows longest
 * first for the forward, as host products visited them; the identity for a
 * transpose, as a training operand did) or after (the schedule the gpu
 * profile builds: length bins, long rows split over a workgroup).
 */
export function modelGatherSkew(layer: SkewedLayer, batch: number, after: boolean, options: ModelOptions = {}): OperationTrace {
  const { W, transpose } = layer;
  const A = transpose ? columnsOperand(W) : rowsOperand(W);
  const before = transpose ? Uint32Array.from({ length: A.rows }, (_, r) => r) : A.order;
  const schedule = after ? rowSchedule.cpu(A.ptr, A.rows) : unsplitSchedule(A.ptr, before);
  const how = after ? 'length bins, long rows split (after)' : transpose ? 'identity order (before)' : 'longest first (before)';
  const kernel = transpose ? 'spmm_csr_t' : 'spmm_csr';
  const variant = `gpu CSR${transpose ? '+PERM' : ''} gatherWarp, ${layer.name}, ${how}`;
  return hostProduct(kernel, variant, W, batch, (label) => modelGatherWarpDispatch(label, A, batch, options, schedule));
}
