import { csrPasses, ResidentCsr } from '../../kernels/resident/csr.js';
import { checkEvolve, checkResidentEvolve, evolveCpu, evolveResident } from '../../kernels/set/evolve.js';
import type { GradientOperands } from '../../kernels/rigl.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { CSRMatrix, erdosRenyiDensity } from '../formats/csr.js';
import type { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { LinearLayer, type LayerGpu, type StateArrays } from './linear-layer.js';

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

/**
 * A truly sparse fully-connected layer, Y = W·X + b with W (out × in) in CSR:
 * memory and work follow the nonzeros. Weight gradients exist only at the
 * nonzeros (SDDMM), and the topology evolves with SET (evolve). On WebGPU the
 * weights, velocity, gradients and indices stay on the GPU; during evolve
 * only a few counters are read back. The CPU backend holds the same state in
 * typed arrays and gives the same results.
 */
export class SparseLinear extends LinearLayer<CSRMatrix, ResidentCsr> {
  readonly init: WeightInit;

  constructor(options: SparseLinearOptions) {
    super(options.in, options.out, options.bias, csrPasses);
    this.init = options.init ?? 'he-uniform';
    if (options.weights !== undefined) {
      this.setWeightState(copyWeights(options.weights, this.out, this.in));
      return;
    }
    const density = erdosRenyiDensity({
      rows: options.out,
      cols: options.in,
      ...(options.density !== undefined ? { density: options.density } : {}),
      ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
    });
    this.setWeightState(CSRMatrix.random({ rows: this.out, cols: this.in, density, seed: options.seed ?? 1, init: this.init }));
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
   * kernels/rigl.ts), also without a read-back of weights or gradients.
   */
  async evolve(options: SparseEvolveOptions): Promise<{ removed: number }> {
    this.requireEngine();
    const { zeta, growth } = checkEvolve(options, this.out, this.in, initLimit(this.init, this.in, this.out));
    const operand = this.operand;
    if (!this.gpu || !operand) {
      const result = evolveCpu(this.W, this.velocity, this.second, zeta, growth);
      this.setWeightState(result.W, result.state, result.second);
      return { removed: result.removed };
    }
    return this.evolveOnGpu(operand, () => evolveResident(operand, zeta, growth));
  }

  /**
   * @internal RigL with a batch already on the GPU (a model's activations and
   * output gradients): nothing of it is uploaded or read back.
   */
  async evolveByResidentGradient(zeta: number, operands: GradientOperands, blockBytes?: number): Promise<{ removed: number }> {
    this.requireEngine();
    const request = checkResidentEvolve(zeta, operands, blockBytes);
    const operand = this.operand!;
    return this.evolveOnGpu(operand, () => evolveResident(operand, request.zeta, request.growth));
  }

  private async evolveOnGpu(operand: ResidentCsr, evolve: () => Promise<{ removed: number }>): Promise<{ removed: number }> {
    const before = operand.buffers;
    const { removed } = await evolve();
    // A new generation: whoever recorded passes over the old buffers records again
    // (unless the layer was disposed while the update ran: then nothing was installed).
    if (this.operand === operand && operand.buffers !== before) this.gpuBuffersReplaced();
    return { removed };
  }

  async connectionsPerInput(): Promise<Uint32Array> {
    this.assertLive();
    const operand = this.operand;
    if (!this.gpu || !operand) {
      const counts = new Uint32Array(this.in);
      for (const c of this.W.colIdx) counts[c]!++;
      return counts;
    }
    // The transpose index's column pointers hold exactly these counts: in + 1 words, no weights.
    return operand.columnCounts();
  }

  /** A snapshot of the current weights, biases and velocity (read back on WebGPU). */
  async weights(): Promise<{ W: CSRMatrix; bias: Float32Array; velocity: Float32Array }> {
    this.assertLive();
    const operand = this.operand;
    // A copy of the structure too: the snapshot is the caller's, and writing to it must not reach the layer.
    if (!this.gpu || !operand) return { W: copyCsr(this.W), bias: await this.biases(), velocity: Float32Array.from(this.velocity) };
    const { W, state } = await operand.read();
    return { W, bias: await this.biases(), velocity: state };
  }

  protected attachWeights(gpu: LayerGpu): void {
    this.operand = ResidentCsr.upload(gpu.ctx, this.W, this.velocity, this.second, { training: true });
  }

  protected keepWeightState(arrays: StateArrays): void {
    // Evolution moved the structure on the GPU: the copy brings its own (validated here, off the hot path).
    this.setWeightState(new CSRMatrix({ rows: this.out, cols: this.in, rowPtr: arrays.u32(), colIdx: arrays.u32(), values: arrays.f32() }), arrays.f32(), arrays.f32());
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

