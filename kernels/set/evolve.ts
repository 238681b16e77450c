import { BufferOwner, type GpuContext } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import type { DenseMatrix } from '../../src/formats/dense.js';
import { initLimit } from '../../src/formats/init.js';
import { NMMatrix } from '../../src/formats/nm.js';
import { assertFinite, assertLength, assertSeed } from '../../src/formats/validate.js';
import type { EvolveSetOptions, EvolveSetResult } from '../../src/options.js';
import { ResidentCsr, type PendingGeneration } from '../resident/csr.js';
import { ResidentNM } from '../resident/nm.js';
import { checkBlockBytes, checkGradientOperands, gradientGrowthCpu, growResident, mergeGrownCpu, uploadGradientOperands, type GradientOperands } from '../rigl.js';
import { allocateCsr, type CsrBuffers } from './resident-csr.js';
import { nmEvolve } from './nm-evolve.js';
import { pruneCsrCpu, pruneResident, recordPrune } from './prune-csr.js';
import { checkZeta } from './prune.js';
import { candidatesForRound, checkRegrow, recordRegrowRounds, regrowCsrCpu, regrowResident, regrowScratch, ROUNDS_AHEAD } from './regrow.js';

/*
 * The one topology update of the library, for every caller (SparseLinear and
 * NMLinear's evolve, a model's RigL step, Engine.evolveSet): prune → grow →
 * install, written once for GPU-resident operands (evolveResident) and once
 * over host arrays (evolveCpu), with the same result for the same input.
 */

/** SET's growth: the removed count comes back at uniformly random absent positions, new weights uniform(±limit). */
export interface RandomGrowth {
  kind: 'random';
  seed: number;
  limit: number;
}

/** RigL's growth on a host batch: at the absent positions of largest |dY·Xᵀ|, new weights 0. */
export interface GradientGrowth {
  kind: 'gradient';
  X: DenseMatrix;
  dY: DenseMatrix;
  /** Bytes of one block of the dense gradient, which is never whole. */
  blockBytes: number;
}

/** RigL's growth on a batch already in GPU buffers (a model's activations and output gradients). */
export interface ResidentGradientGrowth {
  kind: 'gradient';
  resident: GradientOperands;
  blockBytes: number;
}

export type HostGrowth = RandomGrowth | GradientGrowth;
export type ResidentGrowth = HostGrowth | ResidentGradientGrowth;

/** What a layer's evolve is asked for (SparseLinear.evolve's options; NMLinear.evolve's are zeta and seed). */
export interface EvolveRequest {
  zeta: number;
  seed: number;
  growth?: 'random' | 'gradient';
  X?: DenseMatrix;
  dY?: DenseMatrix;
  blockBytes?: number;
}

/**
 * Checks a rows × cols layer's evolve request on both backends alike and
 * says how it grows; `limit` is the layer's initialisation limit (new
 * weights of random growth).
 */
export function checkEvolve(options: EvolveRequest, rows: number, cols: number, limit: number): { zeta: number; growth: HostGrowth } {
  checkZeta(options.zeta);
  const growth = options.growth ?? 'random';
  if (growth === 'gradient') {
    // Gradient growth draws nothing: its seed is not checked.
    const { X, dY } = checkGradientOperands(options.X, options.dY, rows, cols, 'options.');
    return { zeta: options.zeta, growth: { kind: 'gradient', X, dY, blockBytes: checkBlockBytes('options.blockBytes', options.blockBytes) } };
  }
  assertSeed('options.seed', options.seed);
  if (growth !== 'random') throw new InvalidArgumentError('options.growth', `must be 'random' or 'gradient', got ${String(growth)}`);
  return { zeta: options.zeta, growth: { kind: 'random', seed: options.seed, limit } };
}

/** Checks a model's RigL request for a batch already on the GPU and says how it grows. */
export function checkResidentEvolve(zeta: number, batch: GradientOperands, blockBytes: number | undefined): { zeta: number; growth: ResidentGradientGrowth } {
  checkZeta(zeta);
  return { zeta, growth: { kind: 'gradient', resident: batch, blockBytes: checkBlockBytes('blockBytes', blockBytes) } };
}

/** An evolved CSR on the host: nnz unchanged, state (and the second state) moved with its weights. */
export interface CsrEvolved {
  W: CSRMatrix;
  state: Float32Array;
  second?: Float32Array;
  /** Connections removed (and grown). */
  removed: number;
  /** Regrowth rounds (random growth; 0 for gradient growth). */
  rounds: number;
}

/** An evolved N:M matrix on the host; `removed` counts the groups whose weakest weight moved. */
export interface NMEvolved {
  W: NMMatrix;
  state: Float32Array;
  second: Float32Array;
  removed: number;
}

/**
 * The CPU twin of evolveResident over host arrays. CSR: SET's pruning, then
 * random or gradient growth (gradient growth with ζ = 0 changes nothing; random
 * growth refuses non-finite weights, as Engine.evolveSet always has). N:M: the
 * in-group evolution (random growth only).
 */
export function evolveCpu(W: CSRMatrix, state: Float32Array, second: Float32Array | undefined, zeta: number, growth: HostGrowth): CsrEvolved;
export function evolveCpu(W: NMMatrix, state: Float32Array, second: Float32Array, zeta: number, growth: HostGrowth): NMEvolved;
export function evolveCpu(W: CSRMatrix | NMMatrix, state: Float32Array, second: Float32Array | undefined, zeta: number, growth: HostGrowth): CsrEvolved | NMEvolved {
  if (W instanceof NMMatrix) {
    if (growth.kind !== 'random') throw new InvalidArgumentError('growth', 'an N:M matrix evolves inside its groups at random only');
    const r = nmEvolve.cpu(W, state, zeta, growth.seed, growth.limit, second);
    return { W: r.W, state: r.velocity, second: r.second, removed: r.groups };
  }
  if (growth.kind === 'random') {
    assertFinite('W.values', W.values, (k) => `stored value ${k}`);
    const kept = pruneCsrCpu(W, state, zeta, second);
    const grown = regrowCsrCpu(kept.W, kept.state, W.nnz, growth.seed, growth.limit, kept.second);
    return { W: grown.W, state: grown.state, ...(grown.second ? { second: grown.second } : {}), removed: W.nnz - kept.W.nnz, rounds: grown.rounds };
  }
  if (zeta === 0) return { W, state, ...(second ? { second } : {}), removed: 0, rounds: 0 };
  const kept = pruneCsrCpu(W, state, zeta, second);
  const grown = gradientGrowthCpu(kept.W, growth.X, growth.dY, W.nnz - kept.W.nnz, growth.blockBytes);
  const merged = mergeGrownCpu(kept.W, kept.state, grown);
  return {
    W: merged.W,
    state: merged.state,
    ...(kept.second ? { second: mergeGrownCpu(kept.W, kept.second, grown).state } : {}),
    removed: W.nnz - kept.W.nnz,
    rounds: 0,
  };
}

/**
 * One topology update of a GPU-resident operand; nothing of the weights,
 * indices or gradients is read back, only counters: on the 'gpu' kernel
 * profile with random growth the final ones, once (evolveRecorded); else
 * the kept count and one nnz per regrowth round. CSR: SET's pruning, growth at
 * random or by gradient (a host batch is uploaded; a resident one is used as
 * it is), then the evolved layer is installed as the operand's new
 * generation (gradient growth with ζ = 0 changes nothing). N:M: the in-group
 * evolution in place, and the transpose index rebuilt.
 */
export function evolveResident(operand: ResidentCsr, zeta: number, growth: ResidentGrowth): Promise<{ removed: number; rounds: number }>;
export function evolveResident(operand: ResidentNM, zeta: number, growth: HostGrowth): Promise<void>;
export async function evolveResident(operand: ResidentCsr | ResidentNM, zeta: number, growth: ResidentGrowth): Promise<{ removed: number; rounds: number } | void> {
  if (operand instanceof ResidentNM) {
    if (growth.kind !== 'random') throw new InvalidArgumentError('growth', 'an N:M matrix evolves inside its groups at random only');
    await operand.replaceMask('NMLinear.evolve', (s, weights) => nmEvolve.encode(s, operand.shape, weights, zeta, growth.seed, growth.limit));
    return;
  }
  if (growth.kind === 'gradient' && zeta === 0) return { removed: 0, rounds: 0 };
  const { ctx, rows, cols, nnz } = operand;
  if (growth.kind === 'random' && ctx.kernelProfile === 'gpu') return evolveRecorded(operand, zeta, growth);
  const scratch = new BufferOwner(ctx);
  try {
    const { kept, keptNnz } = await pruneResident(ctx, scratch, operand.buffers, rows, nnz, zeta);
    let evolved: CsrBuffers;
    let rounds = 0;
    if (growth.kind === 'random') {
      ({ buffers: evolved, rounds } = await regrowResident(ctx, scratch, kept, keptNnz, rows, cols, nnz, growth.seed, growth.limit));
    } else {
      const batch = 'resident' in growth ? growth.resident : uploadGradientOperands(scratch, growth.X, growth.dY);
      evolved = await growResident(ctx, scratch, kept, keptNnz, rows, cols, nnz, batch, growth.blockBytes);
    }
    await operand.install(evolved);
    return { removed: nnz - keptNnz, rounds };
  } finally {
    scratch.release();
  }
}

/**
 * SET's update of a resident CSR on the 'gpu' kernel profile: pruning,
 * ROUNDS_AHEAD regrowth rounds and the install (copies and transpose index)
 * recorded in one submission, sized on the GPU (threshold ranks by
 * setRanks, each round's candidates by sizeRound, indirect dispatches), so
 * the only read-back is the final counters [kept nnz, rounds, final nnz].
 * Should nnz still be short after those rounds (not at densities up to 95 %
 * with ζ = 0.3), the recorded install is dropped and more rounds are
 * submitted, each batch with its install and counters. The scratch is sized
 * for the largest possible first round (nothing kept).
 */
async function evolveRecorded(operand: ResidentCsr, zeta: number, growth: RandomGrowth): Promise<{ removed: number; rounds: number }> {
  const { ctx, rows, cols, nnz } = operand;
  const source = operand.buffers;
  // ζ = 0 or no weights: nothing is removed, so nothing grows (see pruneResident).
  const removes = nnz > 0 && zeta > 0;
  const scratch = new BufferOwner(ctx);
  try {
    const withSecond = source.second !== undefined;
    const kept = removes ? allocateCsr(scratch, 'kept', rows, nnz, withSecond) : source;
    const counters = scratch.output('evolution counters', 16);
    const regrow = removes ? regrowScratch(scratch, rows, cols, nnz, candidatesForRound(nnz, rows, cols, 0), counters) : undefined;
    const layer = (name: string) => allocateCsr(scratch, name, rows, nnz, withSecond);
    const pingPong = removes ? ([layer('regrown A'), layer('regrown B')] as const) : ([source, source] as const);
    let from = kept;
    let round = 0;
    for (;;) {
      let pending: PendingGeneration | undefined;
      let last = from;
      const first = round;
      let result: readonly [number, number, number];
      try {
        result = await ctx.run('SET evolve', (s) => {
          if (first === 0 && removes) {
            recordPrune(s, source, rows, nnz, zeta, kept);
            s.copy(kept.rowPtr, counters, 4, 0, rows * 4);
          }
          if (regrow) last = recordRegrowRounds(s, regrow, pingPong, from, first, ROUNDS_AHEAD, growth.seed, growth.limit);
          s.copy(last.rowPtr, counters, 4, 8, rows * 4);
          pending = operand.recordInstall(s, last);
          const read = (bytes: ArrayBuffer) => {
            const words = new Uint32Array(bytes);
            return [words[0]!, words[1]!, words[2]!] as const;
          };
          // With nothing removed the host knows the counters: nothing to read back.
          return removes ? { result: counters, byteLength: 12, decode: read } : { result: counters, byteLength: 0, decode: () => [nnz, 0, nnz] as const };
        });
      } catch (e) {
        pending?.discard();
        throw e;
      }
      const [keptNnz, rounds, finalNnz] = result;
      if (finalNnz === nnz) {
        pending!.commit();
        return { removed: nnz - keptNnz, rounds };
      }
      pending!.discard();
      from = last;
      round += ROUNDS_AHEAD;
    }
  } finally {
    scratch.release();
  }
}

function prepare(W: CSRMatrix, options: EvolveSetOptions): { state: Float32Array; growth: RandomGrowth } {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  W.verifyStructure('W');
  assertFinite('W.values', W.values, (k) => `stored value ${k}`);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with zeta and seed');
  checkZeta(options.zeta);
  assertSeed('options.seed', options.seed);
  const state = options.state ?? new Float32Array(W.nnz);
  if (!(state instanceof Float32Array)) throw new InvalidArgumentError('options.state', 'must be a Float32Array');
  assertLength('options.state', state, W.nnz);
  if (options.second !== undefined) {
    if (!(options.second instanceof Float32Array)) throw new InvalidArgumentError('options.second', 'must be a Float32Array');
    assertLength('options.second', options.second, W.nnz);
  }
  return { state, growth: { kind: 'random', seed: options.seed, limit: initLimit(options.init ?? 'he-uniform', W.cols, W.rows) } };
}

/** Engine.evolveSet on the CPU: one SET update of a host CSR. nnz is unchanged. */
export function evolveSetCpu(W: CSRMatrix, options: EvolveSetOptions): EvolveSetResult {
  const { state, growth } = prepare(W, options);
  const { removed, rounds, ...evolved } = evolveCpu(W, state, options.second, options.zeta, growth);
  return { ...evolved, removed, rounds };
}

/**
 * Engine.evolveSet on the GPU: W is uploaded once, evolveResident runs, and
 * the evolved layer is read back once; in between only counters cross. For
 * the same seed it returns the CPU's layer.
 */
export async function evolveSetGpu(ctx: GpuContext, W: CSRMatrix, options: EvolveSetOptions): Promise<EvolveSetResult> {
  const { state, growth } = prepare(W, options);
  checkRegrow(W, W.nnz);
  const operand = ResidentCsr.upload(ctx, W, state, options.second, { training: false });
  try {
    const { removed, rounds } = await evolveResident(operand, options.zeta, growth);
    return { ...(await operand.read(options.second !== undefined)), removed, rounds };
  } finally {
    operand.release();
  }
}
