import { checkDense, checkRowsMatch, checkSameCols } from '../../kernels/checks.js';
import { addBias, biasStep, rowSums, sgdMomentum } from '../../kernels/elementwise.js';
import { adam } from '../../kernels/adam.js';
import { activate, derive } from '../../kernels/activation.js';
import type { StageActivation } from '../../kernels/spmm.js';
import { timed, type PhaseProbe } from '../model/profile.js';
import type { HostPasses, ResidentOperand, ResidentPart } from '../../kernels/resident/operand.js';
import type { AdamOptions, SgdOptions } from '../options.js';
import type { Engine } from '../engine/engine.js';
import { BufferOwner, OperationScope, type GpuContext } from '../gpu/gpu-context.js';
import { DeviceLostError, DisposedError, InvalidArgumentError } from '../errors.js';
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

/** @internal One array of a layer's training state on the GPU: read back into a host array of this type and length. */
export type StatePart = ResidentPart;

/** @internal Read-back state arrays, taken in the order of the parts they came from. */
export class StateArrays {
  private next = 0;
  constructor(private readonly arrays: ReadonlyArray<Float32Array | Uint32Array>) {}

  f32(): Float32Array {
    const a = this.arrays[this.next++];
    if (!(a instanceof Float32Array)) throw new TypeError(`state array ${this.next - 1} is not a Float32Array`);
    return a;
  }

  u32(): Uint32Array {
    const a = this.arrays[this.next++];
    if (!(a instanceof Uint32Array)) throw new TypeError(`state array ${this.next - 1} is not a Uint32Array`);
    return a;
  }
}

/** The reason a context's device was lost (its DeviceLostError carries it). */
function lossReason(ctx: GpuContext): string {
  try {
    ctx.assertUsable();
  } catch (e) {
    if (e instanceof DeviceLostError) return e.reason;
  }
  return 'unknown';
}

/** The GPU side every linear layer has: its context and the bias state. */
export interface LayerGpu {
  ctx: GpuContext;
  /** Buffers that live as long as the layer. */
  fixed: BufferOwner;
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
export abstract class LinearLayer<W = unknown, O extends ResidentOperand = ResidentOperand> {
  readonly in: number;
  readonly out: number;
  /**
   * The weights in their format: the state itself on the CPU backend, the
   * host copy (see hostCopy) while attached to WebGPU. The subclass sets it
   * with setWeightState in its constructor.
   */
  protected W!: W;
  /** Momentum (Adam's first moment), aligned with the format's values. */
  protected velocity!: Float32Array;
  /** Adam's second moment, aligned like velocity; follows its weight through evolution. */
  protected second!: Float32Array;
  protected gradW!: Float32Array;
  /** The weights on the GPU while attached to a WebGPU engine. */
  protected operand: O | undefined;
  protected bias: Float32Array;
  private biasVelocity: Float32Array;
  private biasSecond: Float32Array;
  private gradB: Float32Array;
  private engine: Engine | undefined;
  protected gpu: LayerGpu | undefined;
  private disposed = false;
  /**
   * While the state lives on the GPU, the host arrays are a copy of it at
   * some point (attach, or a model's end-of-epoch copy): what they hold, and
   * whether the GPU has moved on since. After a device loss they are what is
   * left.
   */
  private hostCopy = { description: 'the state of this layer when it was attached', current: true };
  /** Set when the layer left a lost device: attach(newEngine) continues from the host copy. */
  private lost: { reason: string; description: string } | undefined;

  constructor(
    inputs: number,
    outputs: number,
    bias: Float32Array | undefined,
    /** The format's CPU passes (kernels/resident/): what the host twins of the GPU passes run. */
    private readonly passes: HostPasses<W>,
  ) {
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
    this.gpuStateChanging();
  }

  /** @internal The GPU state moves past the host copy (a training step, an evolve): a loss from now on loses work. */
  gpuStateChanging(): void {
    if (this.gpu) this.hostCopy.current = false;
  }

  /**
   * @internal The arrays of the layer's training state on the GPU, in a fixed
   * order: biases and their optimizer moments, then the subclass's weights
   * with their structure and moments. What a model keeps at every epoch end.
   */
  keptStateParts(): StatePart[] {
    const gpu = this.requireGpu();
    const bias = (buffer: GPUBuffer): StatePart => ({ buffer, type: 'f32', length: this.out });
    return [bias(gpu.bias), bias(gpu.biasVelocity), bias(gpu.biasSecond), ...this.resident().parts()];
  }

  /**
   * @internal Makes read-back arrays (in keptStateParts() order) the layer's
   * host copy, described for a later DeviceLostError (e.g. "the model state at
   * the end of epoch 3"). The GPU state is untouched: the copy is only used
   * if the device is lost.
   */
  keepHostCopy(arrays: StateArrays, description: string): void {
    this.bias = arrays.f32();
    this.biasVelocity = arrays.f32();
    this.biasSecond = arrays.f32();
    this.keepWeightState(arrays);
    this.hostCopy = { description, current: true };
  }

  /** @internal Whether the host copy equals the GPU state (nothing to read back to keep it). */
  get hostCopyIsCurrent(): boolean {
    return this.hostCopy.current;
  }

  /** @internal Renames a current host copy (e.g. "the model state at the start of this fit"). */
  describeHostCopy(description: string): void {
    this.hostCopy.description = description;
  }

  /** @internal Whether the layer's device was lost (its state then lives only in the host copy). */
  get deviceLost(): boolean {
    return this.gpu?.ctx.isLost === true;
  }

  /**
   * @internal Leaves a lost device: the host copy becomes the layer's state
   * (the GPU buffers are gone with the device) and the layer is unattached,
   * so attach(newEngine) continues from the copy. A model calls this for its
   * layers, whose host copies it keeps consistent.
   */
  detachAfterLoss(): void {
    const gpu = this.gpu;
    if (!gpu || !gpu.ctx.isLost) return;
    this.lost = { reason: lossReason(gpu.ctx), description: this.hostCopy.description };
    this.releaseWeights();
    gpu.fixed.release();
    this.gpu = undefined;
    this.engine = undefined;
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

  /**
   * Binds the layer to an engine; on WebGPU its state moves to the GPU once,
   * here. A layer whose engine lost its device can be attached to a new one
   * (WebGPU or CPU): it continues from its host copy (see DeviceLostError).
   */
  attach(engine: Engine): void {
    if (this.disposed) throw new DisposedError(`${this.constructor.name} layer`);
    if (this.gpu?.ctx.isLost) {
      if (this.engine === engine) throw this.lossError(lossReason(this.gpu.ctx));
      this.detachAfterLoss();
    }
    if (this.engine === engine) return;
    if (this.engine) throw new InvalidArgumentError('engine', 'this layer is already attached to another engine (one whose device still works)');
    const ctx = engine.gpuContextForLayers();
    this.engine = engine;
    this.lost = undefined;
    this.hostCopy = { description: `the state of this ${this.constructor.name} when it was attached`, current: true };
    if (!ctx) return;
    const fixed = new BufferOwner(ctx);
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

  /**
   * @internal Undoes an attach nothing has run on yet (a model whose move to
   * a new engine failed part-way): the GPU copy goes, the host state (which
   * attach only uploads) stays, and the layer is unattached again.
   */
  detachUnused(): void {
    this.releaseWeights();
    this.gpu?.fixed.release();
    this.gpu = undefined;
    this.engine = undefined;
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
    this.gpuStateChanging();
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
    this.resident().encodeForward(s, batch, X, Y);
    addBias.encode(s, this.out, batch, Y, gpu.bias);
  }

  /** @internal Records the weight and bias gradients (batch means) and, when dX is given, dX = Wᵀ·dY. */
  encodeBackwardPass(s: OperationScope, batch: number, X: GPUBuffer, dY: GPUBuffer, dX: GPUBuffer | undefined): void {
    const gpu = this.requireGpu();
    const alpha = 1 / Math.max(1, batch);
    const operand = this.resident();
    operand.encodeGradient(s, batch, alpha, dY, X);
    rowSums.encode(s, this.out, batch, alpha, dY, gpu.gradB);
    if (dX) operand.encodeBackward(s, batch, dY, dX);
  }

  // A Sequential's training step records the three passes below per stage
  // (src/model/gpu-trainer.ts): one dispatch each where the format fuses
  // them (CSR, N:M), else the separate passes above with addBias, activate,
  // derive and the optimizer, in the same f32 steps.

  /**
   * @internal Records Z = W·X + b and, with `activation`, A = f(Z) · mask
   * (the stage's nonlinearity and dropout); Z is kept for the backward pass.
   */
  encodeStageForward(s: OperationScope, batch: number, X: GPUBuffer, Z: GPUBuffer, activation: { A: GPUBuffer; act: StageActivation<GPUBuffer> } | undefined): void {
    const gpu = this.requireGpu();
    const operand = this.resident();
    if (operand.encodeForwardStage) {
      operand.encodeForwardStage(s, batch, X, { Z, bias: gpu.bias, ...(activation ? { activation } : {}) });
      return;
    }
    operand.encodeForward(s, batch, X, Z);
    addBias.encode(s, this.out, batch, Z, gpu.bias);
    if (activation) activate.encode(s, this.out * batch, activation.act.p, activation.act.training, Z, activation.A, activation.act.step);
  }

  /**
   * @internal Records the previous stage's dZ = (Wᵀ·dY) ⊙ f'(Z) ⊙ mask from
   * its pre-activations Z (in × batch), reading W before this step's update.
   * Returns the buffer holding dZ: Z itself where the format fuses the
   * derivative into its gather, else a buffer of `s`.
   */
  encodeStageBackward(s: OperationScope, batch: number, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>): GPUBuffer {
    const operand = this.resident();
    if (operand.encodeBackwardStage) {
      operand.encodeBackwardStage(s, batch, dY, Z, act);
      return Z;
    }
    const dX = s.output('stage input gradient', this.in * batch * 4);
    operand.encodeBackward(s, batch, dY, dX);
    derive.encode(s, this.in * batch, act.training ? act.p : { ...act.p, rate: 0 }, Z, dX, act.step);
    return dX;
  }

  /**
   * @internal Records the stage's gradient step: the batch-mean gradients of
   * W and b from X and dY, applied by the optimizer (`t`: Adam's update count).
   */
  encodeStageUpdate(s: OperationScope, batch: number, X: GPUBuffer, dY: GPUBuffer, optimizer: OptimizerSettings, t: GPUBuffer): void {
    const gpu = this.requireGpu();
    const alpha = 1 / Math.max(1, batch);
    const operand = this.resident();
    const bias = { bias: gpu.bias, velocity: gpu.biasVelocity, second: gpu.biasSecond };
    if (operand.encodeGradientStep) {
      operand.encodeGradientStep(s, batch, alpha, dY, X, bias, optimizer, t);
      return;
    }
    operand.encodeGradient(s, batch, alpha, dY, X);
    const w = operand.state;
    if (optimizer.kind === 'sgd') sgdMomentum.encode(s, this.weightCount, w.values, w.gradient, w.velocity, optimizer);
    else adam.encode(s, this.weightCount, w.values, w.gradient, w.velocity, w.second, t, optimizer);
    biasStep.encode(s, this.out, batch, alpha, dY, bias, optimizer, t);
  }

  /** @internal Records one SGD step of weights and biases. */
  encodeStepPass(s: OperationScope, options: SgdOptions): void {
    const gpu = this.requireGpu();
    const w = this.resident().state;
    sgdMomentum.encode(s, this.weightCount, w.values, w.gradient, w.velocity, options);
    sgdMomentum.encode(s, this.out, gpu.bias, gpu.gradB, gpu.biasVelocity, options);
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
    const w = this.resident().state;
    adam.encode(s, this.weightCount, w.values, w.gradient, w.velocity, w.second, step, optimizer);
    adam.encode(s, this.out, gpu.bias, gpu.gradB, gpu.biasVelocity, gpu.biasSecond, step, optimizer);
  }

  /** @internal Host twin of encodeOptimizerPass; t is Adam's 1-based update count. */
  optimizeHost(optimizer: OptimizerSettings, t: number, probe?: PhaseProbe): void {
    timed(probe, 'optimizer', () => {
      if (optimizer.kind === 'sgd') {
        this.stepHost(optimizer);
        return;
      }
      const w = this.weightStateCpu();
      adam.cpu(w.values, w.gradient, w.velocity, w.second, t, optimizer);
      adam.cpu(this.bias, this.gradB, this.biasVelocity, this.biasSecond, t, optimizer);
    });
  }

  /** @internal Host twin of encodeForwardPass. */
  forwardHost(X: DenseMatrix, probe?: PhaseProbe): DenseMatrix {
    const Y = timed(probe, 'forward product', () => this.passes.forward(this.W, X));
    timed(probe, 'bias', () => addBias.cpu(this.out, X.cols, Y.data, this.bias));
    return Y;
  }

  /** @internal Host twin of encodeBackwardPass; returns dX when asked. */
  backwardHost(X: DenseMatrix, dY: DenseMatrix, wantDx: boolean, probe?: PhaseProbe): DenseMatrix | undefined {
    const batch = X.cols;
    const alpha = 1 / Math.max(1, batch);
    const gradient = timed(probe, 'gradient product', () => this.passes.gradient(this.W, X, dY, alpha));
    timed(probe, 'gradient copy', () => this.gradW.set(gradient));
    timed(probe, 'bias gradient', () => rowSums.cpu(this.out, batch, alpha, dY.data, this.gradB));
    return wantDx ? timed(probe, 'backward product', () => this.passes.backward(this.W, dY)) : undefined;
  }

  /** @internal Host twin of encodeStepPass. */
  stepHost(options: SgdOptions): void {
    const w = this.weightStateCpu();
    sgdMomentum.cpu(w.values, w.gradient, w.velocity, options);
    sgdMomentum.cpu(this.bias, this.gradB, this.biasVelocity, options);
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

  /** Sets the weights with their optimizer moments (zero unless given) and a gradient buffer to match. */
  protected setWeightState(W: W, velocity?: Float32Array, second?: Float32Array): void {
    const count = this.passes.values(W).length;
    this.W = W;
    this.velocity = velocity ?? new Float32Array(count);
    this.second = second ?? new Float32Array(count);
    if (this.gradW?.length !== count) this.gradW = new Float32Array(count);
  }

  /** Moves the weight state to the GPU (called once by attach on WebGPU). */
  protected abstract attachWeights(gpu: LayerGpu): void;
  /**
   * The weights on the GPU in their format's resident operand: the passes
   * record through it, and its parts() are the weight state keptStateParts()
   * lists. Only called while the layer is attached to a WebGPU engine.
   */
  protected resident(): O {
    if (!this.operand) throw new Error('internal: the layer has no resident weights (not attached to a WebGPU engine)');
    return this.operand;
  }

  /** Takes the read-back arrays of the operand's parts(), in order, as the host weight state. */
  protected abstract keepWeightState(arrays: StateArrays): void;

  private releaseWeights(): void {
    this.operand?.release();
    this.operand = undefined;
  }

  private weightStateCpu(): { values: Float32Array; gradient: Float32Array; velocity: Float32Array; second: Float32Array } {
    return { values: this.passes.values(this.W), gradient: this.gradW, velocity: this.velocity, second: this.second };
  }

  /**
   * Every public method passes here first. After a device loss the layer
   * leaves the lost device when its host copy is current (nothing was lost;
   * reads then answer from the copy); otherwise the GPU updates since the
   * copy are gone, and that is an error that says what is left.
   */
  protected assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.constructor.name} layer`);
    const gpu = this.gpu;
    if (gpu?.ctx.isLost) {
      if (!this.hostCopy.current) throw this.lossError(lossReason(gpu.ctx));
      this.detachAfterLoss();
    }
  }

  private lossError(reason: string): DeviceLostError {
    const description = this.lost?.description ?? this.hostCopy.description;
    const since = this.hostCopy.current || this.lost ? '' : ' (its GPU updates since then are lost)';
    return new DeviceLostError(reason, {
      description: `${description}${since}`,
      resume: 'layer.attach(newEngine) (or model.attach(newEngine) for a model\'s layers) continues from it, on WebGPU or the CPU',
    });
  }

  private requireGpu(): LayerGpu {
    this.assertLive();
    if (!this.gpu) throw new InvalidArgumentError('engine', 'attach the layer to a WebGPU engine before recording GPU passes');
    return this.gpu;
  }

  protected requireEngine(): Engine {
    this.assertLive();
    if (!this.engine && this.lost) throw this.lossError(this.lost.reason);
    if (!this.engine) throw new InvalidArgumentError('engine', 'attach(engine) the layer before using it');
    if (this.engine.isDisposed) throw new DisposedError('engine');
    return this.engine;
  }
}
