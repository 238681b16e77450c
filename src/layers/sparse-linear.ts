import { encodeCsrDerived, type TransposeBuffers } from '../../kernels/csr-transpose.js';
import { encodeAddBias, encodeRowSums, encodeSgdMomentum, sgdMomentumCpu, type SgdOptions } from '../../kernels/elementwise.js';
import { CSR_PATTERN_WORDS, encodeSddmm, sddmmCsr } from '../../kernels/sddmm.js';
import { encodeGatherCsr, spmmCsr, spmmCsrT } from '../../kernels/spmm-csr.js';
import { programs } from '../../kernels/programs.js';
import { evolveSetCpu } from '../../kernels/set/evolve.js';
import { pruneResident } from '../../kernels/set/prune-csr.js';
import { checkZeta } from '../../kernels/set/prune.js';
import { regrowResident } from '../../kernels/set/regrow-gpu.js';
import { readCsr, uploadCsr, type CsrBuffers } from '../../kernels/set/resident-csr.js';
import { checkDense, checkRowsMatch, checkSameCols } from '../../kernels/checks.js';
import type { Engine } from '../engine/engine.js';
import { OperationScope, type GpuContext } from '../engine/gpu-context.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import { CSRMatrix, erdosRenyiDensity } from '../formats/csr.js';
import { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { assertCount } from '../formats/validate.js';

export interface SparseLinearOptions {
  /** Inputs (features in). */
  in: number;
  /** Outputs (features out). */
  out: number;
  /** SET's Erdős–Rényi parameter: density ε(in + out)/(in·out), capped at 1. Give this or density. */
  epsilon?: number;
  density?: number;
  seed?: number;
  /** Weight initialisation (default 'he-uniform', the SET reference's). */
  init?: WeightInit;
}

/** GPU side of a layer: buffers owned by generation (replaced whole by evolve). */
interface Resident {
  ctx: GpuContext;
  /** Bias, its velocity, the gradients and the visiting orders: live as long as the layer. */
  fixed: OperationScope;
  bias: GPUBuffer;
  biasVelocity: GPUBuffer;
  gradW: GPUBuffer;
  gradB: GPUBuffer;
  rowOrder: GPUBuffer;
  colOrder: GPUBuffer;
  /** The weights, their velocity and derived indices: replaced by every evolve. */
  generation: OperationScope;
  csr: CsrBuffers;
  derived: TransposeBuffers;
}

/**
 * A truly sparse fully-connected layer, Y = W·X + b with W (out × in) in CSR:
 * memory and work follow the nonzeros. Weight gradients exist only at the
 * nonzeros (SDDMM), and the topology evolves with SET (evolve). On WebGPU the
 * weights, velocity, gradients and indices stay resident on the GPU; only
 * activations cross (inputs up, outputs down) and, during evolve, a few
 * counters. The CPU backend holds the same state in typed arrays and gives
 * the same results.
 */
export class SparseLinear {
  readonly in: number;
  readonly out: number;
  readonly init: WeightInit;
  private W: CSRMatrix;
  private bias: Float32Array;
  private velocity: Float32Array;
  private biasVelocity: Float32Array;
  private gradW: Float32Array;
  private gradB: Float32Array;
  private engine: Engine | undefined;
  private resident: Resident | undefined;
  private disposed = false;

  constructor(options: SparseLinearOptions) {
    assertCount('options.in', options.in, { min: 1 });
    assertCount('options.out', options.out, { min: 1 });
    this.in = options.in;
    this.out = options.out;
    this.init = options.init ?? 'he-uniform';
    const density = erdosRenyiDensity({
      rows: options.out,
      cols: options.in,
      ...(options.density !== undefined ? { density: options.density } : {}),
      ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
    });
    this.W = CSRMatrix.random({ rows: this.out, cols: this.in, density, seed: options.seed ?? 1, init: this.init });
    this.bias = new Float32Array(this.out);
    this.velocity = new Float32Array(this.W.nnz);
    this.biasVelocity = new Float32Array(this.out);
    this.gradW = new Float32Array(this.W.nnz);
    this.gradB = new Float32Array(this.out);
  }

  /** Stored connections (constant through evolution). */
  get nnz(): number {
    return this.W.nnz;
  }

  /** Trainable parameters: connections plus biases. */
  get parameterCount(): number {
    return this.W.nnz + this.out;
  }

  /** What the same layer would hold dense. */
  get denseParameterCount(): number {
    return this.in * this.out + this.out;
  }

  /** Binds the layer to an engine; on WebGPU its state moves to the GPU once, here. */
  attach(engine: Engine): void {
    this.assertLive();
    if (this.engine === engine) return;
    if (this.engine) throw new InvalidArgumentError('engine', 'this layer is already attached to another engine');
    this.engine = engine;
    const ctx = engine.gpuContextForLayers();
    if (!ctx) return;
    const fixed = new OperationScope(ctx);
    const generation = new OperationScope(ctx);
    const csr = uploadCsr(generation, this.W, this.velocity);
    // The host's own indices, identical to what the GPU rebuilds after evolve.
    const t = this.W.transposeIndex();
    const derived: TransposeBuffers = {
      rowOf: generation.upload('rowOf', this.W.rowIndices()),
      colPtr: generation.upload('colPtr', t.colPtr),
      rowIdx: generation.upload('transpose rowIdx', t.rowIdx),
      perm: generation.upload('transpose perm', t.perm),
    };
    this.resident = {
      ctx,
      fixed,
      bias: fixed.upload('bias', this.bias),
      biasVelocity: fixed.upload('bias velocity', this.biasVelocity),
      gradW: fixed.output('weight gradient', this.W.nnz * 4),
      gradB: fixed.output('bias gradient', this.out * 4),
      rowOrder: fixed.upload('row order', identity(this.out)),
      colOrder: fixed.upload('column order', identity(this.in)),
      generation,
      csr,
      derived,
    };
  }

  /** Y = W·X + b; X is in × batch (feature-major). */
  async forward(X: DenseMatrix): Promise<DenseMatrix> {
    this.requireEngine();
    checkDense('X', X);
    checkRowsMatch('X', X.rows, this.in, 'the layer input size');
    const r = this.resident;
    if (!r) {
      const Y = spmmCsr.cpu(this.W, X);
      for (let i = 0; i < Y.data.length; i++) Y.data[i]! += this.bias[Math.floor(i / X.cols)]!;
      return Y;
    }
    const batch = X.cols;
    return r.ctx.run('SparseLinear.forward', (s) => {
      const x = s.upload('X', X.data);
      const y = s.output('Y', this.out * batch * 4);
      encodeGatherCsr(s, this.out, batch, { values: r.csr.values, ptr: r.csr.rowPtr, idx: r.csr.colIdx, order: r.rowOrder }, x, y);
      encodeAddBias(s, this.out, batch, y, r.bias);
      return { result: y, byteLength: this.out * batch * 4, decode: (b) => new DenseMatrix(this.out, batch, new Float32Array(b)) };
    });
  }

  /**
   * Backward pass for the forward input X and output gradient dY (out × batch):
   * returns dX = Wᵀ·dY and keeps the mean gradients dW = (dY·Xᵀ)/batch at the
   * nonzeros and db = mean over the batch of dY, for step().
   */
  async backward(X: DenseMatrix, dY: DenseMatrix): Promise<DenseMatrix> {
    this.requireEngine();
    checkDense('X', X);
    checkDense('dY', dY);
    checkRowsMatch('X', X.rows, this.in, 'the layer input size');
    checkRowsMatch('dY', dY.rows, this.out, 'the layer output size');
    checkSameCols('dY', dY, X, 'X');
    const batch = X.cols;
    const alpha = 1 / Math.max(1, batch);
    const r = this.resident;
    if (!r) {
      this.gradW.set(sddmmCsr.cpu(this.W, dY, X, { alpha }));
      for (let o = 0; o < this.out; o++) {
        let sum = 0;
        for (let b = 0; b < batch; b++) sum += dY.data[o * batch + b]!;
        this.gradB[o] = alpha * sum;
      }
      return spmmCsrT.cpu(this.W, dY);
    }
    return r.ctx.run('SparseLinear.backward', (s) => {
      const x = s.upload('X', X.data);
      const dy = s.upload('dY', dY.data);
      encodeSddmm(s, programs.sddmmCsr, this.W.nnz, batch, alpha, CSR_PATTERN_WORDS, [r.derived.rowOf, r.csr.colIdx], dy, x, r.gradW);
      encodeRowSums(s, this.out, batch, alpha, dy, r.gradB);
      const dx = s.output('dX', this.in * batch * 4);
      encodeGatherCsr(s, this.in, batch, { values: r.csr.values, ptr: r.derived.colPtr, idx: r.derived.rowIdx, order: r.colOrder, perm: r.derived.perm }, dy, dx);
      return { result: dx, byteLength: this.in * batch * 4, decode: (b) => new DenseMatrix(this.in, batch, new Float32Array(b)) };
    });
  }

  /** One SGD-with-momentum step on the weights and biases from the last backward(). */
  async step(options: SgdOptions): Promise<void> {
    this.requireEngine();
    for (const key of ['lr', 'momentum', 'weightDecay'] as const) {
      if (!Number.isFinite(options[key])) throw new InvalidArgumentError(`options.${key}`, `must be finite, got ${options[key]}`);
    }
    const r = this.resident;
    if (!r) {
      sgdMomentumCpu(this.W.values, this.gradW, this.velocity, options);
      sgdMomentumCpu(this.bias, this.gradB, this.biasVelocity, options);
      return;
    }
    await r.ctx.run('SparseLinear.step', (s) => {
      encodeSgdMomentum(s, this.W.nnz, r.csr.values, r.gradW, r.csr.state, options);
      encodeSgdMomentum(s, this.out, r.bias, r.gradB, r.biasVelocity, options);
      return { result: r.bias, byteLength: 0, decode: () => undefined };
    });
  }

  /**
   * One SET topology update (see Engine.evolveSet): on WebGPU entirely on the
   * GPU — nothing of the weights is read back, only a few counters.
   * Velocity follows its weight; new connections start at zero velocity.
   */
  async evolve(options: { zeta: number; seed: number }): Promise<{ removed: number }> {
    this.requireEngine();
    checkZeta(options.zeta);
    const limit = initLimit(this.init, this.in, this.out);
    const r = this.resident;
    if (!r) {
      const result = evolveSetCpu(this.W, { zeta: options.zeta, seed: options.seed, state: this.velocity, init: this.init });
      this.W = result.W;
      this.velocity = result.state;
      return { removed: result.removed };
    }
    const scratch = new OperationScope(r.ctx);
    const next = new OperationScope(r.ctx);
    try {
      const nnz = this.W.nnz;
      const { kept, keptNnz } = await pruneResident(r.ctx, scratch, r.csr, this.out, nnz, options.zeta);
      const { buffers } = await regrowResident(r.ctx, scratch, kept, keptNnz, this.out, this.in, nnz, options.seed, limit);
      // Move the result into buffers of its own generation, so the scratch can go.
      const csr: CsrBuffers = {
        rowPtr: next.output('W.rowPtr', (this.out + 1) * 4),
        colIdx: next.output('W.colIdx', nnz * 4),
        values: next.output('W.values', nnz * 4),
        state: next.output('velocity', nnz * 4),
      };
      let derived: TransposeBuffers | undefined;
      await r.ctx.run('SparseLinear.evolve (install)', (s) => {
        s.copy(buffers.rowPtr, csr.rowPtr, (this.out + 1) * 4);
        s.copy(buffers.colIdx, csr.colIdx, nnz * 4);
        s.copy(buffers.values, csr.values, nnz * 4);
        s.copy(buffers.state, csr.state, nnz * 4);
        derived = encodeCsrDerived(s, next, csr, this.out, this.in, nnz);
        return { result: csr.rowPtr, byteLength: 0, decode: () => undefined };
      });
      r.generation.release();
      r.generation = next;
      r.csr = csr;
      r.derived = derived!;
      return { removed: nnz - keptNnz };
    } catch (e) {
      next.release();
      throw e;
    } finally {
      scratch.release();
    }
  }

  /** The current weights and biases, read back on WebGPU (for saving, inspection, tests). */
  async weights(): Promise<{ W: CSRMatrix; bias: Float32Array; velocity: Float32Array }> {
    this.assertLive();
    const r = this.resident;
    if (!r) return { W: this.W, bias: Float32Array.from(this.bias), velocity: Float32Array.from(this.velocity) };
    const { W, state } = await readCsr(r.ctx, r.csr, this.out, this.in, this.W.nnz);
    const bias = await r.ctx.run('read bias', (s) => {
      const out = s.output('bias read-back', this.out * 4);
      s.copy(r.bias, out, this.out * 4);
      return { result: out, byteLength: this.out * 4, decode: (b) => new Float32Array(b) };
    });
    return { W, bias, velocity: state };
  }

  /** Releases the layer's GPU buffers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.resident?.generation.release();
    this.resident?.fixed.release();
    this.resident = undefined;
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError('SparseLinear layer');
  }

  private requireEngine(): Engine {
    this.assertLive();
    if (!this.engine) throw new InvalidArgumentError('engine', 'attach(engine) the layer before using it');
    if (this.engine.isDisposed) throw new DisposedError('engine');
    return this.engine;
  }
}

function identity(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => i);
}
