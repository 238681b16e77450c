import { BufferOwner, type GpuContext } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { assertLength } from '../../src/formats/validate.js';
import { compactCsr, type PrunedCsr } from './compact-csr.js';
import { checkZeta, setKeepFlags, setKeepFlagsCpu, setStats, setThresholdRanks } from './prune.js';
import { allocateCsr, type CsrBuffers } from './resident-csr.js';

export type { PrunedCsr };

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
  return compactCsr.cpu(W, state, setKeepFlagsCpu(W.values, zeta), second);
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
    result: setStats.encode(s, csr.values, nnz),
    byteLength: 12,
    decode: (bytes) => new Uint32Array(bytes),
  }));
  const ranks = setThresholdRanks(nnz, stats[1]!, nnz - stats[2]!, zeta);
  const keptNnz = await ctx.run('SET prune (compact)', (s) => {
    const flags = setKeepFlags.encode(s, csr.values, nnz, ranks);
    const positions = compactCsr.encode(s, csr, rows, nnz, flags, kept);
    const count = s.output('kept count', 4);
    s.copy(positions, count, 4, 0, nnz * 4);
    return { result: count, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
  });
  return { kept, keptNnz };
}
