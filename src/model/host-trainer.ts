import { activate, derive } from '../../kernels/activation.js';
import { corruptInputs } from '../../kernels/corrupt.js';
import { mseLoss } from '../../kernels/mse.js';
import { softmaxCrossEntropy } from '../../kernels/softmax-ce.js';
import { DenseMatrix } from '../formats/dense.js';
import { activationParams } from './stages.js';
import { timed, type PhaseProbe } from './profile.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { isIdentity, lastStage, metricsFrom, type GradientSnapshot, type Metrics, type Trainer, type TrainerSettings } from './trainer.js';

/** The CPU backend's trainer: the GPU passes in the same order, over typed arrays. */
export class HostTrainer implements Trainer {
  private lossSum = 0;
  private correct = 0;
  private samples = 0;
  /** The corrupted batch (the clean one stays the target). */
  private noisy = new Float32Array(0);
  /**
   * The hidden activations of the batch being trained or evaluated, per
   * stage, reused from batch to batch: at a million neurons each is 64 MB,
   * which allocating afresh every batch turned into page faults and GC work.
   */
  private hidden: Float32Array[] = [];

  constructor(private readonly settings: TrainerSettings) {}

  resetMetrics(): void {
    this.lossSum = 0;
    this.correct = 0;
    this.samples = 0;
  }

  trainBatch(x: Float32Array, labels: Uint8Array, batch: number, step: number, t: number, samples?: Uint32Array): void {
    const { plan, optimizer, seed } = this.settings;
    const input = this.settings.corruption ? timed(this.probe(-1), 'input corruption', () => this.corrupted(x, batch, samples)) : x;
    const { inputs, pre, output } = this.forward(input, batch, true, step, true);
    // Backward: dZ of the last stage is p − onehot (or y − x, times f'(z)), in place in the output.
    const dZ0 = timed(this.probe(-1), 'loss', () => this.score(output, pre[pre.length - 1]!, x, labels, batch, true));
    let dZ = dZ0;
    for (let i = plan.stages.length - 1; i >= 0; i--) {
      const stage = plan.stages[i]!;
      const probe = this.probe(i);
      const dX = stage.layer.backwardHost(inputs[i]!, dZ, i > 0, probe);
      if (i > 0) {
        timed(this.probe(i - 1), 'activation derivative', () => derive.cpu(pre[i - 1]!.data, dX!.data, activationParams(plan.stages[i - 1]!, seed), step));
        dZ = dX!;
      }
    }
    plan.stages.forEach((stage, i) => stage.layer.optimizeHost(optimizer, t, this.probe(i)));
  }

  /** The clock's probe for layer i (−1: the model), when the fit is profiled. */
  private probe(layer: number): PhaseProbe | undefined {
    const clock = this.settings.clock;
    return clock ? { clock, layer } : undefined;
  }

  evaluateBatch(x: Float32Array, labels: Uint8Array, batch: number): void {
    const { pre, output } = this.forward(x, batch, false, 0, true);
    this.score(output, pre[pre.length - 1]!, x, labels, batch, false);
  }

  /** Yields to the event loop (a macrotask), so a page or worker can handle a Stop between batches. */
  async flush(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  async readMetrics(): Promise<Metrics> {
    return metricsFrom(this.lossSum, this.correct, this.samples, this.settings.loss);
  }

  async predictBatch(x: Float32Array, batch: number): Promise<Float32Array> {
    const { output } = this.forward(x, batch, false, 0);
    if (this.settings.plan.softmax) softmaxCrossEntropy.cpu(lastStage(this.settings.plan).layer.out, batch, output.data, undefined, false);
    return output.data;
  }

  async gradientSnapshot(x: Float32Array, labels: Uint8Array, batch: number): Promise<GradientSnapshot> {
    const { plan, seed } = this.settings;
    const { inputs, pre, output } = this.forward(x, batch, false, 0);
    const dZ: DenseMatrix[] = [];
    dZ[plan.stages.length - 1] = this.lossGradient(output, pre[pre.length - 1]!, x, labels, batch, true).dZ;
    for (let i = plan.stages.length - 1; i > 0; i--) {
      const dX = plan.stages[i]!.layer.backwardHost(inputs[i]!, dZ[i]!, true)!;
      derive.cpu(pre[i - 1]!.data, dX.data, { ...activationParams(plan.stages[i - 1]!, seed), rate: 0 }, 0);
      dZ[i - 1] = dX;
    }
    return {
      evolveStage: async (stage, zeta) => {
        if (stage.layer instanceof SparseLinear) await stage.layer.evolve({ zeta, seed: 0, growth: 'gradient', X: inputs[stage.index]!, dY: dZ[stage.index]! });
      },
      release: () => {},
    };
  }

  dispose(): void {
    this.hidden = [];
  }

  /** The batch the forward sees: x, or x + σ·N(0, 1) per (sample, feature) when the settings corrupt. */
  private corrupted(x: Float32Array, batch: number, samples: Uint32Array | undefined): Float32Array {
    const { corruption, loss, plan } = this.settings;
    if (loss !== 'mse' || !corruption) return x;
    if (!samples) throw new Error('internal: a corrupting trainer needs the batch sample indices');
    const count = plan.stages[0]!.layer.in * batch;
    if (this.noisy.length < count) this.noisy = new Float32Array(count);
    corruptInputs.cpu(plan.stages[0]!.layer.in, batch, x, samples, this.noisy, corruption);
    return this.noisy;
  }

  /**
   * Runs the stages; returns each stage's input and pre-activation and the
   * model's output: the last Z (logits, or a linear output), or f(Z) of the
   * last stage in a buffer of its own (Z is kept for f'). With `reuse` the
   * hidden activations live in the trainer's buffers, valid until the next
   * forward (a gradient snapshot keeps its own).
   */
  private forward(x: Float32Array, batch: number, training: boolean, step: number, reuse = false): { inputs: DenseMatrix[]; pre: DenseMatrix[]; output: DenseMatrix } {
    const { plan, seed } = this.settings;
    const inputs: DenseMatrix[] = [];
    const pre: DenseMatrix[] = [];
    let a = new DenseMatrix(plan.stages[0]!.layer.in, batch, x.subarray(0, plan.stages[0]!.layer.in * batch));
    let output: DenseMatrix | undefined;
    plan.stages.forEach((stage, i) => {
      inputs.push(a);
      // Evaluation is timed as a whole (Sequential), so only training batches probe.
      const probe = training ? this.probe(i) : undefined;
      const z = stage.layer.forwardHost(a, probe);
      pre.push(z);
      if (i < plan.stages.length - 1) {
        const next = reuse ? new DenseMatrix(z.rows, batch, this.hiddenBuffer(i, z.rows * batch)) : new DenseMatrix(z.rows, batch);
        timed(probe, 'activation + dropout', () => activate.cpu(z.data, next.data, activationParams(stage, seed), training, step));
        a = next;
      } else if (!plan.softmax && !isIdentity(stage)) {
        // The output's f, without dropout (as the GPU records it).
        output = new DenseMatrix(z.rows, batch);
        activate.cpu(z.data, output.data, activationParams(stage, seed), false, 0);
      } else {
        output = z;
      }
    });
    return { inputs, pre, output: output! };
  }

  private hiddenBuffer(stage: number, length: number): Float32Array {
    const held = this.hidden[stage];
    if (held && held.length >= length) return held.subarray(0, length);
    const fresh = new Float32Array(length);
    this.hidden[stage] = fresh;
    return fresh;
  }

  /** The loss of a batch into the metric sums; with `gradient`, returns dZ of the last stage. */
  private score(output: DenseMatrix, z: DenseMatrix, x: Float32Array, labels: Uint8Array, batch: number, gradient: boolean): DenseMatrix {
    const { dZ, loss, correct } = this.lossGradient(output, z, x, labels, batch, gradient);
    this.lossSum += loss;
    this.correct += correct;
    this.samples += batch;
    return dZ;
  }

  /**
   * Softmax cross-entropy on the labels (dZ = p − onehot in place), or MSE
   * against the clean inputs x (dY = y − x in place, then dZ = dY · f'(z)
   * when the output stage is not linear).
   */
  private lossGradient(output: DenseMatrix, z: DenseMatrix, x: Float32Array, labels: Uint8Array, batch: number, gradient: boolean): { dZ: DenseMatrix; loss: number; correct: number } {
    const { plan, seed, loss } = this.settings;
    if (loss === 'softmax-cross-entropy') return { dZ: output, ...softmaxCrossEntropy.cpu(output.rows, batch, output.data, labels, gradient) };
    const r = mseLoss.cpu(output.rows, batch, output.data, x, gradient);
    const last = lastStage(plan);
    if (gradient && output !== z) derive.cpu(z.data, output.data, { ...activationParams(last, seed), rate: 0 }, 0);
    return { dZ: output, ...r };
  }
}
