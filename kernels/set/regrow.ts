import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { randomU32Keyed, randomUnit, streamKey } from '../../src/random.js';
import { BufferOwner, type GpuContext, type OperationScope } from '../../src/gpu/gpu-context.js';
import type { Kernel } from '../../src/gpu/kernel.js';
import { exclusiveScan } from '../primitives/scan.js';
import { programs } from '../programs.js';
import { allocateCsr, type CsrBuffers } from './resident-csr.js';

/**
 * SET regrowth, shared definitions of both backends. Candidates are drawn
 * in rounds: candidate j of round t sits at (mulhi(r₁, rows), mulhi(r₂, cols))
 * with r₁, r₂ from the counter-based PRNG, so every position is equally
 * likely. A candidate is valid if the position is absent from the layer and
 * no earlier candidate of the round took it; the first `remaining` valid
 * candidates (in j order) are accepted, with a uniform(-limit, limit) weight
 * and zero optimizer state. Rounds repeat until nnz is back to its target.
 * Drawing enough candidates for the fraction of absent positions keeps the
 * round count small even when few absent positions remain.
 */
export const REGROW_STREAM = 0x5e7000;
/** Upper bound on candidates per round (memory), whatever the oversampling; the shaders' MAX_CANDIDATES. */
export const MAX_CANDIDATES_PER_ROUND: number = programs.regrowGenerate.layout.consts.MAX_CANDIDATES;
/** Positions are mapped with an exact 32×21-bit multiply-high, shared with WGSL. */
export const MAX_REGROW_DIMENSION = 1 << 21;

/**
 * Candidates drawn for a round: 1.25 × the remaining count × the
 * oversampling N / absent (N = rows · cols), + 16, capped; 0 when nothing
 * remains. An integer rule, min(cap, ceil(5 · remaining · N / (4 · absent))
 * + 16), so that the GPU computes it too (sizeRound in shaders/set/regrow.wgsl,
 * in 160-bit words) and a round's size never crosses to the host. (It was
 * the same formula in float64, whose rounding could put the ceiling one
 * above; the count changes which candidates a seed draws, never how they are
 * distributed: the accepted ones are the first valid draws either way.)
 */
export function candidatesForRound(remaining: number, rows: number, cols: number, present: number): number {
  if (remaining === 0) return 0;
  const n = BigInt(rows) * BigInt(cols);
  const num = 5n * BigInt(remaining) * n;
  const den = 4n * (n - BigInt(present));
  const count = (num + den - 1n) / den + 16n;
  return count < BigInt(MAX_CANDIDATES_PER_ROUND) ? Number(count) : MAX_CANDIDATES_PER_ROUND;
}

/** floor(u · n / 2³²), exact for u < 2³² and n < 2²¹ (the product stays below 2⁵³). */
export function mulhi(u: number, n: number): number {
  return Math.floor((u * n) / 4294967296);
}

/** The new weight of candidate j of round t, rounded to f32 exactly as the GPU computes it. */
export function newWeight(seed: number, round: number, j: number, limit: number): number {
  const u = randomUnit(seed, REGROW_STREAM + 3 * round + 2, j);
  return Math.fround(Math.fround(limit) * (2 * u - 1));
}

export function checkRegrow(kept: CSRMatrix, targetNnz: number): void {
  if (kept.rows >= MAX_REGROW_DIMENSION || kept.cols >= MAX_REGROW_DIMENSION) {
    throw new InvalidArgumentError('W', `regrowth supports up to ${MAX_REGROW_DIMENSION - 1} rows and columns, got ${kept.rows} × ${kept.cols}`);
  }
  if (!Number.isInteger(targetNnz) || targetNnz < kept.nnz || targetNnz > kept.rows * kept.cols) {
    throw new InvalidArgumentError('targetNnz', `must be an integer in [${kept.nnz}, ${kept.rows * kept.cols}], got ${targetNnz}`);
  }
}

/** Regrowth on the CPU, the twin of the GPU rounds; an optional second state moves like `state` (new entries 0). */
export function regrowCsrCpu(
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  seed: number,
  limit: number,
  keptSecond?: Float32Array,
): { W: CSRMatrix; state: Float32Array; second?: Float32Array; rounds: number } {
  checkRegrow(kept, targetNnz);
  let layer: RegrowLayer = { W: kept, state: keptState, ...(keptSecond ? { second: keptSecond } : {}) };
  let round = 0;
  while (layer.W.nnz < targetNnz) layer = regrowRound.cpu(layer, targetNnz, seed, limit, round++);
  return { ...layer, rounds: round };
}

/** A layer between regrowth rounds: weights, optimizer state and the optional second state. */
export interface RegrowLayer {
  W: CSRMatrix;
  state: Float32Array;
  second?: Float32Array;
}

/** One round's CPU twin: draw, validate, accept the first `remaining` valid candidates, merge them by column. */
function regrowRoundCpu(layer: RegrowLayer, targetNnz: number, seed: number, limit: number, round: number): RegrowLayer {
  const { W, state, second } = layer;
  const { rows, cols } = W;
  {
    const remaining = targetNnz - W.nnz;
    const count = candidatesForRound(remaining, rows, cols, W.nnz);
    const { rowStart, candCol, candJ, accept } = validCandidates(W, seed, round, count, remaining);
    // Merge per row: kept entries and accepted candidates, both by column.
    let accepted = 0;
    for (let i = 0; i < count; i++) accepted += accept[i]!;
    const nnz = W.nnz + accepted;
    const rowPtr = new Uint32Array(rows + 1);
    const colIdx = new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    const nextState = new Float32Array(nnz);
    const nextSecond = second ? new Float32Array(nnz) : undefined;
    let out = 0;
    for (let r = 0; r < rows; r++) {
      let k = W.rowPtr[r]!;
      const end = W.rowPtr[r + 1]!;
      let c = rowStart[r]!;
      const cEnd = rowStart[r + 1]!;
      for (;;) {
        while (c < cEnd && !accept[c]) c++;
        const takeNew = c < cEnd && (k >= end || candCol[c]! < W.colIdx[k]!);
        if (takeNew) {
          colIdx[out] = candCol[c]!;
          values[out] = newWeight(seed, round, candJ[c]!, limit);
          nextState[out++] = 0;
          c++;
        } else if (k < end) {
          colIdx[out] = W.colIdx[k]!;
          values[out] = W.values[k]!;
          if (nextSecond) nextSecond[out] = second![k]!;
          nextState[out++] = state[k++]!;
        } else {
          break;
        }
      }
      rowPtr[r + 1] = out;
    }
    return { W: new CSRMatrix({ rows, cols, rowPtr, colIdx, values }), state: nextState, ...(nextSecond ? { second: nextSecond } : {}) };
  }
}

/**
 * One round's candidates grouped by row and sorted by (column, j), with the
 * accepted ones flagged: a candidate is valid when its position is absent
 * from W and no earlier candidate (smaller j) drew it; the `remaining` valid
 * ones of smallest j are accepted. Typed arrays and per-row sorts instead of
 * a hash set of every present position (~8× faster at 1 M connections).
 * bench/model/evolution.ts reads the same candidates for its step counts.
 */
export function validCandidates(
  W: CSRMatrix,
  seed: number,
  round: number,
  count: number,
  remaining: number,
): { rowStart: Uint32Array; candCol: Uint32Array; candJ: Uint32Array; accept: Uint8Array } {
  const { rows, cols } = W;
  const rowKey = streamKey(seed, REGROW_STREAM + 3 * round);
  const colKey = streamKey(seed, REGROW_STREAM + 3 * round + 1);
  const drawnRow = new Uint32Array(count);
  const rowStart = new Uint32Array(rows + 1);
  for (let j = 0; j < count; j++) {
    const r = mulhi(randomU32Keyed(rowKey, j), rows);
    drawnRow[j] = r;
    rowStart[r + 1]!++;
  }
  for (let r = 0; r < rows; r++) rowStart[r + 1]! += rowStart[r]!;
  // Bucket by row (stable in j), then sort each bucket by (column, j) as one float64 key.
  const keys = new Float64Array(count);
  const next = rowStart.slice(0, rows);
  for (let j = 0; j < count; j++) keys[next[drawnRow[j]!]!++] = mulhi(randomU32Keyed(colKey, j), cols) * count + j;
  const candCol = new Uint32Array(count);
  const candJ = new Uint32Array(count);
  const valid = new Uint8Array(count); // by j
  for (let r = 0; r < rows; r++) {
    const bucket = keys.subarray(rowStart[r]!, rowStart[r + 1]!).sort();
    let k = W.rowPtr[r]!;
    const end = W.rowPtr[r + 1]!;
    let previous = -1;
    for (let i = 0; i < bucket.length; i++) {
      const key = bucket[i]!;
      const col = Math.floor(key / count);
      const j = key - col * count;
      candCol[rowStart[r]! + i] = col;
      candJ[rowStart[r]! + i] = j;
      while (k < end && W.colIdx[k]! < col) k++;
      // Absent from the row, and the first (smallest j) draw of this column.
      if (col !== previous && !(k < end && W.colIdx[k] === col)) valid[j] = 1;
      previous = col;
    }
  }
  // The first `remaining` valid candidates in j order.
  let lastAccepted = -1;
  for (let j = 0, taken = 0; j < count && taken < remaining; j++) {
    if (valid[j]) {
      taken++;
      lastAccepted = j;
    }
  }
  const accept = new Uint8Array(count);
  for (let i = 0; i < count; i++) accept[i] = valid[candJ[i]!]! && candJ[i]! <= lastAccepted ? 1 : 0;
  return { rowStart, candCol, candJ, accept };
}

const { THREADS } = programs.regrowGenerate.layout.consts;
/** Regrowth rounds the 'gpu' kernel profile records in one submission before reading the counters. */
export const ROUNDS_AHEAD = 3;

/**
 * Column bands of the candidate buckets: about one candidate per (row, band)
 * cell, so that a row's bucket comes out nearly sorted by column and the cell
 * table stays no larger than the candidates.
 */
export function regrowBands(rows: number, cols: number, candidates: number): { bands: number; colsPerBand: number } {
  const wanted = Math.max(1, Math.min(cols, Math.floor(candidates / rows)));
  const colsPerBand = Math.ceil(cols / wanted);
  return { bands: Math.ceil(cols / colsPerBand), colsPerBand };
}

/**
 * The buffers of regrowth rounds that draw at most `capacity` candidates
 * each, towards `targetNnz` entries. Rounds recorded one after another share
 * them (each starts by clearing its cell counts). The column bands are sized
 * for the capacity: a round drawing fewer leaves cells emptier, never
 * changes its result (equal columns of a row share a cell whatever the
 * bands). `counters` receives [kept nnz, rounds with work, final nnz, 0]
 * (rounds from sizeRound; the rest the driver copies).
 */
export interface RegrowScratch {
  rows: number;
  cols: number;
  targetNnz: number;
  capacity: number;
  bands: number;
  colsPerBand: number;
  counters: GPUBuffer;
  roundSize: GPUBuffer;
  dispatchArgs: GPUBuffer;
  candRow: GPUBuffer;
  candCol: GPUBuffer;
  bucketCount: GPUBuffer;
  cellPtr: GPUBuffer;
  zeros: GPUBuffer;
  bucket: GPUBuffer;
  valid: GPUBuffer;
  rank: GPUBuffer;
  acceptedPtr: GPUBuffer;
  source: GPUBuffer;
}

export function regrowScratch(owner: BufferOwner, rows: number, cols: number, targetNnz: number, capacity: number, counters: GPUBuffer): RegrowScratch {
  const { bands, colsPerBand } = regrowBands(rows, cols, capacity);
  const cells = rows * bands;
  return {
    rows,
    cols,
    targetNnz,
    capacity,
    bands,
    colsPerBand,
    counters,
    roundSize: owner.output('round size', 16),
    dispatchArgs: owner.indirectArgs('round workgroups', 1),
    candRow: owner.output('candidate rows', capacity * 4),
    candCol: owner.output('candidate columns', capacity * 4),
    bucketCount: owner.output('cell counts', (cells + 1) * 4),
    cellPtr: owner.output('cell pointers', (cells + 1) * 4),
    zeros: owner.output('zeros', (cells + 1) * 4),
    bucket: owner.output('buckets', capacity * 8),
    valid: owner.output('valid candidates', (capacity + 1) * 4),
    rank: owner.output('candidate ranks', (capacity + 1) * 4),
    acceptedPtr: owner.output('accepted per cell', (cells + 1) * 4),
    source: owner.output('merge sources', targetNnz * 4),
  };
}

/**
 * One regrowth round on the GPU, the twin of a round of regrowCsrCpu, with
 * nothing known to the host but the scratch's sizes: sizeRound reads the
 * nnz `from` holds and writes the round's candidate count
 * (candidatesForRound, ≤ the scratch's capacity) and the indirect workgroups
 * of the per-candidate passes; the round draws, buckets them by cell,
 * validates, accepts the first `remaining` valid ones and merges them into
 * `next` (capacity ≥ targetNnz), whose rowPtr[rows] is then the new nnz. A
 * round with nothing remaining draws nothing and copies `from` into `next`.
 * The emulation profile validates and merges with a thread per row; the gpu
 * profile with a thread per candidate or entry (shaders/set/regrow.wgsl),
 * for the same layer.
 */
export const regrowRound: Kernel<
  [layer: RegrowLayer, targetNnz: number, seed: number, limit: number, round: number],
  RegrowLayer,
  [from: CsrBuffers, next: CsrBuffers, scratch: RegrowScratch, seed: number, limit: number, round: number]
> = {
  name: 'regrowRound',
  cpu: regrowRoundCpu,
  encode(s, from, next, scratch, seed, limit, round) {
    const { rows, cols, targetNnz, capacity, bands, colsPerBand, roundSize, bucketCount, cellPtr, zeros, bucket, valid, rank, source } = scratch;
    const { candRow, candCol, acceptedPtr } = scratch;
    const stream = REGROW_STREAM + 3 * round;
    const cells = rows * bands;
    const uniforms = s.uniforms(programs.regrowGenerate, { targetNnz, rows, cols, seed, round, limit, stream, colsPerBand, bands });
    s.dispatch(programs.regrowSizeRound, { bindings: { rowPtr: from.rowPtr, roundSize, dispatchArgs: scratch.dispatchArgs, counters: scratch.counters }, uniforms, workgroups: 1 });
    // The per-candidate passes: as many workgroups as sizeRound found candidates.
    const perCandidate = { workgroups: Math.ceil(capacity / THREADS), indirect: { buffer: scratch.dispatchArgs, offset: 0 } };
    // Rounds share the scratch: the cell counts start from zero.
    s.copy(zeros, bucketCount, (cells + 1) * 4);
    s.dispatch(programs.regrowGenerate, { bindings: { candRow, candCol, bucketCount, roundSize }, uniforms, ...perCandidate });
    s.copy(bucketCount, cellPtr, cells * 4);
    exclusiveScan.encode(s, cellPtr, cells + 1);
    s.copy(zeros, bucketCount, (cells + 1) * 4);
    s.dispatch(programs.regrowScatterBuckets, { bindings: { candRow, candCol, bucketCount, bucket, cellPtr }, uniforms, ...perCandidate });
    // Ranks past the round's count are never read: a scan's prefix does not depend on what follows it.
    if (s.kernelProfile === 'gpu') {
      s.dispatch(programs.regrowValidateCandidate, { bindings: { candRow, bucket, cellPtr, valid, rowPtr: from.rowPtr, colIdx: from.colIdx }, uniforms, ...perCandidate });
      s.copy(valid, rank, capacity * 4);
      exclusiveScan.encode(s, rank, capacity + 1);
      // bucketCount now counts the accepted candidates per cell; scanned, they place every merged entry.
      s.copy(zeros, bucketCount, (cells + 1) * 4);
      s.dispatch(programs.regrowAcceptCandidate, { bindings: { candRow, bucket, valid, rank, bucketCount, roundSize }, uniforms, ...perCandidate });
      s.copy(bucketCount, acceptedPtr, cells * 4);
      exclusiveScan.encode(s, acceptedPtr, cells + 1);
      s.dispatch(programs.regrowNewRowPointers, { bindings: { acceptedPtr, rowPtr: from.rowPtr, newRowPtr: next.rowPtr }, uniforms, workgroups: Math.ceil((rows + 1) / THREADS) });
      // newRowPtr is written above and recomputed by the scatters (newRowStart), not bound to them.
      const merge = { cellPtr, acceptedPtr, bucket, rowPtr: from.rowPtr, colIdx: from.colIdx, newColIdx: next.colIdx, source };
      s.dispatch(programs.regrowScatterKeptEntries, { bindings: merge, uniforms, workgroups: Math.ceil(targetNnz / THREADS) });
      s.dispatch(programs.regrowScatterNewEntries, { bindings: { ...merge, candRow }, uniforms, ...perCandidate });
    } else {
      const perRow = Math.ceil(rows / THREADS);
      const bucketPtr = s.output('bucket pointers', (rows + 1) * 4);
      s.dispatch(programs.regrowRowBuckets, { bindings: { cellPtr, rowBucketPtr: bucketPtr }, uniforms, workgroups: Math.ceil((rows + 1) / THREADS) });
      s.dispatch(programs.regrowValidate, { bindings: { bucketPtr, bucket, valid, rowPtr: from.rowPtr, colIdx: from.colIdx }, uniforms, workgroups: perRow });
      s.copy(valid, rank, capacity * 4);
      exclusiveScan.encode(s, rank, capacity + 1);
      const newCount = s.output('new row lengths', (rows + 1) * 4);
      s.dispatch(programs.regrowCountAccepted, { bindings: { bucketPtr, bucket, valid, rank, rowPtr: from.rowPtr, newCount, roundSize }, uniforms, workgroups: perRow });
      s.copy(newCount, next.rowPtr, (rows + 1) * 4);
      exclusiveScan.encode(s, next.rowPtr, rows + 1);
      s.dispatch(programs.regrowMergeRows, {
        bindings: { bucketPtr, bucket, rowPtr: from.rowPtr, colIdx: from.colIdx, newRowPtr: next.rowPtr, newColIdx: next.colIdx, source },
        uniforms,
        workgroups: perRow,
      });
    }
    // Values and optimizer state of the merged layout (kept ones moved, new ones drawn).
    const gather = (state: GPUBuffer, nextState: GPUBuffer) =>
      s.dispatch(programs.regrowGatherValues, {
        bindings: { newRowPtr: next.rowPtr, source, values: from.values, state, newValues: next.values, newState: nextState },
        uniforms,
        workgroups: Math.ceil(targetNnz / THREADS),
      });
    gather(from.state, next.state);
    // A second state moves by the same gather again (the values it rewrites come out identical: counter-based draws).
    if (from.second && next.second) gather(from.second, next.second);
  },
};

/**
 * Records `count` regrowth rounds from round `first` on, each from the
 * previous one's layer (round `first` from `from`) into the ping-pong
 * layers, and returns the last one's: it holds the layer once nnz reached
 * the target (rounds past that copy it along). Nothing is read back.
 */
export function recordRegrowRounds(
  s: OperationScope,
  scratch: RegrowScratch,
  pingPong: readonly [CsrBuffers, CsrBuffers],
  from: CsrBuffers,
  first: number,
  count: number,
  seed: number,
  limit: number,
): CsrBuffers {
  let current = from;
  for (let round = first; round < first + count; round++) {
    const next = pingPong[round % 2]!;
    regrowRound.encode(s, current, next, scratch, seed, limit, round);
    current = next;
  }
  return current;
}

/**
 * SET regrowth of a GPU-resident layer, the twin of regrowCsrCpu: rounds
 * (regrowRound) draw, bucket, validate and merge candidates on the GPU,
 * sized there from the layer they start from. The emulation profile submits
 * one round at a time, scratch sized for its candidate count, and reads its
 * new nnz back; the gpu profile records ROUNDS_AHEAD rounds per submission
 * (scratch sized for the first, the largest) and reads back only the
 * counters after them, again only if nnz is still short (not at densities
 * up to 95 % with ζ = 0.3). New buffers belong to `owner`.
 */
export async function regrowResident(
  ctx: GpuContext,
  owner: BufferOwner,
  start: CsrBuffers,
  startNnz: number,
  rows: number,
  cols: number,
  targetNnz: number,
  seed: number,
  limit: number,
): Promise<{ buffers: CsrBuffers; rounds: number }> {
  const layout = (name: string) => allocateCsr(owner, name, rows, targetNnz, start.second !== undefined);
  const pingPong = [layout('regrown A'), layout('regrown B')] as const;
  const counters = owner.output('regrowth counters', 16);
  let current = start;
  let nnz = startNnz;
  let round = 0;
  let rounds = 0;
  if (ctx.kernelProfile === 'gpu') {
    const scratch = regrowScratch(owner, rows, cols, targetNnz, candidatesForRound(targetNnz - startNnz, rows, cols, startNnz), counters);
    while (nnz < targetNnz) {
      const from = current;
      const first = round;
      [nnz, rounds] = await ctx.run('SET regrow rounds', (s) => {
        current = recordRegrowRounds(s, scratch, pingPong, from, first, ROUNDS_AHEAD, seed, limit);
        s.copy(current.rowPtr, counters, 4, 8, rows * 4);
        return { result: counters, byteLength: 12, decode: (bytes) => [new Uint32Array(bytes)[2]!, new Uint32Array(bytes)[1]!] as const };
      });
      round += ROUNDS_AHEAD;
    }
    return { buffers: current, rounds };
  }
  while (nnz < targetNnz) {
    const next = pingPong[round % 2]!;
    const from = current;
    const capacity = candidatesForRound(targetNnz - nnz, rows, cols, nnz);
    const r = round;
    nnz = await ctx.run('SET regrow round', (s) => {
      regrowRound.encode(s, from, next, regrowScratch(s, rows, cols, targetNnz, capacity, counters), seed, limit, r);
      const total = s.output('new nnz', 4);
      s.copy(next.rowPtr, total, 4, 0, rows * 4);
      return { result: total, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
    });
    current = next;
    round++;
  }
  return { buffers: current, rounds: round };
}
