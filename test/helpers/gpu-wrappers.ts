/**
 * Host-level GPU drivers for kernels that the library only runs on resident
 * buffers (layers' evolution): each uploads host operands, runs the same
 * resident entry points the layers use (pruneResident, regrowResident,
 * growResident, setStats.encode + setKeepFlags.encode) and reads the result
 * back, so that a test can compare the GPU with its CPU twin. They validate
 * like the CPU twins, so that bad input is refused the same way.
 */
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import type { DenseMatrix } from '../../src/formats/dense.js';
import { assertLength } from '../../src/formats/validate.js';
import { BufferOwner, type GpuContext } from '../../src/gpu/gpu-context.js';
import {
  checkBlockBytes,
  checkEvolveRigl,
  checkGradientOperands,
  checkGrow,
  growResident,
  uploadGradientOperands,
  type EvolveRiglOptions,
  type EvolveRiglResult,
  type GrowByGradientOptions,
} from '../../kernels/rigl.js';
import { checkZeta, setKeepFlags, setStats, setThresholdRanks } from '../../kernels/set/prune.js';
import { pruneResident, type PrunedCsr } from '../../kernels/set/prune-csr.js';
import { checkRegrow, regrowResident } from '../../kernels/set/regrow.js';
import { readCsr, uploadCsr } from '../../kernels/set/resident-csr.js';

/**
 * SET's survivors computed on the GPU: two dispatch groups with one read-back
 * of two counters between them (the ranks need them); the weights themselves
 * are never read back. Returns the same flags as setKeepFlagsCpu.
 */
export async function setKeepFlagsGpu(ctx: GpuContext, values: Float32Array, zeta: number): Promise<Uint32Array> {
  checkZeta(zeta);
  if (!(values instanceof Float32Array)) throw new InvalidArgumentError('values', 'must be a Float32Array');
  const n = values.length;
  if (zeta === 0) return new Uint32Array(n).fill(1); // as setKeepFlagsCpu: ζ = 0 removes nothing
  if (n === 0) return new Uint32Array(0);
  let valuesBuffer: GPUBuffer | undefined;
  const statsOp = await ctx.prepare('SET stats', (s) => {
    valuesBuffer = s.upload('values', values);
    const stats = setStats.encode(s, valuesBuffer, n);
    return { result: stats, byteLength: 12, decode: (bytes) => new Uint32Array(bytes) };
  });
  try {
    const stats = await statsOp.run();
    const ranks = setThresholdRanks(n, stats[1]!, n - stats[2]!, zeta);
    return await ctx.run('SET keep flags', (s) => {
      const flags = setKeepFlags.encode(s, valuesBuffer!, n, ranks);
      return { result: flags, byteLength: n * 4, decode: (bytes) => new Uint32Array(bytes) };
    });
  } finally {
    statsOp.dispose();
  }
}

/** SET pruning of a host CSR on the GPU (uploads W, reads the pruned layer back). */
export async function pruneCsrGpu(ctx: GpuContext, W: CSRMatrix, state: Float32Array, zeta: number): Promise<PrunedCsr> {
  // The checks of pruneCsrCpu.
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  W.verifyStructure('W');
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('state', 'must be a Float32Array');
  assertLength('state', state, W.nnz);
  checkZeta(zeta);
  const owner = new BufferOwner(ctx);
  try {
    const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state), W.rows, W.nnz, zeta);
    return await readCsr(ctx, kept, W.rows, W.cols, keptNnz);
  } finally {
    owner.release();
  }
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
  const owner = new BufferOwner(ctx);
  try {
    const { buffers, rounds } = await regrowResident(ctx, owner, uploadCsr(owner, kept, keptState), kept.nnz, kept.rows, kept.cols, targetNnz, seed, limit);
    return { ...(await readCsr(ctx, buffers, kept.rows, kept.cols, targetNnz)), rounds };
  } finally {
    owner.release();
  }
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
  const owner = new BufferOwner(ctx);
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
  const owner = new BufferOwner(ctx);
  try {
    const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state), W.rows, W.nnz, options.zeta);
    const buffers = await growResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, uploadGradientOperands(owner, X, dY), blockBytes);
    return { ...(await readCsr(ctx, buffers, W.rows, W.cols, W.nnz)), removed: W.nnz - keptNnz };
  } finally {
    owner.release();
  }
}
