import { encodeCsrDerived, type TransposeBuffers } from '../../kernels/csr-transpose.js';
import { CSR_PATTERN_WORDS, encodeSddmm, sddmmCsr } from '../../kernels/sddmm.js';
import { evolveSetCpu } from '../../kernels/set/evolve.js';
import { pruneCsrCpu, pruneResident } from '../../kernels/set/prune-csr.js';
import { checkZeta } from '../../kernels/set/prune.js';
import { regrowResident } from '../../kernels/set/regrow.js';
import { checkBlockBytes, checkGradientOperands, gradientGrowthCpu, mergeGrownCpu } from '../../kernels/rigl.js';
import { growResident, uploadGradientOperands, type GradientOperands } from '../../kernels/rigl.js';
import { readCsr, uploadCsr, type CsrBuffers } from '../../kernels/set/resident-csr.js';
import { encodeGatherCsr, spmmCsr, spmmCsrT } from '../../kernels/spmm.js';
import { BufferOwner, OperationScope } from '../gpu/gpu-context.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { CSRMatrix, erdosRenyiDensity, identityOrder } from '../formats/csr.js';
import type { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { assertSeed } from '../formats/validate.js';
import { LinearLayer, type LayerGpu, type StateArrays, type StatePart } from './linear-layer.js';

export interface SparseLinearOptions {
  /** Inputs (features in). */
  in: number;
  /** Outputs (features out). */
  out: number;
  /** SET's Erdős–Rényi parameter: density ε(in + out)/(in·out), capped at 1. Give this or density. */
  epsilon?: number;
  density?: number;
  seed?: number;
  /** Weight initialisation (default 'he-uniform', the SET reference's); also the regrowth's. */
  init?: WeightInit;
  /** Start from these weights (out × in) instead of a random graph (e.g. a loaded model). */
  weights?: CSRMatrix;
  /** Initial biases (default zeros). */
  bias?: Float32Array;
}

/** Options of SparseLinear.evolve. */
export interface SparseEvolveOptions {
  /** Fraction of the negative and of the positive weights removed (SET's rule). */
  zeta: number;
  /** Seed of the random regrowth (unused by gradient growth). */
  seed: number;
  /**
   * Where the removed connections grow back: 'random' (SET, the default) or
   * 'gradient' (RigL: the absent positions with the largest |dY·Xᵀ| of the
   * batch X, dY, starting at weight 0; ζ = 0 then changes nothing).
   */
  growth?: 'random' | 'gradient';
  /** Gradient growth: the batch input, in × batch. */
  X?: DenseMatrix;
  /** Gradient growth: the loss gradient w.r.t. the layer output, out × batch. */
  dY?: DenseMatrix;
  /** Gradient growth: bytes of one block of the dense gradient (default 4 MB); it is never whole. */
  blockBytes?: number;
}

/** The GPU weight state: replaced whole by every evolve (a new generation). */
interface Generation {
  owner: BufferOwner;
  csr: CsrBuffers;
  derived: TransposeBuffers;
}

/**
 * A truly sparse fully-connected layer, Y = W·X + b with W (out × in) in CSR:
 * memory and work follow the nonzeros. Weight gradients exist only at the
 * nonzeros (SDDMM), and the topology evolves with SET (evolve). On WebGPU the
 * weights, velocity, gradients and indices stay on the GPU; during evolve
 * only a few counters are read back. The CPU backend holds the same state in
 * typed arrays and gives the same results.
 */
export class SparseLinear extends LinearLayer {
  readonly init: WeightInit;
  private W: CSRMatrix;
  private velocity: Float32Array;
  /** Adam's second moment (the first lives in velocity); follows its weight like velocity. */
  private second: Float32Array;
  private gradW: Float32Array;
  private generation: Generation | undefined;
  private gpuGradW: GPUBuffer | undefined;
  private rowOrder: GPUBuffer | undefined;
  private colOrder: GPUBuffer | undefined;

  constructor(options: SparseLinearOptions) {
    super(options.in, options.out, options.bias);
    this.init = options.init ?? 'he-uniform';
    if (options.weights !== undefined) {
      this.W = copyWeights(options.weights, this.out, this.in);
      this.velocity = new Float32Array(this.W.nnz);
      this.second = new Float32Array(this.W.nnz);
      this.gradW = new Float32Array(this.W.nnz);
      return;
    }
    const density = erdosRenyiDensity({
      rows: options.out,
      cols: options.in,
      ...(options.density !== undefined ? { density: options.density } : {}),
      ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
    });
    this.W = CSRMatrix.random({ rows: this.out, cols: this.in, density, seed: options.seed ?? 1, init: this.init });
    this.velocity = new Float32Array(this.W.nnz);
    this.second = new Float32Array(this.W.nnz);
    this.gradW = new Float32Array(this.W.nnz);
  }

  /** Stored connections (constant through evolution). */
  get nnz(): number {
    return this.W.nnz;
  }

  get weightCount(): number {
    return this.W.nnz;
  }

  /**
   * One SET topology update (see Engine.evolveSet): on WebGPU entirely on the
   * GPU — nothing of the weights is read back, only a few counters.
   * Velocity follows its weight; new connections start at zero velocity.
   * With growth: 'gradient' the removed count grows back RigL-style at the
   * absent positions of largest |dY·Xᵀ| for the batch given (see
   * kernels/set/rigl.ts), also without a read-back of weights or gradients.
   */
  async evolve(options: SparseEvolveOptions): Promise<{ removed: number }> {
    this.requireEngine();
    checkZeta(options.zeta);
    const growth = options.growth ?? 'random';
    // Gradient growth draws nothing; random growth's seed is checked here, before either backend.
    if (growth !== 'gradient') assertSeed('options.seed', options.seed);
    if (growth === 'gradient') return this.evolveByGradient(options);
    if (growth !== 'random') throw new InvalidArgumentError('options.growth', `must be 'random' or 'gradient', got ${String(growth)}`);
    const gpu = this.gpu;
    const g = this.generation;
    if (!gpu || !g) {
      const result = evolveSetCpu(this.W, { zeta: options.zeta, seed: options.seed, state: this.velocity, second: this.second, init: this.init });
      this.W = result.W;
      this.velocity = result.state;
      this.second = result.second!;
      return { removed: result.removed };
    }
    const limit = initLimit(this.init, this.in, this.out);
    const nnz = this.W.nnz;
    const scratch = new BufferOwner(gpu.ctx);
    const next = new BufferOwner(gpu.ctx);
    try {
      const { kept, keptNnz } = await pruneResident(gpu.ctx, scratch, g.csr, this.out, nnz, options.zeta);
      const { buffers } = await regrowResident(gpu.ctx, scratch, kept, keptNnz, this.out, this.in, nnz, options.seed, limit);
      await this.install(gpu, g, buffers, next);
      return { removed: nnz - keptNnz };
    } catch (e) {
      next.release();
      throw e;
    } finally {
      scratch.release();
    }
  }

  /** RigL: SET's pruning, then growth at the absent positions of largest |dY·Xᵀ| (new weights and states 0). */
  private async evolveByGradient(options: SparseEvolveOptions): Promise<{ removed: number }> {
    const { X, dY } = checkGradientOperands(options.X, options.dY, this.out, this.in, 'options.');
    const blockBytes = checkBlockBytes('options.blockBytes', options.blockBytes);
    if (options.zeta === 0) return { removed: 0 };
    const nnz = this.W.nnz;
    const gpu = this.gpu;
    const g = this.generation;
    if (!gpu || !g) {
      const kept = pruneCsrCpu(this.W, this.velocity, options.zeta, this.second);
      const grown = gradientGrowthCpu(kept.W, X, dY, nnz - kept.W.nnz, blockBytes);
      const result = mergeGrownCpu(kept.W, kept.state, grown);
      this.W = result.W;
      this.velocity = result.state;
      this.second = mergeGrownCpu(kept.W, kept.second!, grown).state;
      return { removed: nnz - kept.W.nnz };
    }
    return this.growResidentByGradient(options.zeta, (scratch) => uploadGradientOperands(scratch, X, dY), blockBytes);
  }

  /**
   * @internal RigL with a batch already on the GPU (a model's activations and
   * output gradients): nothing of it is uploaded or read back.
   */
  async evolveByResidentGradient(zeta: number, operands: GradientOperands, blockBytes?: number): Promise<{ removed: number }> {
    this.requireEngine();
    checkZeta(zeta);
    if (zeta === 0) return { removed: 0 };
    return this.growResidentByGradient(zeta, () => operands, checkBlockBytes('blockBytes', blockBytes));
  }

  private async growResidentByGradient(zeta: number, operands: (scratch: BufferOwner) => GradientOperands, blockBytes: number): Promise<{ removed: number }> {
    const nnz = this.W.nnz;
    const gpu = this.gpu!;
    const g = this.generation!;
    const scratch = new BufferOwner(gpu.ctx);
    const next = new BufferOwner(gpu.ctx);
    try {
      const { kept, keptNnz } = await pruneResident(gpu.ctx, scratch, g.csr, this.out, nnz, zeta);
      const buffers = await growResident(gpu.ctx, scratch, kept, keptNnz, this.out, this.in, nnz, operands(scratch), blockBytes);
      await this.install(gpu, g, buffers, next);
      return { removed: nnz - keptNnz };
    } catch (e) {
      next.release();
      throw e;
    } finally {
      scratch.release();
    }
  }

  /**
   * Installs an evolved layer as the new generation: moves it into buffers
   * of its own (so the evolve's scratch can go), rebuilds the derived
   * indices on the GPU and releases the previous generation.
   */
  private async install(gpu: LayerGpu, g: Generation, buffers: CsrBuffers, next: BufferOwner): Promise<void> {
    const nnz = this.W.nnz;
    const csr: CsrBuffers = {
      rowPtr: next.output('W.rowPtr', (this.out + 1) * 4),
      colIdx: next.output('W.colIdx', nnz * 4),
      values: next.output('W.values', nnz * 4),
      state: next.output('velocity', nnz * 4),
      second: next.output('second moment', nnz * 4),
    };
    let derived: TransposeBuffers | undefined;
    await gpu.ctx.run('SparseLinear.evolve (install)', (s) => {
      s.copy(buffers.rowPtr, csr.rowPtr, (this.out + 1) * 4);
      s.copy(buffers.colIdx, csr.colIdx, nnz * 4);
      s.copy(buffers.values, csr.values, nnz * 4);
      s.copy(buffers.state, csr.state, nnz * 4);
      s.copy(buffers.second!, csr.second!, nnz * 4);
      derived = encodeCsrDerived(s, next, csr, this.out, this.in, nnz);
      return { result: csr.rowPtr, byteLength: 0, decode: () => undefined };
    });
    g.owner.release();
    this.generation = { owner: next, csr, derived: derived! };
    this.gpuBuffersReplaced();
  }

  async connectionsPerInput(): Promise<Uint32Array> {
    this.assertLive();
    const gpu = this.gpu;
    const g = this.generation;
    if (!gpu || !g) {
      const counts = new Uint32Array(this.in);
      for (const c of this.W.colIdx) counts[c]!++;
      return counts;
    }
    // The transpose index's column pointers hold exactly these counts: in + 1 words, no weights.
    const bytes = (this.in + 1) * 4;
    const colPtr = await gpu.ctx.run('read column pointers', (s) => {
      const out = s.output('colPtr read-back', bytes);
      s.copy(g.derived.colPtr, out, bytes);
      return { result: out, byteLength: bytes, decode: (b) => new Uint32Array(b) };
    });
    return Uint32Array.from({ length: this.in }, (_, c) => colPtr[c + 1]! - colPtr[c]!);
  }

  /** A snapshot of the current weights, biases and velocity (read back on WebGPU). */
  async weights(): Promise<{ W: CSRMatrix; bias: Float32Array; velocity: Float32Array }> {
    this.assertLive();
    const gpu = this.gpu;
    const g = this.generation;
    // A copy of the structure too: the snapshot is the caller's, and writing to it must not reach the layer.
    if (!gpu || !g) return { W: copyCsr(this.W), bias: await this.biases(), velocity: Float32Array.from(this.velocity) };
    const { W, state } = await readCsr(gpu.ctx, g.csr, this.out, this.in, this.W.nnz);
    return { W, bias: await this.biases(), velocity: state };
  }

  protected attachWeights(gpu: LayerGpu): void {
    const owner = new BufferOwner(gpu.ctx);
    // The host's own derived indices, identical to what the GPU rebuilds after evolve.
    const t = this.W.transposeIndex();
    try {
      this.generation = {
        owner,
        csr: uploadCsr(owner, this.W, this.velocity, this.second),
        derived: {
          rowOf: owner.upload('rowOf', this.W.rowIndices()),
          colPtr: owner.upload('colPtr', t.colPtr),
          rowIdx: owner.upload('transpose rowIdx', t.rowIdx),
          perm: owner.upload('transpose perm', t.perm),
        },
      };
    } catch (e) {
      owner.release(); // what attach allocated in the fixed scope, attach releases
      throw e;
    }
    this.gpuGradW = gpu.fixed.output('weight gradient', this.W.nnz * 4);
    // Identity visiting orders: an evolved layer's rows change length, and re-sorting them is not worth a pass.
    this.rowOrder = gpu.fixed.upload('row order', identityOrder(this.out));
    this.colOrder = gpu.fixed.upload('column order', identityOrder(this.in));
  }

  protected weightStateParts(): StatePart[] {
    const { csr } = this.generation!;
    const nnz = this.W.nnz;
    return [
      { buffer: csr.rowPtr, type: 'u32', length: this.out + 1 },
      { buffer: csr.colIdx, type: 'u32', length: nnz },
      { buffer: csr.values, type: 'f32', length: nnz },
      { buffer: csr.state, type: 'f32', length: nnz },
      { buffer: csr.second!, type: 'f32', length: nnz },
    ];
  }

  protected keepWeightState(arrays: StateArrays): void {
    // Evolution moved the structure on the GPU: the copy brings its own (validated here, off the hot path).
    this.W = new CSRMatrix({ rows: this.out, cols: this.in, rowPtr: arrays.u32(), colIdx: arrays.u32(), values: arrays.f32() });
    this.velocity = arrays.f32();
    this.second = arrays.f32();
  }

  protected releaseWeights(): void {
    this.generation?.owner.release();
    this.generation = undefined;
  }

  protected forwardCpu(X: DenseMatrix): DenseMatrix {
    return spmmCsr.cpu(this.W, X);
  }

  protected backwardCpu(dY: DenseMatrix): DenseMatrix {
    return spmmCsrT.cpu(this.W, dY);
  }

  protected gradientCpu(X: DenseMatrix, dY: DenseMatrix, alpha: number): void {
    this.gradW.set(sddmmCsr.cpu(this.W, dY, X, { alpha }));
  }

  protected weightStateCpu() {
    return { values: this.W.values, gradient: this.gradW, velocity: this.velocity, second: this.second };
  }

  protected encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    const { csr } = this.generation!;
    encodeGatherCsr(s, this.out, batch, { values: csr.values, ptr: csr.rowPtr, idx: csr.colIdx, order: this.rowOrder! }, X, Y);
  }

  protected encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    const { csr, derived } = this.generation!;
    encodeGatherCsr(s, this.in, batch, { values: csr.values, ptr: derived.colPtr, idx: derived.rowIdx, order: this.colOrder!, perm: derived.perm }, dY, dX);
  }

  protected encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    const { csr, derived } = this.generation!;
    encodeSddmm(s, 'csr', this.W.nnz, batch, alpha, CSR_PATTERN_WORDS, [derived.rowOf, csr.colIdx], dY, X, this.gpuGradW!);
  }

  protected weightStateGpu() {
    const { csr } = this.generation!;
    return { values: csr.values, gradient: this.gpuGradW!, velocity: csr.state, second: csr.second! };
  }
}

function copyWeights(W: CSRMatrix, rows: number, cols: number): CSRMatrix {
  if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('options.weights', 'must be a CSRMatrix');
  W.verifyStructure('options.weights');
  if (W.rows !== rows || W.cols !== cols) throw new ShapeMismatchError('options.weights', `is ${W.rows} × ${W.cols} but the layer is out × in = ${rows} × ${cols}`);
  return copyCsr(W);
}

function copyCsr(W: CSRMatrix): CSRMatrix {
  return new CSRMatrix({ rows: W.rows, cols: W.cols, rowPtr: Uint32Array.from(W.rowPtr), colIdx: Uint32Array.from(W.colIdx), values: Float32Array.from(W.values) });
}

