import { nmPasses, ResidentNM } from '../../kernels/resident/nm.js';
import { checkEvolve, evolveCpu, evolveResident } from '../../kernels/set/evolve.js';
import type { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { NMMatrix } from '../formats/nm.js';
import { LinearLayer, type LayerGpu, type StateArrays } from './linear-layer.js';

export interface NMLinearOptions {
  in: number;
  out: number;
  /** Kept weights per group (default 2). */
  n?: number;
  /** Group size along the input dimension (default 4); `in` must be a multiple. */
  m?: number;
  seed?: number;
  init?: WeightInit;
  /** Start from these weights (out × in, N:M) instead of random ones (e.g. a loaded model); n and m are taken from them. */
  weights?: NMMatrix;
  /** Initial biases (default zeros). */
  bias?: Float32Array;
}

/**
 * A structured-sparse fully-connected layer: along its inputs, every group of
 * m weights keeps n (2:4 by default), so every output row does the same work.
 * Positions are fixed at initialisation (uniform per group); the values train.
 */
export class NMLinear extends LinearLayer<NMMatrix, ResidentNM> {
  readonly n: number;
  readonly m: number;
  readonly init: WeightInit;

  constructor(options: NMLinearOptions) {
    super(options.in, options.out, options.bias, nmPasses);
    this.init = options.init ?? 'he-uniform';
    const given = options.weights;
    if (given !== undefined) {
      if (!(given instanceof NMMatrix)) throw new InvalidArgumentError('options.weights', 'must be an NMMatrix');
      given.verifyStructure('options.weights');
      if (given.rows !== this.out || given.cols !== this.in) {
        throw new ShapeMismatchError('options.weights', `is ${given.rows} × ${given.cols} but the layer is out × in = ${this.out} × ${this.in}`);
      }
      this.setWeightState(new NMMatrix({ rows: given.rows, cols: given.cols, n: given.n, m: given.m, values: Float32Array.from(given.values), indices: Uint32Array.from(given.indices) }));
    } else {
      this.setWeightState(NMMatrix.random({ rows: this.out, cols: this.in, n: options.n ?? 2, m: options.m ?? 4, seed: options.seed ?? 1, init: this.init }));
    }
    this.n = this.W.n;
    this.m = this.W.m;
  }

  get weightCount(): number {
    return this.W.nnz;
  }

  /**
   * Structured topology evolution: the fraction ζ of groups with the weakest
   * minimum |w| each drop that weight and regrow one at a random free
   * position of the same group (new weight uniform(±limit), zero velocity);
   * the layer stays N:M. On WebGPU it runs in place with nothing read back.
   */
  async evolve(options: { zeta: number; seed: number }): Promise<void> {
    this.requireEngine();
    // Only zeta and seed are taken (growth stays random, inside the groups).
    const { zeta, growth } = checkEvolve({ zeta: options.zeta, seed: options.seed }, this.out, this.in, initLimit(this.init, this.in, this.out));
    const operand = this.operand;
    if (!this.gpu || !operand) {
      const result = evolveCpu(this.W, this.velocity, this.second, zeta, growth);
      this.setWeightState(result.W, result.state, result.second);
      return;
    }
    await evolveResident(operand, zeta, growth);
    // Disposed while the update ran: nothing was replaced for this layer.
    if (this.operand !== operand) return;
    this.gpuBuffersReplaced();
  }

  async connectionsPerInput(): Promise<Uint32Array> {
    const W = await this.weights();
    const counts = new Uint32Array(this.in);
    for (const column of W.slotColumns()) counts[column]!++;
    return counts;
  }

  /** A snapshot of the current weights (read back on WebGPU). */
  async weights(): Promise<NMMatrix> {
    this.assertLive();
    const operand = this.operand;
    // A copy of the structure too: the snapshot is the caller's, and writing to it must not reach the layer.
    if (!this.gpu || !operand) {
      const { rows, cols, n, m, values, indices } = this.W;
      return new NMMatrix({ rows, cols, n, m, values: Float32Array.from(values), indices: Uint32Array.from(indices) });
    }
    return operand.read();
  }

  protected attachWeights(gpu: LayerGpu): void {
    this.operand = ResidentNM.upload(gpu.ctx, this.W, this.velocity, this.second);
  }

  protected keepWeightState(arrays: StateArrays): void {
    // The mask may have evolved on the GPU: the copy brings its positions.
    this.setWeightState(new NMMatrix({ rows: this.out, cols: this.in, n: this.n, m: this.m, values: arrays.f32(), indices: arrays.u32() }), arrays.f32(), arrays.f32());
  }
}
