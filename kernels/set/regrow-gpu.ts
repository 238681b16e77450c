import { OperationScope, type GpuContext } from '../../src/engine/gpu-context.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { encodeExclusiveScan } from '../primitives/scan.js';
import { programs } from '../programs.js';
import { candidatesForRound, checkRegrow, REGROW_STREAM } from './regrow.js';

const THREADS = 256;

/** Binding list from a sparse map (binding number → buffer). */
function bind(map: Record<number, GPUBuffer>): Array<GPUBuffer | undefined> {
  const out: Array<GPUBuffer | undefined> = [];
  for (const [binding, buffer] of Object.entries(map)) out[Number(binding)] = buffer;
  return out;
}

interface CsrBuffers {
  rowPtr: GPUBuffer;
  colIdx: GPUBuffer;
  values: GPUBuffer;
  state: GPUBuffer;
}

/**
 * SET regrowth on the GPU, the twin of regrowCsrCpu: each round draws,
 * buckets, validates and merges candidates entirely on the GPU; the only
 * value read back per round is the new nnz (one counter), which decides
 * whether another round is needed. This host-facing form uploads the kept
 * layer and reads the result back; a layer keeps the buffers resident.
 */
export async function regrowCsrGpu(
  ctx: GpuContext,
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  seed: number,
  limit: number,
): Promise<{ W: CSRMatrix; state: Float32Array; rounds: number }> {
  checkRegrow(kept, targetNnz);
  const { rows, cols } = kept;
  const persistent = new OperationScope(ctx);
  try {
    let current: CsrBuffers = {
      rowPtr: persistent.upload('W.rowPtr', kept.rowPtr),
      colIdx: persistent.upload('W.colIdx', kept.colIdx),
      values: persistent.upload('W.values', kept.values),
      state: persistent.upload('state', keptState),
    };
    const layout = (name: string): CsrBuffers => ({
      rowPtr: persistent.output(`${name} rowPtr`, (rows + 1) * 4),
      colIdx: persistent.output(`${name} colIdx`, targetNnz * 4),
      values: persistent.output(`${name} values`, targetNnz * 4),
      state: persistent.output(`${name} state`, targetNnz * 4),
    });
    const pingPong = [layout('regrown A'), layout('regrown B')];
    let nnz = kept.nnz;
    let round = 0;
    while (nnz < targetNnz) {
      const next = pingPong[round % 2]!;
      const from = current;
      const remaining = targetNnz - nnz;
      const candidates = candidatesForRound(remaining, rows, cols, nnz);
      nnz = await ctx.run('SET regrow round', (s) => {
        const stream = REGROW_STREAM + 3 * round;
        const params = s.uniform([candidates, rows, cols, seed, round, remaining, limit, stream], [6]);
        const perRow = Math.ceil(rows / THREADS);
        const perCandidate = Math.ceil(candidates / THREADS);
        const candRow = s.output('candidate rows', candidates * 4);
        const candCol = s.output('candidate columns', candidates * 4);
        const bucketCount = s.output('bucket counts', (rows + 1) * 4);
        s.dispatch({ pipeline: s.pipeline(programs.regrowGenerate), buffers: bind({ 0: params, 1: candRow, 2: candCol, 3: bucketCount }), workgroups: perCandidate });
        const bucketPtr = s.output('bucket pointers', (rows + 1) * 4);
        s.copy(bucketCount, bucketPtr, rows * 4);
        encodeExclusiveScan(s, bucketPtr, rows + 1);
        s.copy(s.output('zeros', (rows + 1) * 4), bucketCount, (rows + 1) * 4);
        const bucket = s.output('buckets', candidates * 8);
        s.dispatch({
          pipeline: s.pipeline(programs.regrowScatterBuckets),
          buffers: bind({ 0: params, 1: candRow, 2: candCol, 3: bucketCount, 4: bucketPtr, 5: bucket }),
          workgroups: perCandidate,
        });
        const valid = s.output('valid candidates', (candidates + 1) * 4);
        s.dispatch({
          pipeline: s.pipeline(programs.regrowValidate),
          buffers: bind({ 0: params, 4: bucketPtr, 5: bucket, 6: valid, 8: from.rowPtr, 9: from.colIdx }),
          workgroups: perRow,
        });
        const rank = s.output('candidate ranks', (candidates + 1) * 4);
        s.copy(valid, rank, candidates * 4);
        encodeExclusiveScan(s, rank, candidates + 1);
        const newCount = s.output('new row lengths', (rows + 1) * 4);
        s.dispatch({
          pipeline: s.pipeline(programs.regrowCountAccepted),
          buffers: bind({ 0: params, 4: bucketPtr, 5: bucket, 6: valid, 7: rank, 8: from.rowPtr, 10: newCount }),
          workgroups: perRow,
        });
        s.copy(newCount, next.rowPtr, (rows + 1) * 4);
        encodeExclusiveScan(s, next.rowPtr, rows + 1);
        const source = s.output('merge sources', targetNnz * 4);
        s.dispatch({
          pipeline: s.pipeline(programs.regrowMergeRows),
          buffers: bind({ 0: params, 4: bucketPtr, 5: bucket, 8: from.rowPtr, 9: from.colIdx, 11: next.rowPtr, 12: next.colIdx, 13: source }),
          workgroups: perRow,
        });
        const gatherParams = s.uniform([targetNnz, rows, cols, seed, round, remaining, limit, stream], [6]);
        s.dispatch({
          pipeline: s.pipeline(programs.regrowGatherValues),
          buffers: bind({ 0: gatherParams, 11: next.rowPtr, 13: source, 14: from.values, 15: from.state, 16: next.values, 17: next.state }),
          workgroups: Math.ceil(targetNnz / THREADS),
        });
        const total = s.output('new nnz', 4);
        s.copy(next.rowPtr, total, 4, 0, rows * 4);
        return { result: total, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
      });
      current = next;
      round++;
    }
    const result = current;
    const finalNnz = nnz;
    const words = rows + 1 + 3 * finalNnz;
    return await ctx.run('SET regrow (read)', (s) => {
      const out = s.output('regrown CSR', words * 4);
      s.copy(result.rowPtr, out, (rows + 1) * 4);
      s.copy(result.colIdx, out, finalNnz * 4, (rows + 1) * 4);
      s.copy(result.values, out, finalNnz * 4, (rows + 1 + finalNnz) * 4);
      s.copy(result.state, out, finalNnz * 4, (rows + 1 + 2 * finalNnz) * 4);
      return {
        result: out,
        byteLength: words * 4,
        decode: (bytes) => {
          const u32 = new Uint32Array(bytes);
          const f32 = new Float32Array(bytes);
          const base = rows + 1;
          return {
            W: new CSRMatrix({
              rows,
              cols,
              rowPtr: u32.slice(0, base),
              colIdx: u32.slice(base, base + finalNnz),
              values: f32.slice(base + finalNnz, base + 2 * finalNnz),
            }),
            state: f32.slice(base + 2 * finalNnz, base + 3 * finalNnz),
            rounds: round,
          };
        },
      };
    });
  } finally {
    persistent.release();
  }
}
