import { densePasses, ResidentDense } from '../../kernels/resident/dense.js';
import { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { RandomStream } from '../random.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { assertFinite } from '../formats/validate.js';
import { LinearLayer, type LayerGpu, type StateArrays } from './linear-layer.js';

export interface DenseLinearOptions {
  in: number;
  out: number;
  seed?: number;
  init?: WeightInit;
  /** Start from these weights (out × in) instead of random ones (e.g. a loaded model). */
  weights?: DenseMatrix;
  /** Initial biases (default zeros). */
  bias?: Float32Array;
}

/** The dense baseline: W (out × in) stored whole, products by the tiled GEMM. */
export class DenseLinear extends LinearLayer<DenseMatrix, ResidentDense> {
  readonly init: WeightInit;

  constructor(options: DenseLinearOptions) {
    super(options.in, options.out, options.bias, densePasses);
    const init = options.init ?? 'he-uniform';
    this.init = init;
    const given = options.weights;
    if (given !== undefined) {
      if (!(given instanceof DenseMatrix)) throw new InvalidArgumentError('options.weights', 'must be a DenseMatrix');
      if (given.rows !== this.out || given.cols !== this.in) {
        throw new ShapeMismatchError('options.weights', `is ${given.rows} × ${given.cols} but the layer is out × in = ${this.out} × ${this.in}`);
      }
      assertFinite('options.weights', given.data, (k) => `weight ${k}`);
      this.setWeightState(new DenseMatrix(this.out, this.in, Float32Array.from(given.data)));
      return;
    }
    const limit = initLimit(init, this.in, this.out);
    const rng = new RandomStream(options.seed ?? 1, 0xde45e);
    this.setWeightState(new DenseMatrix(this.out, this.in, Float32Array.from({ length: this.out * this.in }, () => (init === 'normal' ? rng.normal() * limit : rng.uniform(-limit, limit)))));
  }

  get weightCount(): number {
    return this.in * this.out;
  }

  async connectionsPerInput(): Promise<Uint32Array> {
    this.assertLive();
    return new Uint32Array(this.in).fill(this.out);
  }

  /** A snapshot of the current weights (read back on WebGPU). */
  async weights(): Promise<DenseMatrix> {
    this.assertLive();
    const operand = this.operand;
    if (!this.gpu || !operand) return new DenseMatrix(this.out, this.in, Float32Array.from(this.W.data));
    return operand.read();
  }

  protected attachWeights(gpu: LayerGpu): void {
    this.operand = ResidentDense.upload(gpu.ctx, this.W, this.velocity, this.second);
  }

  protected keepWeightState(arrays: StateArrays): void {
    this.setWeightState(new DenseMatrix(this.out, this.in, arrays.f32()), arrays.f32(), arrays.f32());
  }
}
