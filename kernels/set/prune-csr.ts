import type { BufferOwner, GpuContext, OperationScope } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { assertLength } from '../../src/formats/validate.js';
import { compactCsr, type PrunedCsr } from './compact-csr.js';
import { checkZeta, setKeepFlags, setKeepFlagsCpu, setRanks, setStats } from './prune.js';
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
 * Records SET pruning of a GPU-resident layer into `s`, reading nothing
 * back: statistics, their threshold ranks (setRanks, on the GPU), the two
 * selects, flags and compaction into `kept` (capacity ≥ nnz), whose
 * rowPtr[rows] is then the kept count. For nnz > 0 and ζ > 0 (otherwise
 * nothing is removed).
 */
export function recordPrune(s: OperationScope, csr: CsrBuffers, rows: number, nnz: number, zeta: number, kept: CsrBuffers): void {
  const stats = setStats.encode(s, csr.values, nnz);
  const flags = setKeepFlags.encode(s, csr.values, nnz, setRanks.encode(s, stats, nnz, zeta));
  compactCsr.encode(s, csr, rows, nnz, flags, kept);
}

/**
 * SET pruning of a GPU-resident layer: thresholds, flags and compaction run
 * on the GPU in one submission; the kept count is read back. The kept
 * layer's buffers belong to `owner`.
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
  const keptNnz = await ctx.run('SET prune', (s) => {
    recordPrune(s, csr, rows, nnz, zeta, kept);
    const count = s.output('kept count', 4);
    s.copy(kept.rowPtr, count, 4, 0, rows * 4);
    return { result: count, byteLength: 4, decode: (bytes) => new Uint32Array(bytes)[0]! };
  });
  return { kept, keptNnz };
}
