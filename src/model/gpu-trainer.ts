import { activate, derive } from '../../kernels/activation.js';
import { corruptInputs } from '../../kernels/corrupt.js';
import { mseLoss } from '../../kernels/mse.js';
import { accumulateMetrics, softmaxCrossEntropy, softmaxMetrics } from '../../kernels/softmax-ce.js';
import { BufferOwner, OperationScope, type GpuContext, type Step } from '../gpu/gpu-context.js';
import { activationParams } from './stages.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { isIdentity, lastStage, metricsFrom, type GradientSnapshot, type Metrics, type Trainer, type TrainerSettings } from './trainer.js';

type Mode = 'train' | 'evaluate' | 'predict' | 'gradient';

/**
 * @internal How GpuTrainer records a step: `fused` (the default) records
 * each stage's forward, backward and gradient step as one pass each where
 * the format allows (CSR, N:M) and softmax with the metrics as one; false
 * records the separate passes (product, bias, activation, derivative,
 * gradient, optimizer, softmax, metrics), kept as the reference the fused
 * step is tested and timed against.
 */
export const trainStepRecording = { fused: true };

/**
 * One recorded pass of the whole model for one batch size: its activation
 * buffers and its dispatches, built once and submitted for every batch, so a
 * training step creates nothing and reads nothing back.
 */
interface ResidentPass {
  scope: OperationScope;
  steps: Step[];
  /** Where the host writes a batch: the forward's input, or (corrupting) the clean targets. */
  x: GPUBuffer;
  labels: GPUBuffer;
  /** A corrupting training pass: the batch's data-set indices (the noise streams). */
  samples?: GPUBuffer;
  /** The last stage's output: logits, then gradient (train) or probabilities. */
  output: GPUBuffer;
  /** 'gradient' mode: every stage's input and output gradient after the pass. */
  operands?: Array<{ X: GPUBuffer; dY: GPUBuffer }>;
}

/**
 * The WebGPU trainer: activations, gradients, weights and optimizer state stay
 * on the GPU; per batch only the inputs, labels and the step number are
 * written, and the loss/accuracy sums are read back once per readMetrics().
 */
export class GpuTrainer implements Trainer {
  private readonly shared: BufferOwner;
  /** [mean loss, Σ correct, samples] accumulated on the GPU (the loss as a mean: an f32 sum overflows). */
  private readonly metrics: GPUBuffer;
  /** [training step]: seeds the dropout masks of the batch. */
  private readonly stepBuffer: GPUBuffer;
  /** [t]: the optimizer's 1-based update count (Adam's bias correction). */
  private readonly updateBuffer: GPUBuffer;
  private readonly passes = new Map<string, ResidentPass>();
  /** The sum of the layers' gpuBuffersVersion when the passes were recorded. */
  private recordedVersions = 0;
  private readonly stepWord = new Uint32Array(1);
  private labelWords = new Uint32Array(0);
  private submitted = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly settings: TrainerSettings,
  ) {
    this.shared = new BufferOwner(ctx);
    this.metrics = this.shared.output('metrics', 12);
    this.stepBuffer = this.shared.output('training step', 4);
    this.updateBuffer = this.shared.output('optimizer update count', 4);
  }

  resetMetrics(): void {
    this.ctx.device.queue.writeBuffer(this.metrics, 0, new Float32Array(3));
  }

  trainBatch(x: Float32Array, labels: Uint8Array, batch: number, step: number, t: number, samples?: Uint32Array): void {
    const pass = this.pass('train', batch);
    const { queue } = this.ctx.device;
    this.stepWord[0] = step >>> 0;
    queue.writeBuffer(this.stepBuffer, 0, this.stepWord);
    this.stepWord[0] = t >>> 0;
    queue.writeBuffer(this.updateBuffer, 0, this.stepWord);
    if (pass.samples) {
      if (!samples) throw new Error('internal: a corrupting trainer needs the batch sample indices');
      queue.writeBuffer(pass.samples, 0, samples.buffer, samples.byteOffset, batch * 4);
    }
    this.submit(pass, x, labels, batch, 'Sequential train step');
  }

  evaluateBatch(x: Float32Array, labels: Uint8Array, batch: number): void {
    this.submit(this.pass('evaluate', batch), x, labels, batch, 'Sequential evaluate');
  }

  async flush(): Promise<void> {
    this.ctx.assertUsable();
    if (this.submitted === 0) return;
    this.submitted = 0;
    await this.ctx.device.queue.onSubmittedWorkDone();
    this.ctx.assertUsable();
  }

  async readMetrics(): Promise<Metrics> {
    const [meanLoss, correct, samples] = await this.ctx.run('read metrics', (s) => {
      const out = s.output('metrics read-back', 12);
      s.copy(this.metrics, out, 12);
      return { result: out, byteLength: 12, decode: (b) => Array.from(new Float32Array(b)) };
    });
    // The sum in f64 on the host, where it cannot overflow.
    return metricsFrom(meanLoss! * samples!, correct!, samples!, this.settings.loss);
  }

  async predictBatch(x: Float32Array, batch: number): Promise<Float32Array> {
    const pass = this.pass('predict', batch);
    const inputs = this.settings.plan.stages[0]!.layer.in;
    this.ctx.device.queue.writeBuffer(pass.x, 0, x.buffer, x.byteOffset, inputs * batch * 4);
    const bytes = lastStage(this.settings.plan).layer.out * batch * 4;
    return this.ctx.run('Sequential predict', (s) => {
      s.dispatches.push(...pass.steps);
      return { result: pass.output, byteLength: bytes, decode: (b) => new Float32Array(b) };
    });
  }

  async gradientSnapshot(x: Float32Array, labels: Uint8Array, batch: number): Promise<GradientSnapshot> {
    // Recorded for this one use: the stage inputs it saves cost a copy of every activation.
    const pass = this.record('gradient', batch);
    try {
      const { queue } = this.ctx.device;
      const inputs = this.settings.plan.stages[0]!.layer.in;
      queue.writeBuffer(pass.x, 0, x.buffer, x.byteOffset, inputs * batch * 4);
      if (this.settings.loss === 'softmax-cross-entropy') {
        const words = Uint32Array.from(labels.subarray(0, batch));
        queue.writeBuffer(pass.labels, 0, words.buffer, 0, batch * 4);
      }
      await this.ctx.run('Sequential gradient batch', (s) => {
        s.dispatches.push(...pass.steps);
        return { result: pass.output, byteLength: 0, decode: () => undefined };
      });
    } catch (e) {
      pass.scope.release();
      throw e;
    }
    return {
      evolveStage: async (stage, zeta) => {
        const operands = pass.operands![stage.index]!;
        if (stage.layer instanceof SparseLinear) await stage.layer.evolveByResidentGradient(zeta, { X: operands.X, dY: operands.dY, batch });
      },
      release: () => pass.scope.release(),
    };
  }

  dispose(): void {
    this.invalidate();
    this.shared.release();
  }

  private submit(pass: ResidentPass, x: Float32Array, labels: Uint8Array, batch: number, label: string): void {
    this.ctx.assertUsable();
    const { queue } = this.ctx.device;
    const inputs = this.settings.plan.stages[0]!.layer.in;
    queue.writeBuffer(pass.x, 0, x.buffer, x.byteOffset, inputs * batch * 4);
    if (this.settings.loss === 'softmax-cross-entropy') {
      if (this.labelWords.length < batch) this.labelWords = new Uint32Array(batch);
      for (let j = 0; j < batch; j++) this.labelWords[j] = labels[j]!;
      queue.writeBuffer(pass.labels, 0, this.labelWords.buffer, 0, batch * 4);
    }
    const encoder = this.ctx.device.createCommandEncoder({ label });
    this.ctx.encode(encoder, pass.steps, label);
    queue.submit([encoder.finish()]);
    this.submitted++;
  }

  /** Drops the recorded passes (and their activation buffers). */
  private invalidate(): void {
    for (const pass of this.passes.values()) pass.scope.release();
    this.passes.clear();
  }

  private pass(mode: Mode, batch: number): ResidentPass {
    // Evolution (fit's own, or layer.evolve() from a callback) replaced
    // buffers the recorded passes bind: record again. Versions only grow, so
    // their sum changes exactly when one does.
    let versions = 0;
    for (const stage of this.settings.plan.stages) versions += stage.layer.gpuBuffersVersion;
    if (versions !== this.recordedVersions) {
      this.invalidate();
      this.recordedVersions = versions;
    }
    const key = `${mode}:${batch}`;
    let pass = this.passes.get(key);
    if (!pass) {
      pass = this.record(mode, batch);
      this.passes.set(key, pass);
    }
    return pass;
  }

  /** Records the model's dispatches for one mode and batch size. */
  private record(mode: Mode, batch: number): ResidentPass {
    return trainStepRecording.fused ? this.recordFused(mode, batch) : this.recordSeparate(mode, batch);
  }

  /**
   * The fused recording. Per stage i: Z[i] = W·A[i−1] + b and A[i] = f(Z[i])
   * · mask in one pass (Z kept for f'); softmax with the metrics in one; then
   * from the last stage down, first the backward gather into the previous
   * stage (it reads W before the update), writing dZ over that stage's Z,
   * then the gradient step, which reads A[i−1] (intact: no gradient
   * overwrites an activation) and dZ[i] and updates W and b where their
   * gradients are computed. The reference MLP: 4 + 1 + 3 + 4 = 12 dispatches
   * with SGD (Adam adds a bias pass per layer).
   */
  private recordFused(mode: Mode, batch: number): ResidentPass {
    const { plan, optimizer, seed } = this.settings;
    const s = new OperationScope(this.ctx);
    try {
      const training = mode === 'train';
      const gradient = mode === 'gradient';
      const first = plan.stages[0]!.layer;
      const { x, input, samples } = this.recordInputs(s, mode, batch);
      const labels = s.output('batch labels', batch * 4);
      const last = plan.stages.length - 1;
      const step = this.stepBuffer;
      const act = (i: number) => ({ p: activationParams(plan.stages[i]!, seed), training, step });
      // z: pre-activations, then (backward) the stages' output gradients; a: activations, never overwritten.
      const z: GPUBuffer[] = [];
      const a: GPUBuffer[] = [];
      plan.stages.forEach((stage, i) => {
        const count = stage.layer.out * batch;
        z.push(s.output(`z${i}`, count * 4));
        // A linear output is Z itself.
        const activated = i < last || (!plan.softmax && !isIdentity(stage));
        if (activated) a.push(s.output(i < last ? `a${i}` : 'outputs', count * 4));
        // A model without softmax outputs its last activation, without dropout.
        const stageAct = i < last ? act(i) : { ...act(i), training: false };
        stage.layer.encodeStageForward(s, batch, i === 0 ? input : a[i - 1]!, z[i]!, activated ? { A: a[i]!, act: stageAct } : undefined);
      });
      const classes = plan.stages[last]!.layer.out;
      const output = plan.softmax || a.length === last ? z[last]! : a[last]!;
      if (plan.softmax) {
        if (mode === 'train' || mode === 'evaluate') softmaxMetrics.encode(s, classes, batch, output, labels, this.metrics, training);
        else softmaxCrossEntropy.encode(s, classes, batch, output, gradient ? labels : undefined, s.output('per-sample loss', 2 * batch * 4), gradient);
      } else if (mode !== 'predict' && this.settings.loss === 'mse') {
        this.recordMse(s, mode, batch, output, z[last]!, x);
      }
      const operands: Array<{ X: GPUBuffer; dY: GPUBuffer }> = [];
      if (training || gradient) {
        let dY = output;
        for (let i = last; i >= 0; i--) {
          const stage = plan.stages[i]!;
          const stageInput = i === 0 ? input : a[i - 1]!;
          operands[i] = { X: stageInput, dY };
          // No dropout in a gradient snapshot (its forward ran without it).
          const below = i > 0 ? stage.layer.encodeStageBackward(s, batch, dY, z[i - 1]!, act(i - 1)) : undefined;
          if (training) stage.layer.encodeStageUpdate(s, batch, stageInput, dY, optimizer, this.updateBuffer);
          if (below) dY = below;
        }
      }
      return { scope: s, steps: s.dispatches, x, labels, output, ...(samples ? { samples } : {}), ...(gradient ? { operands } : {}) };
    } catch (e) {
      s.release();
      throw e;
    }
  }

  /**
   * The batch buffers of a pass: `x`, which the host writes, and `input`,
   * which the first stage reads. They are one buffer except in a corrupting
   * training pass, where x holds the clean batch (the MSE targets) and the
   * pass's first dispatch writes x + σ·N(0, 1) into input, with the noise of
   * the data-set indices in `samples`.
   */
  private recordInputs(s: OperationScope, mode: Mode, batch: number): { x: GPUBuffer; input: GPUBuffer; samples?: GPUBuffer } {
    const { plan, corruption, loss } = this.settings;
    const features = plan.stages[0]!.layer.in;
    const x = s.output('batch inputs', features * batch * 4);
    if (mode !== 'train' || loss !== 'mse' || !corruption) return { x, input: x };
    const samples = s.output('batch sample indices', batch * 4);
    const input = s.output('corrupted batch inputs', features * batch * 4);
    corruptInputs.encode(s, features, batch, x, samples, input, corruption);
    return { x, input, samples };
  }

  /**
   * The reconstruction loss against the clean batch `targets`: per-sample
   * MSE (and, training, y − t in place in `output`) with the metrics
   * folded in; when the output stage is not linear, dY · f'(Z) then makes
   * `output` the last stage's dZ, as softmax's p − onehot is for a classifier.
   */
  private recordMse(s: OperationScope, mode: Mode, batch: number, output: GPUBuffer, z: GPUBuffer, targets: GPUBuffer): void {
    const { plan, seed } = this.settings;
    const stage = lastStage(plan);
    const count = stage.layer.out * batch;
    const backward = mode === 'train' || mode === 'gradient';
    const perSample = s.output('per-sample loss', 2 * batch * 4);
    mseLoss.encode(s, stage.layer.out, batch, output, targets, perSample, backward);
    if (mode === 'train' || mode === 'evaluate') accumulateMetrics.encode(s, batch, perSample, this.metrics);
    if (backward && output !== z) derive.encode(s, count, { ...activationParams(stage, seed), rate: 0 }, z, output, this.stepBuffer);
  }

  /** The separate passes of every stage (trainStepRecording.fused = false). */
  private recordSeparate(mode: Mode, batch: number): ResidentPass {
    const { plan, optimizer, seed } = this.settings;
    const s = new OperationScope(this.ctx);
    try {
      const training = mode === 'train';
      const { x, input: corrupted, samples } = this.recordInputs(s, mode, batch);
      const labels = s.output('batch labels', batch * 4);
      const perSample = s.output('per-sample loss', 2 * batch * 4);
      // z: pre-activations; a: activations, reused in backward for dA → dZ
      // once the next layer's weight gradient has consumed them.
      const z: GPUBuffer[] = [];
      const a: GPUBuffer[] = [];
      const last = plan.stages.length - 1;
      plan.stages.forEach((stage, i) => {
        const count = stage.layer.out * batch;
        z.push(s.output(`z${i}`, count * 4));
        stage.layer.encodeForwardPass(s, batch, i === 0 ? corrupted : a[i - 1]!, z[i]!);
        if (i < last) {
          a.push(s.output(`a${i}`, count * 4));
          activate.encode(s, count, activationParams(stage, seed), training, z[i]!, a[i]!, this.stepBuffer);
        }
      });
      let output = z[last]!;
      if (!plan.softmax && !isIdentity(plan.stages[last]!)) {
        // A model without softmax outputs its last activation, without dropout (a linear output is Z itself).
        output = s.output('outputs', plan.stages[last]!.layer.out * batch * 4);
        activate.encode(s, plan.stages[last]!.layer.out * batch, activationParams(plan.stages[last]!, seed), false, z[last]!, output, this.stepBuffer);
      }
      const classes = plan.stages[last]!.layer.out;
      if (plan.softmax) {
        softmaxCrossEntropy.encode(s, classes, batch, output, mode === 'predict' ? undefined : labels, perSample, training || mode === 'gradient');
        if (mode === 'train' || mode === 'evaluate') accumulateMetrics.encode(s, batch, perSample, this.metrics);
      } else if (mode !== 'predict' && this.settings.loss === 'mse') {
        this.recordMse(s, mode, batch, output, z[last]!, x);
      }
      const gradient = mode === 'gradient';
      const operands: Array<{ X: GPUBuffer; dY: GPUBuffer }> = [];
      if (training || gradient) {
        for (let i = last; i >= 0; i--) {
          const stage = plan.stages[i]!;
          const dZ = i === last ? output : a[i]!;
          let input = i === 0 ? corrupted : a[i - 1]!;
          if (gradient && i > 0) {
            // The backward below overwrites this activation with its gradient: keep a copy for RigL.
            const saved = s.output(`saved input ${i}`, stage.layer.in * batch * 4);
            s.copy(input, saved, stage.layer.in * batch * 4);
            input = saved;
          }
          operands[i] = { X: input, dY: dZ };
          stage.layer.encodeBackwardPass(s, batch, input, dZ, i > 0 ? a[i - 1] : undefined);
          if (i > 0) {
            const prev = plan.stages[i - 1]!;
            // No dropout in a gradient snapshot (the forward ran without it).
            derive.encode(s, prev.layer.out * batch, { ...activationParams(prev, seed), rate: gradient ? 0 : prev.rate }, z[i - 1]!, a[i - 1]!, this.stepBuffer);
          }
        }
        if (training) for (const stage of plan.stages) stage.layer.encodeOptimizerPass(s, optimizer, this.updateBuffer);
      }
      return { scope: s, steps: s.dispatches, x, labels, output, ...(samples ? { samples } : {}), ...(gradient ? { operands } : {}) };
    } catch (e) {
      s.release();
      throw e;
    }
  }
}
