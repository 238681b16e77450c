import type { GpuContext } from '../../src/engine/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { assertLength } from '../../src/formats/validate.js';
import { encodeCompactCsr } from './compact-csr.js';
import { checkZeta, encodeSetKeepFlags, encodeSetStats, setKeepFlagsCpu, setThresholdRanks } from './prune.js';

/** A pruned layer: the surviving weights and their optimizer state, moved together. */
export interface PrunedCsr {
  W: CSRMatrix;
  state: Float32Array;
}

function check(W: CSRMatrix, state: Float32Array, zeta: number): void {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('state', 'must be a Float32Array');
  assertLength('state', state, W.nnz);
  checkZeta(zeta);
}

/** SET pruning of a CSR on the CPU (the reference rule), state following its weight. */
export function pruneCsrCpu(W: CSRMatrix, state: Float32Array, zeta: number): PrunedCsr {
  check(W, state, zeta);
  const flags = setKeepFlagsCpu(W.values, zeta);
  const rowPtr = new Uint32Array(W.rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  const kept: number[] = [];
  for (let r = 0; r < W.rows; r++) {
    for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) {
      if (!flags[k]) continue;
      colIdx.push(W.colIdx[k]!);
      values.push(W.values[k]!);
      kept.push(state[k]!);
    }
    rowPtr[r + 1] = colIdx.length;
  }
  return {
    W: new CSRMatrix({ rows: W.rows, cols: W.cols, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) }),
    state: Float32Array.from(kept),
  };
}

/**
 * SET pruning of a CSR on the GPU: thresholds, flags and the compaction all
 * run there, with two counters read back in between. This host-facing form
 * uploads W and reads the result back (for tests and one-off use); a layer
 * keeps the buffers resident and skips both transfers.
 */
export async function pruneCsrGpu(ctx: GpuContext, W: CSRMatrix, state: Float32Array, zeta: number): Promise<PrunedCsr> {
  check(W, state, zeta);
  const { rows, cols, nnz } = W;
  if (nnz === 0) return { W, state: new Float32Array(0) };
  let csr: Parameters<typeof encodeCompactCsr>[1] | undefined;
  const statsOp = await ctx.prepare('SET prune (stats)', (s) => {
    csr = {
      rows,
      cols,
      nnz,
      rowPtr: s.upload('W.rowPtr', W.rowPtr),
      colIdx: s.upload('W.colIdx', W.colIdx),
      values: s.upload('W.values', W.values),
      state: s.upload('state', state),
    };
    return { result: encodeSetStats(s, csr.values, nnz), byteLength: 12, decode: (bytes) => new Uint32Array(bytes) };
  });
  try {
    const stats = await statsOp.run();
    const ranks = setThresholdRanks(nnz, stats[1]!, nnz - stats[2]!, zeta);
    // One result buffer: rowPtr (rows + 1) | kept count (1) | colIdx | values | state (nnz each).
    const words = rows + 2 + 3 * nnz;
    return await ctx.run('SET prune (compact)', (s) => {
      const flags = encodeSetKeepFlags(s, csr!.values, nnz, ranks);
      const { kept, positions } = encodeCompactCsr(s, csr!, flags);
      const out = s.output('pruned CSR', words * 4);
      let at = 0;
      s.copy(kept.rowPtr, out, (rows + 1) * 4, at);
      s.copy(positions, out, 4, (at += (rows + 1) * 4), nnz * 4);
      s.copy(kept.colIdx, out, nnz * 4, (at += 4));
      s.copy(kept.values, out, nnz * 4, (at += nnz * 4));
      s.copy(kept.state, out, nnz * 4, (at += nnz * 4));
      return {
        result: out,
        byteLength: words * 4,
        decode: (bytes) => {
          const u32 = new Uint32Array(bytes);
          const f32 = new Float32Array(bytes);
          const count = u32[rows + 1]!;
          const base = rows + 2;
          return {
            W: new CSRMatrix({
              rows,
              cols,
              rowPtr: u32.slice(0, rows + 1),
              colIdx: u32.slice(base, base + count),
              values: f32.slice(base + nnz, base + nnz + count),
            }),
            state: f32.slice(base + 2 * nnz, base + 2 * nnz + count),
          };
        },
      };
    });
  } finally {
    statsOp.dispose();
  }
}
