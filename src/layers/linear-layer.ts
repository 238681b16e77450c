import { checkDense, checkRowsMatch, checkSameCols } from '../../kernels/checks.js';
import { encodeAddBias, encodeRowSums, encodeSgdMomentum, sgdMomentumCpu, type SgdOptions } from '../../kernels/elementwise.js';
import { adamCpu, encodeAdam, type AdamOptions } from '../../kernels/adam.js';
import type { Engine } from '../engine/engine.js';
import { OperationScope, type GpuContext } from '../engine/gpu-context.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import { DenseMatrix } from '../formats/dense.js';
import { allocate, assertCount, assertFinite, assertFloat32, assertIndexDimension, assertLength } from '../formats/validate.js';

/** What a layer's optimizer pass applies: SGD with momentum (the SET reference's) or Adam. */
export type OptimizerSettings = ({ readonly kind: 'sgd' } & SgdOptions) | ({ readonly kind: 'adam' } & AdamOptions);

/** Rejects non-finite SGD settings before they reach the weights. */
export function checkSgdOptions(options: SgdOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with lr, momentum and weightDecay');
  for (const key of ['lr', 'momentum', 'weightDecay'] as const) {
    assertFloat32(`options.${key}`, options[key]);
  }
}

/** The GPU side every linear layer has: its context and the bias state. */
export interface LayerGpu {
  ctx: GpuContext;
  /** Buffers that live as long as the layer. */
  fixed: OperationScope;
  bias: GPUBuffer;
  biasVelocity: GPUBuffer;
  /** Adam's second moment of the biases (the first is biasVelocity). */
  biasSecond: GPUBuffer;
  gradB: GPUBuffer;
}

/**
 * Y = W·X + b over feature-major activations, for any weight format. The
 * subclass owns W (its storage, its kernels and its gradient); this class owns
 * the bias, the checks, the backend split and the SGD step, so every layer
 * trains the same way. On WebGPU the state stays on the GPU; only activations
 * cross.
 */
export abstract class LinearLayer {
  readonly in: number;
  readonly out: number;
  protected bias: Float32Array;
  private biasVelocity: Float32Array;
  private biasSecond: Float32Array;
  private gradB: Float32Array;
  private engine: Engine | undefined;
  protected gpu: LayerGpu | undefined;
  private disposed = false;

  constructor(inputs: number, outputs: number, bias?: Float32Array) {
    assertCount('options.in', inputs, { min: 1 });
    assertCount('options.out', outputs, { min: 1 });
    assertIndexDimension('options.in', inputs);
    assertIndexDimension('options.out', outputs);
    this.in = inputs;
    this.out = outputs;
    if (bias !== undefined) {
      if (!(bias instanceof Float32Array)) throw new InvalidArgumentError('options.bias', 'must be a Float32Array');
      assertLength('options.bias', bias, outputs);
      assertFinite('options.bias', bias, (k) => `bias ${k}`);
    }
    this.bias = bias ? Float32Array.from(bias) : allocate('options.out', Float32Array, outputs);
    this.biasVelocity = new Float32Array(outputs);
    this.biasSecond = new Float32Array(outputs);
    this.gradB = new Float32Array(outputs);
  }

  private buffersVersion = 0;

  /**
   * Changes whenever evolution replaced GPU buffers of the layer (its CSR, or
   * an index): whoever recorded commands that bind them (a model's training
   * step) records again.
   */
  get gpuBuffersVersion(): number {
    return this.buffersVersion;
  }

  /** Subclasses call this after swapping in new GPU buffers. */
  protected gpuBuffersReplaced(): void {
    this.buffersVersion++;
  }

  /** Stored weights. */
  abstract get weightCount(): number;

  /** Stored connections of every input (nonzeros per column of W); reads back only indices' counts. */
  abstract connectionsPerInput(): Promise<Uint32Array>;

  /** Trainable parameters: stored weights plus biases. */
  get parameterCount(): number {
    return this.weightCount + this.out;
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
    const ctx = engine.gpuContextForLayers();
    this.engine = engine;
    if (!ctx) return;
    const fixed = new OperationScope(ctx);
    try {
      this.gpu = {
        ctx,
        fixed,
        bias: fixed.upload('bias', this.bias),
        biasVelocity: fixed.upload('bias velocity', this.biasVelocity),
        biasSecond: fixed.upload('bias second moment', this.biasSecond),
        gradB: fixed.output('bias gradient', this.out * 4),
      };
      this.attachWeights(this.gpu);
    } catch (e) {
      // E.g. a DeviceLimitError naming the weights: nothing stays allocated, and the layer stays unattached.
      this.releaseWeights();
      fixed.release();
      this.gpu = undefined;
      this.engine = undefined;
      throw e;
    }
  }

  /** Y = W·X + b; X is in × batch (feature-major). */
  async forward(X: DenseMatrix): Promise<DenseMatrix> {
    this.requireEngine();
    checkDense('X', X);
    checkRowsMatch('X', X.rows, this.in, 'the layer input size');
    const batch = X.cols;
    const gpu = this.gpu;
    if (!gpu) return this.forwardHost(X);
    const bytes = this.out * batch * 4;
    return gpu.ctx.run(`${this.constructor.name}.forward`, (s) => {
      const x = s.upload('X', X.data);
      const y = s.output('Y', bytes);
      this.encodeForwardPass(s, batch, x, y);
      return { result: y, byteLength: bytes, decode: (b) => new DenseMatrix(this.out, batch, new Float32Array(b)) };
    });
  }

  /**
   * Backward pass for the forward input X and output gradient dY (out × batch):
   * returns dX = Wᵀ·dY and keeps the batch-mean gradients of W and b (as the
   * SET reference divides by the batch size) for step().
   */
  async backward(X: DenseMatrix, dY: DenseMatrix): Promise<DenseMatrix> {
    this.requireEngine();
    checkDense('X', X);
    checkDense('dY', dY);
    checkRowsMatch('X', X.rows, this.in, 'the layer input size');
    checkRowsMatch('dY', dY.rows, this.out, 'the layer output size');
    checkSameCols('dY', dY, X, 'X');
    const batch = X.cols;
    const gpu = this.gpu;
    if (!gpu) return this.backwardHost(X, dY, true)!;
    const bytes = this.in * batch * 4;
    return gpu.ctx.run(`${this.constructor.name}.backward`, (s) => {
      const x = s.upload('X', X.data);
      const dy = s.upload('dY', dY.data);
      const dx = s.output('dX', bytes);
      this.encodeBackwardPass(s, batch, x, dy, dx);
      return { result: dx, byteLength: bytes, decode: (b) => new DenseMatrix(this.in, batch, new Float32Array(b)) };
    });
  }

  /** One SGD-with-momentum step (v ← μv − lr·g; w ← w + v − wd·w) from the last backward(). */
  async step(options: SgdOptions): Promise<void> {
    this.requireEngine();
    checkSgdOptions(options);
    const gpu = this.gpu;
    if (!gpu) {
      this.stepHost(options);
      return;
    }
    await gpu.ctx.run(`${this.constructor.name}.step`, (s) => {
      this.encodeStepPass(s, options);
      return { result: gpu.bias, byteLength: 0, decode: () => undefined };
    });
  }

  // The passes below are the layer's share of a model's training step. A
  // Sequential records them once into its own resident step (activations stay
  // on the GPU between layers) or runs them on the host; forward/backward/step
  // above are the same passes with the activations uploaded and read back.

  /** @internal Records Y = W·X + b (GPU buffers, batch columns). */
  encodeForwardPass(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    const gpu = this.requireGpu();
    this.encodeForward(s, batch, X, Y);
    encodeAddBias(s, this.out, batch, Y, gpu.bias);
  }

  /** @internal Records the weight and bias gradients (batch means) and, when dX is given, dX = Wᵀ·dY. */
  encodeBackwardPass(s: OperationScope, batch: number, X: GPUBuffer, dY: GPUBuffer, dX: GPUBuffer | undefined): void {
    const gpu = this.requireGpu();
    const alpha = 1 / Math.max(1, batch);
    this.encodeGradient(s, batch, alpha, dY, X);
    encodeRowSums(s, this.out, batch, alpha, dY, gpu.gradB);
    if (dX) this.encodeBackward(s, batch, dY, dX);
  }

  /** @internal Records one SGD step of weights and biases. */
  encodeStepPass(s: OperationScope, options: SgdOptions): void {
    const gpu = this.requireGpu();
    const w = this.weightStateGpu();
    encodeSgdMomentum(s, this.weightCount, w.values, w.gradient, w.velocity, options);
    encodeSgdMomentum(s, this.out, gpu.bias, gpu.gradB, gpu.biasVelocity, options);
  }

  /**
   * @internal Records one optimizer update of weights and biases. Adam reads
   * its 1-based update count t from `step` (one u32), so a recorded training
   * step serves every batch; Adam's first moment lives where SGD keeps its
   * velocity, and both moments follow their weights through evolution.
   */
  encodeOptimizerPass(s: OperationScope, optimizer: OptimizerSettings, step: GPUBuffer): void {
    if (optimizer.kind === 'sgd') {
      this.encodeStepPass(s, optimizer);
      return;
    }
    const gpu = this.requireGpu();
    const w = this.weightStateGpu();
    encodeAdam(s, this.weightCount, w.values, w.gradient, w.velocity, w.second, step, optimizer);
    encodeAdam(s, this.out, gpu.bias, gpu.gradB, gpu.biasVelocity, gpu.biasSecond, step, optimizer);
  }

  /** @internal Host twin of encodeOptimizerPass; t is Adam's 1-based update count. */
  optimizeHost(optimizer: OptimizerSettings, t: number): void {
    if (optimizer.kind === 'sgd') {
      this.stepHost(optimizer);
      return;
    }
    const w = this.weightStateCpu();
    adamCpu(w.values, w.gradient, w.velocity, w.second, t, optimizer);
    adamCpu(this.bias, this.gradB, this.biasVelocity, this.biasSecond, t, optimizer);
  }

  /** @internal Host twin of encodeForwardPass. */
  forwardHost(X: DenseMatrix): DenseMatrix {
    const batch = X.cols;
    const Y = this.forwardCpu(X);
    for (let i = 0; i < Y.data.length; i++) Y.data[i]! += this.bias[Math.floor(i / batch)]!;
    return Y;
  }

  /** @internal Host twin of encodeBackwardPass; returns dX when asked. */
  backwardHost(X: DenseMatrix, dY: DenseMatrix, wantDx: boolean): DenseMatrix | undefined {
    const batch = X.cols;
    const alpha = 1 / Math.max(1, batch);
    this.gradientCpu(X, dY, alpha);
    for (let o = 0; o < this.out; o++) {
      let sum = 0;
      for (let b = 0; b < batch; b++) sum += dY.data[o * batch + b]!;
      this.gradB[o] = alpha * sum;
    }
    return wantDx ? this.backwardCpu(dY) : undefined;
  }

  /** @internal Host twin of encodeStepPass. */
  stepHost(options: SgdOptions): void {
    const w = this.weightStateCpu();
    sgdMomentumCpu(w.values, w.gradient, w.velocity, options);
    sgdMomentumCpu(this.bias, this.gradB, this.biasVelocity, options);
  }

  /** @internal Whether the layer's state lives on the GPU (attached to a WebGPU engine). */
  get isResident(): boolean {
    return this.gpu !== undefined;
  }

  /** The current biases (read back on WebGPU). */
  async biases(): Promise<Float32Array> {
    this.assertLive();
    const gpu = this.gpu;
    if (!gpu) return Float32Array.from(this.bias);
    return gpu.ctx.run('read bias', (s) => {
      const out = s.output('bias read-back', this.out * 4);
      s.copy(gpu.bias, out, this.out * 4);
      return { result: out, byteLength: this.out * 4, decode: (b) => new Float32Array(b) };
    });
  }

  /** Releases the layer's GPU buffers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseWeights();
    this.gpu?.fixed.release();
    this.gpu = undefined;
  }

  /** Moves the weight state to the GPU (called once by attach on WebGPU). */
  protected abstract attachWeights(gpu: LayerGpu): void;
  protected abstract releaseWeights(): void;
  protected abstract forwardCpu(X: DenseMatrix): DenseMatrix;
  protected abstract backwardCpu(dY: DenseMatrix): DenseMatrix;
  /** Stores alpha · (dY·Xᵀ) at the stored weights. */
  protected abstract gradientCpu(X: DenseMatrix, dY: DenseMatrix, alpha: number): void;
  protected abstract weightStateCpu(): { values: Float32Array; gradient: Float32Array; velocity: Float32Array; second: Float32Array };
  protected abstract encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void;
  protected abstract encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void;
  protected abstract encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void;
  protected abstract weightStateGpu(): { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer };

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.constructor.name} layer`);
  }

  private requireGpu(): LayerGpu {
    this.assertLive();
    if (!this.gpu) throw new InvalidArgumentError('engine', 'attach the layer to a WebGPU engine before recording GPU passes');
    return this.gpu;
  }

  protected requireEngine(): Engine {
    this.assertLive();
    if (!this.engine) throw new InvalidArgumentError('engine', 'attach(engine) the layer before using it');
    if (this.engine.isDisposed) throw new DisposedError('engine');
    return this.engine;
  }
}
