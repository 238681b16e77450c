import { OperationScope, type GpuContext, bindings } from '../../src/gpu/gpu-context.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import type { DenseMatrix } from '../../src/formats/dense.js';
import { encodeExclusiveScan } from '../primitives/scan.js';
import { encodeRadixSelect } from '../primitives/select.js';
import { programs } from '../programs.js';
import { pruneResident } from './prune-csr.js';
import { allocateCsr, readCsr, uploadCsr, type CsrBuffers } from './resident-csr.js';
import {
  checkBlockBytes,
  checkEvolveRigl,
  checkGradientOperands,
  checkGrow,
  gradientBlockRows,
  type EvolveRiglOptions,
  type EvolveRiglResult,
  type GrowByGradientOptions,
} from './rigl.js';

const THREADS = 256;
/** Must match TS in shaders/rigl.wgsl. */
const TILE = 64;
/** Pool slots per workgroup of the count / scatter passes; must match CHUNK in shaders/rigl.wgsl. */
const CHUNK = 3072;
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
  owner: OperationScope,
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
    const params = s.uniform([rows, cols, grad.batch, row0, n, k, count, tilesN]);
    const carryIn = carry[block % 2]!;
    const carryOut = carry[(block + 1) % 2]!;
    s.copy(carryValue, pool, k * 4);
    s.dispatch({ pipeline: s.pipeline(programs.riglBlockGradient), buffers: bindings({ 0: params, 1: grad.dY, 2: grad.X, 3: pool }), workgroups: Math.ceil(n / TILE) * tilesN });
    s.dispatch({ pipeline: s.pipeline(programs.riglMaskPresent), buffers: bindings({ 0: params, 3: pool, 4: kept.rowPtr, 5: kept.colIdx }), workgroups: n });
    const threshold = encodeRadixSelect(s, pool, count, [count - k]);
    const chunks = Math.ceil(count / CHUNK);
    const chunkGt = s.output('RigL chunk counts >', (chunks + 1) * 4);
    const chunkEq = s.output('RigL chunk counts =', (chunks + 1) * 4);
    s.dispatch({ pipeline: s.pipeline(programs.riglCountCandidates), buffers: bindings({ 0: params, 3: pool, 6: chunkGt, 7: chunkEq, 8: threshold }), workgroups: chunks });
    encodeExclusiveScan(s, chunkGt, chunks + 1);
    encodeExclusiveScan(s, chunkEq, chunks + 1);
    s.dispatch({
      pipeline: s.pipeline(programs.riglScatterCandidates),
      buffers: bindings({ 0: params, 3: pool, 6: chunkGt, 7: chunkEq, 8: threshold, 9: carryIn, 10: carryOut, 11: carryValue }),
      workgroups: chunks,
    });
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
    const params = s.uniform([rows, cols, 0, 0, 0, k, targetNnz, 0]);
    const growPtr = s.output('grown per row', (rows + 1) * 4);
    s.dispatch({ pipeline: s.pipeline(programs.riglCountGrown), buffers: bindings({ 0: params, 9: grown, 12: growPtr }), workgroups: Math.ceil(k / THREADS) });
    encodeExclusiveScan(s, growPtr, rows + 1);
    s.dispatch({
      pipeline: s.pipeline(programs.riglRowPointers),
      buffers: bindings({ 0: params, 4: kept.rowPtr, 13: growPtr, 14: result.rowPtr }),
      workgroups: Math.ceil((rows + 1) / THREADS),
    });
    const source = s.output('merge sources', targetNnz * 4);
    s.dispatch({
      pipeline: s.pipeline(programs.riglMergeRows),
      buffers: bindings({ 0: params, 4: kept.rowPtr, 5: kept.colIdx, 9: grown, 13: growPtr, 14: result.rowPtr, 15: result.colIdx, 16: source }),
      workgroups: Math.ceil(rows / THREADS),
    });
    const gather = (state: GPUBuffer, nextState: GPUBuffer) =>
      s.dispatch({
        pipeline: s.pipeline(programs.riglGatherValues),
        buffers: bindings({ 0: params, 16: source, 17: kept.values, 18: state, 19: result.values, 20: nextState }),
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
export function uploadGradientOperands(owner: OperationScope, X: DenseMatrix, dY: DenseMatrix): GradientOperands {
  return { X: owner.upload('X', X.data), dY: owner.upload('dY', dY.data), batch: X.cols };
}

/** RigL growth of a host CSR on the GPU (uploads the kept layer and the batch, reads the result back). */
export async function growByGradientGpu(
  ctx: GpuContext,
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  X: DenseMatrix,
  dY: DenseMatrix,
  options: GrowByGradientOptions = {},
): Promise<{ W: CSRMatrix; state: Float32Array }> {
  checkGrow(kept, keptState, targetNnz);
  checkGradientOperands(X, dY, kept.rows, kept.cols);
  const blockBytes = checkBlockBytes('options.blockBytes', options?.blockBytes);
  const owner = new OperationScope(ctx);
  try {
    const csr = uploadCsr(owner, kept, keptState);
    const buffers = await growResident(ctx, owner, csr, kept.nnz, kept.rows, kept.cols, targetNnz, uploadGradientOperands(owner, X, dY), blockBytes);
    return await readCsr(ctx, buffers, kept.rows, kept.cols, targetNnz);
  } finally {
    owner.release();
  }
}

/**
 * One RigL topology update on the GPU, the twin of evolveRiglCpu: SET's
 * pruning (two counters and the kept count read back), then growth by
 * gradient magnitude (nothing read back); the evolved layer is read back once.
 */
export async function evolveRiglGpu(ctx: GpuContext, W: CSRMatrix, options: EvolveRiglOptions): Promise<EvolveRiglResult> {
  const { state, blockBytes, X, dY } = checkEvolveRigl(W, options);
  if (options.zeta === 0) return { W: W.withValues(Float32Array.from(W.values)), state: Float32Array.from(state), removed: 0 };
  const owner = new OperationScope(ctx);
  try {
    const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state), W.rows, W.nnz, options.zeta);
    const buffers = await growResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, uploadGradientOperands(owner, X, dY), blockBytes);
    return { ...(await readCsr(ctx, buffers, W.rows, W.cols, W.nnz)), removed: W.nnz - keptNnz };
  } finally {
    owner.release();
  }
}
