import { OperationScope, type GpuContext, bindings } from '../../src/gpu/gpu-context.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { encodeExclusiveScan } from '../primitives/scan.js';
import { programs } from '../programs.js';
import { candidatesForRound, checkRegrow, REGROW_STREAM } from './regrow.js';
import { allocateCsr, readCsr, uploadCsr, type CsrBuffers } from './resident-csr.js';

const THREADS = 256;

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
 * SET regrowth of a GPU-resident layer, the twin of regrowCsrCpu: each round
 * draws, buckets, validates and merges candidates entirely on the GPU; the
 * only value read back per round is the new nnz (one counter), which decides
 * whether another round is needed. New buffers belong to `owner`.
 */
export async function regrowResident(
  ctx: GpuContext,
  owner: OperationScope,
  start: CsrBuffers,
  startNnz: number,
  rows: number,
  cols: number,
  targetNnz: number,
  seed: number,
  limit: number,
): Promise<{ buffers: CsrBuffers; rounds: number }> {
  let current = start;
  const layout = (name: string) => allocateCsr(owner, name, rows, targetNnz, start.second !== undefined);
  const pingPong = [layout('regrown A'), layout('regrown B')];
  let nnz = startNnz;
  let round = 0;
  while (nnz < targetNnz) {
    const next = pingPong[round % 2]!;
    const from = current;
    const remaining = targetNnz - nnz;
    const candidates = candidatesForRound(remaining, rows, cols, nnz);
    nnz = await ctx.run('SET regrow round', (s) => {
      const stream = REGROW_STREAM + 3 * round;
      const { bands, colsPerBand } = regrowBands(rows, cols, candidates);
      const cells = rows * bands;
      const params = s.uniform([candidates, rows, cols, seed, round, remaining, limit, stream, colsPerBand, bands, 0, 0], [6]);
      const perRow = Math.ceil(rows / THREADS);
      const perCandidate = Math.ceil(candidates / THREADS);
      const candRow = s.output('candidate rows', candidates * 4);
      const candCol = s.output('candidate columns', candidates * 4);
      const bucketCount = s.output('cell counts', (cells + 1) * 4);
      s.dispatch({ pipeline: s.pipeline(programs.regrowGenerate), buffers: bindings({ 0: params, 1: candRow, 2: candCol, 3: bucketCount }), workgroups: perCandidate });
      const cellPtr = s.output('cell pointers', (cells + 1) * 4);
      s.copy(bucketCount, cellPtr, cells * 4);
      encodeExclusiveScan(s, cellPtr, cells + 1);
      const bucketPtr = s.output('bucket pointers', (rows + 1) * 4);
      s.dispatch({ pipeline: s.pipeline(programs.regrowRowBuckets), buffers: bindings({ 0: params, 18: cellPtr, 19: bucketPtr }), workgroups: Math.ceil((rows + 1) / THREADS) });
      s.copy(s.output('zeros', (cells + 1) * 4), bucketCount, (cells + 1) * 4);
      const bucket = s.output('buckets', candidates * 8);
      s.dispatch({
        pipeline: s.pipeline(programs.regrowScatterBuckets),
        buffers: bindings({ 0: params, 1: candRow, 2: candCol, 3: bucketCount, 5: bucket, 18: cellPtr }),
        workgroups: perCandidate,
      });
      const valid = s.output('valid candidates', (candidates + 1) * 4);
      s.dispatch({
        pipeline: s.pipeline(programs.regrowValidate),
        buffers: bindings({ 0: params, 4: bucketPtr, 5: bucket, 6: valid, 8: from.rowPtr, 9: from.colIdx }),
        workgroups: perRow,
      });
      const rank = s.output('candidate ranks', (candidates + 1) * 4);
      s.copy(valid, rank, candidates * 4);
      encodeExclusiveScan(s, rank, candidates + 1);
      const newCount = s.output('new row lengths', (rows + 1) * 4);
      s.dispatch({
        pipeline: s.pipeline(programs.regrowCountAccepted),
        buffers: bindings({ 0: params, 4: bucketPtr, 5: bucket, 6: valid, 7: rank, 8: from.rowPtr, 10: newCount }),
        workgroups: perRow,
      });
      s.copy(newCount, next.rowPtr, (rows + 1) * 4);
      encodeExclusiveScan(s, next.rowPtr, rows + 1);
      const source = s.output('merge sources', targetNnz * 4);
      s.dispatch({
        pipeline: s.pipeline(programs.regrowMergeRows),
        buffers: bindings({ 0: params, 4: bucketPtr, 5: bucket, 8: from.rowPtr, 9: from.colIdx, 11: next.rowPtr, 12: next.colIdx, 13: source }),
        workgroups: perRow,
      });
      const gatherParams = s.uniform([targetNnz, rows, cols, seed, round, remaining, limit, stream, colsPerBand, bands, 0, 0], [6]);
      const gather = (state: GPUBuffer, nextState: GPUBuffer) =>
        s.dispatch({
          pipeline: s.pipeline(programs.regrowGatherValues),
          buffers: bindings({ 0: gatherParams, 11: next.rowPtr, 13: source, 14: from.values, 15: state, 16: next.values, 17: nextState }),
          workgroups: Math.ceil(targetNnz / THREADS),
        });
      gather(from.state, next.state);
      // A second state moves by the same gather again (the values it rewrites come out identical: counter-based draws).
      if (from.second && next.second) gather(from.second, next.second);
      const total = s.output('new nnz', 4);
      s.copy(next.rowPtr, total, 4, 0, rows * 4);
      return { result: total, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
    });
    current = next;
    round++;
  }
  return { buffers: current, rounds: round };
}

/** SET regrowth of a host CSR on the GPU (uploads the kept layer, reads the result back). */
export async function regrowCsrGpu(
  ctx: GpuContext,
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  seed: number,
  limit: number,
): Promise<{ W: CSRMatrix; state: Float32Array; rounds: number }> {
  checkRegrow(kept, targetNnz);
  const owner = new OperationScope(ctx);
  try {
    const { buffers, rounds } = await regrowResident(ctx, owner, uploadCsr(owner, kept, keptState), kept.nnz, kept.rows, kept.cols, targetNnz, seed, limit);
    return { ...(await readCsr(ctx, buffers, kept.rows, kept.cols, targetNnz)), rounds };
  } finally {
    owner.release();
  }
}
