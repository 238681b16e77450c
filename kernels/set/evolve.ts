import { BufferOwner, type GpuContext } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { initLimit, type WeightInit } from '../../src/formats/init.js';
import { assertFinite, assertLength, assertSeed } from '../../src/formats/validate.js';
import { pruneCsrCpu, pruneResident } from './prune-csr.js';
import { checkZeta } from './prune.js';
import { checkRegrow, regrowCsrCpu } from './regrow.js';
import { regrowResident } from './regrow.js';
import { readCsr, uploadCsr } from './resident-csr.js';
import type { EvolveSetOptions, EvolveSetResult } from '../../src/options.js';

function prepare(W: CSRMatrix, options: EvolveSetOptions): { state: Float32Array; limit: number } {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  W.verifyStructure('W');
  assertFinite('W.values', W.values, (k) => `stored value ${k}`);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with zeta and seed');
  checkZeta(options.zeta);
  assertSeed('options.seed', options.seed);
  const state = options.state ?? new Float32Array(W.nnz);
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('options.state', 'must be a Float32Array');
  assertLength('options.state', state, W.nnz);
  return { state, limit: initLimit(options.init ?? 'he-uniform', W.cols, W.rows) };
}

/** One SET topology update on the CPU: prune by the reference rule, regrow at random. nnz is unchanged. */
export function evolveSetCpu(W: CSRMatrix, options: EvolveSetOptions): EvolveSetResult {
  const { state, limit } = prepare(W, options);
  const kept = pruneCsrCpu(W, state, options.zeta, options.second);
  const grown = regrowCsrCpu(kept.W, kept.state, W.nnz, options.seed, limit, kept.second);
  return { W: grown.W, state: grown.state, ...(grown.second ? { second: grown.second } : {}), removed: W.nnz - kept.W.nnz, rounds: grown.rounds };
}

/**
 * The same update on the GPU; for the same seed it returns the CPU's layer.
 * W is uploaded once and the evolved layer read back once; in between only
 * counters cross (stats, the kept count, one nnz per regrowth round).
 */
export async function evolveSetGpu(ctx: GpuContext, W: CSRMatrix, options: EvolveSetOptions): Promise<EvolveSetResult> {
  const { state, limit } = prepare(W, options);
  checkRegrow(W, W.nnz);
  const owner = new BufferOwner(ctx);
  try {
    const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state), W.rows, W.nnz, options.zeta);
    const { buffers, rounds } = await regrowResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, options.seed, limit);
    const evolved = await readCsr(ctx, buffers, W.rows, W.cols, W.nnz);
    return { ...evolved, removed: W.nnz - keptNnz, rounds };
  } finally {
    owner.release();
  }
}
