import { BufferOwner, type GpuContext } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { assertLength } from '../../src/formats/validate.js';
import { encodeCompactCsr } from './compact-csr.js';
import { checkZeta, encodeSetKeepFlags, encodeSetStats, setKeepFlagsCpu, setThresholdRanks } from './prune.js';
import { allocateCsr, type CsrBuffers } from './resident-csr.js';

/** A pruned layer: the surviving weights and their optimizer state, moved together. */
export interface PrunedCsr {
  W: CSRMatrix;
  state: Float32Array;
  second?: Float32Array;
}

function check(W: CSRMatrix, state: Float32Array, zeta: number): void {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  W.verifyStructure('W');
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('state', 'must be a Float32Array');
  assertLength('state', state, W.nnz);
  checkZeta(zeta);
}

/**
 * SET pruning of a CSR on the CPU (the reference rule), state (and the
 * optional second state, e.g. Adam's second moment) following its weight.
 */
export function pruneCsrCpu(W: CSRMatrix, state: Float32Array, zeta: number, second?: Float32Array): PrunedCsr {
  check(W, state, zeta);
  if (second !== undefined) {
    if (!(second instanceof Float32Array)) throw new InvalidArgumentError('second', 'must be a Float32Array');
    assertLength('second', second, W.nnz);
  }
  const flags = setKeepFlagsCpu(W.values, zeta);
  let keptNnz = 0;
  for (let k = 0; k < flags.length; k++) keptNnz += flags[k]!;
  const rowPtr = new Uint32Array(W.rows + 1);
  const colIdx = new Uint32Array(keptNnz);
  const values = new Float32Array(keptNnz);
  const kept = new Float32Array(keptNnz);
  const keptSecond = second ? new Float32Array(keptNnz) : undefined;
  let out = 0;
  for (let r = 0; r < W.rows; r++) {
    for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) {
      if (!flags[k]) continue;
      colIdx[out] = W.colIdx[k]!;
      values[out] = W.values[k]!;
      kept[out] = state[k]!;
      if (keptSecond) keptSecond[out] = second![k]!;
      out++;
    }
    rowPtr[r + 1] = out;
  }
  return {
    W: new CSRMatrix({ rows: W.rows, cols: W.cols, rowPtr, colIdx, values }),
    state: kept,
    ...(keptSecond ? { second: keptSecond } : {}),
  };
}

/**
 * SET pruning of a GPU-resident layer: thresholds, flags and compaction run
 * on the GPU; two counters are read back before the selects (their ranks
 * need them) and one after (the kept count). The kept layer's buffers belong
 * to `owner`.
 */
export async function pruneResident(
  ctx: GpuContext,
  owner: BufferOwner,
  csr: CsrBuffers,
  rows: number,
  nnz: number,
  zeta: number,
): Promise<{ kept: CsrBuffers; keptNnz: number }> {
  // ζ = 0 removes nothing (see setKeepFlagsCpu): the layer is its own survivor set.
  if (nnz === 0 || zeta === 0) return { kept: csr, keptNnz: nnz };
  const kept = allocateCsr(owner, 'kept', rows, nnz, csr.second !== undefined);
  const stats = await ctx.run('SET prune (stats)', (s) => ({
    result: encodeSetStats(s, csr.values, nnz),
    byteLength: 12,
    decode: (bytes) => new Uint32Array(bytes),
  }));
  const ranks = setThresholdRanks(nnz, stats[1]!, nnz - stats[2]!, zeta);
  const keptNnz = await ctx.run('SET prune (compact)', (s) => {
    const flags = encodeSetKeepFlags(s, csr.values, nnz, ranks);
    const positions = encodeCompactCsr(s, csr, rows, nnz, flags, kept);
    const count = s.output('kept count', 4);
    s.copy(positions, count, 4, 0, nnz * 4);
    return { result: count, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
  });
  return { kept, keptNnz };
}
