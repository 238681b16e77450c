import { InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import { assertLength } from '../src/formats/validate.js';
import { checkDense } from './checks.js';
import { pruneCsrCpu } from './set/prune-csr.js';
import { checkZeta } from './set/prune.js';
import { BufferOwner, OperationScope, type GpuContext } from '../src/gpu/gpu-context.js';
import { exclusiveScan } from './primitives/scan.js';
import { selectRank } from './primitives/select.js';
import { programs } from './programs.js';
import { allocateCsr, type CsrBuffers } from './set/resident-csr.js';

/**
 * RigL growth (Evci et al. 2020), shared definitions of both backends.
 *
 * After SET's pruning, the removed count of connections is grown at the
 * absent positions (not among the kept ones; a just-pruned position may come
 * back) with the largest |g|, g = G[r][c] of the dense weight gradient
 * G = dY·Xᵀ (out × in) of one batch (X: in × batch, dY: out × batch,
 * feature-major). G is never materialised: it is computed a block of
 * `blockRows` rows at a time and a running top-k of candidates is carried
 * across blocks, so memory is O(blockRows·in + k).
 *
 * Exactly defined so both backends can agree bit for bit:
 * - g(r, c) is the f32 sum over b = 0, 1, …, batch − 1 in that order of the
 *   f32 products dY[r, b]·X[c, b] (no 1/batch scale: ranking does not need it);
 * - candidates rank by larger |g| first, then smaller row-major index r·in + c;
 * - new weights start at 0 with zero optimizer state (RigL's choice).
 * (A GPU compiler that fuses the multiply-add may round some g differently;
 * data whose products and sums are exact in f32 always agree exactly.)
 */

/** Default budget of one gradient block: ≤ 4 MB of f32. */
export const DEFAULT_GRADIENT_BLOCK_BYTES = 4 * 1024 * 1024;

export interface GrowByGradientOptions {
  /** Bytes of one block of G (blockRows · in · 4 ≤ blockBytes, at least one row). Default 4 MB. */
  blockBytes?: number;
}

export interface EvolveRiglOptions extends GrowByGradientOptions {
  /** Fraction of the negative and of the positive weights removed (SET's rule). ζ = 0 changes nothing. */
  zeta: number;
  /** The batch input, in × batch. */
  X: DenseMatrix;
  /** The gradient of the loss w.r.t. the layer output for that batch, out × batch. */
  dY: DenseMatrix;
  /** Per-weight optimizer state that moves with its weight; zeros if omitted. */
  state?: Float32Array;
}

export interface EvolveRiglResult {
  W: CSRMatrix;
  state: Float32Array;
  /** Connections removed (and grown). */
  removed: number;
}

/** Rows of G per block for a layer `cols` wide within `blockBytes` (at least 1). */
export function gradientBlockRows(cols: number, blockBytes: number): number {
  return Math.max(1, Math.floor(blockBytes / (Math.max(1, cols) * 4)));
}

export function checkBlockBytes(argument: string, blockBytes: unknown): number {
  if (blockBytes === undefined) return DEFAULT_GRADIENT_BLOCK_BYTES;
  if (typeof blockBytes !== 'number' || !Number.isSafeInteger(blockBytes) || blockBytes < 4) {
    throw new InvalidArgumentError(argument, `must be an integer ≥ 4 (bytes), got ${String(blockBytes)}`);
  }
  return blockBytes;
}

/**
 * X (in × batch) and dY (out × batch) of one batch for a rows × cols (out × in)
 * layer: DenseMatrix, finite, matching shapes, batch ≥ 1. `prefix` names the
 * arguments ('options.' for option objects).
 */
export function checkGradientOperands(X: unknown, dY: unknown, rows: number, cols: number, prefix = ''): { X: DenseMatrix; dY: DenseMatrix } {
  const xName = `${prefix}X`;
  const dyName = `${prefix}dY`;
  if (X === undefined) throw new InvalidArgumentError(xName, 'is required for gradient growth (the batch input, in × batch)');
  if (dY === undefined) throw new InvalidArgumentError(dyName, 'is required for gradient growth (the output gradient, out × batch)');
  checkDense(xName, X);
  checkDense(dyName, dY);
  if (X.rows !== cols) throw new ShapeMismatchError(xName, `has ${X.rows} rows but the layer has ${cols} inputs (X is in × batch)`);
  if (dY.rows !== rows) throw new ShapeMismatchError(dyName, `has ${dY.rows} rows but the layer has ${rows} outputs (dY is out × batch)`);
  if (dY.cols !== X.cols) throw new ShapeMismatchError(dyName, `has ${dY.cols} columns (batch) but ${xName} has ${X.cols}`);
  if (X.cols < 1) throw new InvalidArgumentError(xName, 'must hold at least one sample (batch ≥ 1)');
  return { X, dY };
}

export function checkGrow(kept: CSRMatrix, keptState: Float32Array, targetNnz: number): void {
  if (!(kept instanceof CSRMatrix)) throw new InvalidArgumentError('kept', 'must be a CSRMatrix');
  kept.verifyStructure('kept');
  if (!(keptState instanceof Float32Array)) throw new InvalidArgumentError('keptState', 'must be a Float32Array');
  assertLength('keptState', keptState, kept.nnz);
  if (!Number.isSafeInteger(targetNnz) || targetNnz < kept.nnz || targetNnz > kept.rows * kept.cols) {
    throw new InvalidArgumentError('targetNnz', `must be an integer in [${kept.nnz}, ${kept.rows * kept.cols}], got ${targetNnz}`);
  }
  if (targetNnz > 0xffffffff) throw new InvalidArgumentError('targetNnz', `must fit in 32 bits, got ${targetNnz}`);
}

export function checkEvolveRigl(W: CSRMatrix, options: EvolveRiglOptions): { state: Float32Array; blockBytes: number; X: DenseMatrix; dY: DenseMatrix } {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  W.verifyStructure('W');
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with zeta, X and dY');
  checkZeta(options.zeta);
  const { X, dY } = checkGradientOperands(options.X, options.dY, W.rows, W.cols, 'options.');
  const state = options.state ?? new Float32Array(W.nnz);
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('options.state', 'must be a Float32Array');
  assertLength('options.state', state, W.nnz);
  return { state, blockBytes: checkBlockBytes('options.blockBytes', options.blockBytes), X, dY };
}

/**
 * |G| for rows row0 … row0 + n − 1 into `out` (n × cols), −1 at the positions
 * present in `kept` (never candidates). The summation order is the contract
 * shared with the GPU (see above).
 */
export function gradientBlockCpu(kept: CSRMatrix, X: DenseMatrix, dY: DenseMatrix, row0: number, n: number, out: Float32Array): void {
  const cols = kept.cols;
  const batch = X.cols;
  const x = X.data;
  const dy = dY.data;
  const f = Math.fround;
  for (let m = 0; m < n; m++) {
    const yOff = (row0 + m) * batch;
    const oOff = m * cols;
    for (let c = 0; c < cols; c++) {
      const xOff = c * batch;
      let s = 0;
      for (let b = 0; b < batch; b++) s = f(s + f(dy[yOff + b]! * x[xOff + b]!));
      out[oOff + c] = Math.abs(s);
    }
    for (let k = kept.rowPtr[row0 + m]!; k < kept.rowPtr[row0 + m + 1]!; k++) out[oOff + kept.colIdx[k]!] = -1;
  }
}

/**
 * The best `k` candidates seen so far: a binary heap whose root is the worst
 * (smallest |g|, then largest index), so a better candidate replaces it.
 */
class TopK {
  private readonly value: Float64Array;
  private readonly index: Float64Array;
  size = 0;
  constructor(private readonly k: number) {
    this.value = new Float64Array(k);
    this.index = new Float64Array(k);
  }

  /** Is entry a worse than entry b? */
  private worse(a: number, b: number): boolean {
    const va = this.value[a]!;
    const vb = this.value[b]!;
    return va < vb || (va === vb && this.index[a]! > this.index[b]!);
  }

  private swap(a: number, b: number): void {
    const v = this.value[a]!;
    const i = this.index[a]!;
    this.value[a] = this.value[b]!;
    this.index[a] = this.index[b]!;
    this.value[b] = v;
    this.index[b] = i;
  }

  offer(v: number, index: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      this.value[i] = v;
      this.index[i] = index;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    const rootV = this.value[0]!;
    if (!(v > rootV || (v === rootV && index < this.index[0]!))) return;
    this.value[0] = v;
    this.index[0] = index;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < this.size && this.worse(l, w)) w = l;
      if (r < this.size && this.worse(r, w)) w = r;
      if (w === i) break;
      this.swap(i, w);
      i = w;
    }
  }

  /** The kept indices, ascending. */
  sortedIndices(): Float64Array {
    return this.index.slice(0, this.size).sort();
  }
}

/**
 * Merges grown positions (row-major indices, ascending) into the kept layer:
 * rows stay sorted, kept weights keep value and state, new ones start at 0.
 */
export function mergeGrownCpu(kept: CSRMatrix, keptState: Float32Array, grown: ArrayLike<number>): { W: CSRMatrix; state: Float32Array } {
  const { rows, cols } = kept;
  const nnz = kept.nnz + grown.length;
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  const state = new Float32Array(nnz);
  let g = 0;
  let out = 0;
  for (let r = 0; r < rows; r++) {
    let k = kept.rowPtr[r]!;
    const end = kept.rowPtr[r + 1]!;
    const rowEnd = (r + 1) * cols;
    for (;;) {
      const haveNew = g < grown.length && grown[g]! < rowEnd;
      if (!haveNew && k >= end) break;
      const newCol = haveNew ? grown[g]! - r * cols : 0;
      if (haveNew && (k >= end || newCol < kept.colIdx[k]!)) {
        colIdx[out++] = newCol; // value and state stay 0
        g++;
      } else {
        colIdx[out] = kept.colIdx[k]!;
        values[out] = kept.values[k]!;
        state[out++] = keptState[k++]!;
      }
    }
    rowPtr[r + 1] = out;
  }
  return { W: new CSRMatrix({ rows, cols, rowPtr, colIdx, values }), state };
}

/**
 * RigL growth on the CPU: grows targetNnz − kept.nnz connections at the absent
 * positions with the largest |dY·Xᵀ| (ties: smaller row-major index), new
 * weights and state 0. Memory O(blockRows·in + k); G is never whole.
 */
export function growByGradientCpu(
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  X: DenseMatrix,
  dY: DenseMatrix,
  options: GrowByGradientOptions = {},
): { W: CSRMatrix; state: Float32Array } {
  checkGrow(kept, keptState, targetNnz);
  checkGradientOperands(X, dY, kept.rows, kept.cols);
  const blockBytes = checkBlockBytes('options.blockBytes', options?.blockBytes);
  return mergeGrownCpu(kept, keptState, gradientGrowthCpu(kept, X, dY, targetNnz - kept.nnz, blockBytes));
}

/**
 * The row-major indices (ascending) of the k absent positions of `kept` with
 * the largest |dY·Xᵀ|, ties to the smaller index; operands already checked.
 */
export function gradientGrowthCpu(kept: CSRMatrix, X: DenseMatrix, dY: DenseMatrix, k: number, blockBytes: number): Float64Array {
  if (k === 0) return new Float64Array(0);
  const { rows, cols } = kept;
  const blockRows = Math.min(rows, gradientBlockRows(cols, blockBytes));
  const block = new Float32Array(blockRows * cols);
  const best = new TopK(k);
  for (let row0 = 0; row0 < rows; row0 += blockRows) {
    const n = Math.min(blockRows, rows - row0);
    gradientBlockCpu(kept, X, dY, row0, n, block);
    const base = row0 * cols;
    for (let i = 0; i < n * cols; i++) {
      const v = block[i]!;
      if (v >= 0) best.offer(v, base + i);
    }
  }
  return best.sortedIndices();
}

/**
 * One RigL topology update on the CPU: SET's pruning (pruneCsrCpu, the same
 * kept set), then growth by gradient magnitude. nnz is unchanged. ζ = 0 is a
 * no-op (no connection removed or grown), as a cosine schedule's end means.
 */
export function evolveRiglCpu(W: CSRMatrix, options: EvolveRiglOptions): EvolveRiglResult {
  const { state, blockBytes, X, dY } = checkEvolveRigl(W, options);
  if (options.zeta === 0) return { W: W.withValues(Float32Array.from(W.values)), state: Float32Array.from(state), removed: 0 };
  const kept = pruneCsrCpu(W, state, options.zeta);
  const grown = growByGradientCpu(kept.W, kept.state, W.nnz, X, dY, { blockBytes });
  return { ...grown, removed: W.nnz - kept.W.nnz };
}

const { THREADS, TS: TILE, ITEMS } = programs.riglBlockGradient.layout.consts;
/** Pool slots per workgroup of the count / scatter passes (CHUNK in shaders/rigl.wgsl). */
const CHUNK = ITEMS * THREADS;
/** Gradient blocks recorded per submission (bounds one command buffer's length). */
const BLOCKS_PER_SUBMIT = 16;
/** f32 −1: a candidate slot that holds no candidate yet. */
const NO_CANDIDATE = 0xbf800000;

/** A batch resident on the GPU: X (in × batch) and dY (out × batch), feature-major f32. */
export interface GradientOperands {
  X: GPUBuffer;
  dY: GPUBuffer;
  batch: number;
}

/**
 * RigL growth of a GPU-resident kept layer, the twin of growByGradientCpu:
 * per block of rows, |dY·Xᵀ| is computed into a pool after the k carried
 * candidates, present positions are masked, the k-th largest is radix-selected
 * and the new top-k compacted in pool order by a count / scan / scatter over
 * chunks of the pool (ties to the earlier pool slot = smaller row-major index); then the k grown positions are merged into the kept rows
 * (count + scan + per-row merge), new weights and states 0. Nothing is read
 * back. New buffers belong to `owner`; with nothing to grow, `kept` itself is
 * returned. GPU memory beyond the layers: the pool (k + blockRows·cols
 * words) and 3k words of candidates.
 */
export async function growResident(
  ctx: GpuContext,
  owner: BufferOwner,
  kept: CsrBuffers,
  keptNnz: number,
  rows: number,
  cols: number,
  targetNnz: number,
  grad: GradientOperands,
  blockBytes: number,
): Promise<CsrBuffers> {
  const k = targetNnz - keptNnz;
  if (k === 0) return kept;
  const blockRows = Math.min(rows, gradientBlockRows(cols, blockBytes));
  const capacity = k + blockRows * cols;
  const pool = owner.output('RigL candidate pool', capacity * 4);
  const carry = [owner.output('RigL candidates A', k * 8), owner.output('RigL candidates B', k * 8)];
  const carryValue = owner.output('RigL candidate values', k * 4);
  owner.writeWords(carryValue, new Uint32Array(k).fill(NO_CANDIDATE));
  const tilesN = Math.ceil(cols / TILE);
  const blocks = Math.ceil(rows / blockRows);

  const encodeBlock = (s: OperationScope, block: number) => {
    const row0 = block * blockRows;
    const n = Math.min(blockRows, rows - row0);
    const count = k + n * cols;
    const uniforms = s.uniforms(programs.riglBlockGradient, { rows, cols, batch: grad.batch, row0, blockRows: n, k, count, tilesN });
    const carryIn = carry[block % 2]!;
    const carryOut = carry[(block + 1) % 2]!;
    s.copy(carryValue, pool, k * 4);
    s.dispatch(programs.riglBlockGradient, { bindings: { dY: grad.dY, X: grad.X, pool }, uniforms, workgroups: Math.ceil(n / TILE) * tilesN });
    s.dispatch(programs.riglMaskPresent, { bindings: { pool, rowPtr: kept.rowPtr, colIdx: kept.colIdx }, uniforms, workgroups: n });
    const threshold = selectRank.encode(s, pool, count, [count - k]);
    const chunks = Math.ceil(count / CHUNK);
    const chunkGt = s.output('RigL chunk counts >', (chunks + 1) * 4);
    const chunkEq = s.output('RigL chunk counts =', (chunks + 1) * 4);
    s.dispatch(programs.riglCountCandidates, { bindings: { pool, chunkGt, chunkEq, threshold }, uniforms, workgroups: chunks });
    exclusiveScan.encode(s, chunkGt, chunks + 1);
    exclusiveScan.encode(s, chunkEq, chunks + 1);
    s.dispatch(programs.riglScatterCandidates, { bindings: { pool, chunkGt, chunkEq, threshold, carryIn, carryOut, carryValue }, uniforms, workgroups: chunks });
  };

  for (let first = 0; first < blocks; first += BLOCKS_PER_SUBMIT) {
    const last = Math.min(blocks, first + BLOCKS_PER_SUBMIT);
    await ctx.run('RigL gradient blocks', (s) => {
      for (let block = first; block < last; block++) encodeBlock(s, block);
      return { result: pool, byteLength: 0, decode: () => undefined };
    });
  }

  const grown = carry[blocks % 2]!;
  const result = allocateCsr(owner, 'grown', rows, targetNnz, kept.second !== undefined);
  await ctx.run('RigL merge', (s) => {
    const uniforms = s.uniforms(programs.riglMergeRows, { rows, cols, k, count: targetNnz });
    const growPtr = s.output('grown per row', (rows + 1) * 4);
    s.dispatch(programs.riglCountGrown, { bindings: { carryIn: grown, growCount: growPtr }, uniforms, workgroups: Math.ceil(k / THREADS) });
    exclusiveScan.encode(s, growPtr, rows + 1);
    s.dispatch(programs.riglRowPointers, { bindings: { rowPtr: kept.rowPtr, growPtr, newRowPtr: result.rowPtr }, uniforms, workgroups: Math.ceil((rows + 1) / THREADS) });
    const source = s.output('merge sources', targetNnz * 4);
    s.dispatch(programs.riglMergeRows, {
      bindings: { rowPtr: kept.rowPtr, colIdx: kept.colIdx, carryIn: grown, growPtr, newRowPtr: result.rowPtr, newColIdx: result.colIdx, source },
      uniforms,
      workgroups: Math.ceil(rows / THREADS),
    });
    const gather = (state: GPUBuffer, nextState: GPUBuffer) =>
      s.dispatch(programs.riglGatherValues, {
        bindings: { source, values: kept.values, state, newValues: result.values, newState: nextState },
        uniforms,
        workgroups: Math.ceil(targetNnz / THREADS),
      });
    gather(kept.state, result.state);
    // A second state (Adam's second moment) moves by the same gather again.
    if (kept.second && result.second) gather(kept.second, result.second);
    return { result: result.rowPtr, byteLength: 0, decode: () => undefined };
  });
  return result;
}

/** Uploads a host batch for growResident into buffers owned by `owner`. */
export function uploadGradientOperands(owner: BufferOwner, X: DenseMatrix, dY: DenseMatrix): GradientOperands {
  return { X: owner.upload('X', X.data), dY: owner.upload('dY', dY.data), batch: X.cols };
}
