import { encodeGemm, gemm } from '../../kernels/gemm.js';
import type { OperationScope } from '../gpu/gpu-context.js';
import { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { RandomStream } from '../random.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { assertFinite } from '../formats/validate.js';
import { LinearLayer, type LayerGpu, type StateArrays, type StatePart } from './linear-layer.js';

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
export class DenseLinear extends LinearLayer {
  readonly init: WeightInit;
  private W: DenseMatrix;
  private velocity: Float32Array;
  private second: Float32Array;
  private gradW: Float32Array;
  private resident: { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } | undefined;

  constructor(options: DenseLinearOptions) {
    super(options.in, options.out, options.bias);
    const init = options.init ?? 'he-uniform';
    this.init = init;
    const given = options.weights;
    if (given !== undefined) {
      if (!(given instanceof DenseMatrix)) throw new InvalidArgumentError('options.weights', 'must be a DenseMatrix');
      if (given.rows !== this.out || given.cols !== this.in) {
        throw new ShapeMismatchError('options.weights', `is ${given.rows} × ${given.cols} but the layer is out × in = ${this.out} × ${this.in}`);
      }
      assertFinite('options.weights', given.data, (k) => `weight ${k}`);
      this.W = new DenseMatrix(this.out, this.in, Float32Array.from(given.data));
      this.velocity = new Float32Array(this.W.data.length);
      this.second = new Float32Array(this.W.data.length);
      this.gradW = new Float32Array(this.W.data.length);
      return;
    }
    const limit = initLimit(init, this.in, this.out);
    const rng = new RandomStream(options.seed ?? 1, 0xde45e);
    this.W = new DenseMatrix(this.out, this.in, Float32Array.from({ length: this.out * this.in }, () => (init === 'normal' ? rng.normal() * limit : rng.uniform(-limit, limit))));
    this.velocity = new Float32Array(this.W.data.length);
    this.second = new Float32Array(this.W.data.length);
    this.gradW = new Float32Array(this.W.data.length);
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
    const r = this.resident;
    if (!this.gpu || !r) return new DenseMatrix(this.out, this.in, Float32Array.from(this.W.data));
    const bytes = this.W.data.byteLength;
    const values = await this.gpu.ctx.run('read dense weights', (s) => {
      const out = s.output('weights read-back', bytes);
      s.copy(r.values, out, bytes);
      return { result: out, byteLength: bytes, decode: (b) => new Float32Array(b) };
    });
    return new DenseMatrix(this.out, this.in, values);
  }

  protected attachWeights(gpu: LayerGpu): void {
    this.resident = {
      values: gpu.fixed.upload('W', this.W.data),
      gradient: gpu.fixed.output('weight gradient', this.W.data.byteLength),
      velocity: gpu.fixed.upload('velocity', this.velocity),
      second: gpu.fixed.upload('second moment', this.second),
    };
  }

  protected weightStateParts(): StatePart[] {
    const r = this.resident!;
    const length = this.W.data.length;
    return [
      { buffer: r.values, type: 'f32', length },
      { buffer: r.velocity, type: 'f32', length },
      { buffer: r.second, type: 'f32', length },
    ];
  }

  protected keepWeightState(arrays: StateArrays): void {
    this.W = new DenseMatrix(this.out, this.in, arrays.f32());
    this.velocity = arrays.f32();
    this.second = arrays.f32();
  }

  protected releaseWeights(): void {
    this.resident = undefined;
  }

  protected forwardCpu(X: DenseMatrix): DenseMatrix {
    return gemm.cpu(this.W, X);
  }

  protected backwardCpu(dY: DenseMatrix): DenseMatrix {
    return gemm.cpu(this.W, dY, { transA: true });
  }

  protected gradientCpu(X: DenseMatrix, dY: DenseMatrix, alpha: number): void {
    this.gradW.set(gemm.cpu(dY, X, { transB: true, alpha }).data);
  }

  protected weightStateCpu() {
    return { values: this.W.data, gradient: this.gradW, velocity: this.velocity, second: this.second };
  }

  protected encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    encodeGemm(s, { m: this.out, n: batch, k: this.in }, {}, this.resident!.values, X, Y);
  }

  protected encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    encodeGemm(s, { m: this.in, n: batch, k: this.out }, { transA: true }, this.resident!.values, dY, dX);
  }

  protected encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    encodeGemm(s, { m: this.out, n: this.in, k: batch }, { transB: true, alpha }, dY, X, this.resident!.gradient);
  }

  protected weightStateGpu() {
    const r = this.resident!;
    return { values: r.values, gradient: r.gradient, velocity: r.velocity, second: r.second };
  }
}
