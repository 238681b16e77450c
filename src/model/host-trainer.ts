import { activate, derive } from '../../kernels/activation.js';
import { softmaxCrossEntropy } from '../../kernels/softmax-ce.js';
import { DenseMatrix } from '../formats/dense.js';
import { activationParams } from './stages.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { lastStage, metricsFrom, type GradientSnapshot, type Metrics, type Trainer, type TrainerSettings } from './trainer.js';

/** The CPU backend's trainer: the GPU passes in the same order, over typed arrays. */
export class HostTrainer implements Trainer {
  private lossSum = 0;
  private correct = 0;
  private samples = 0;

  constructor(private readonly settings: TrainerSettings) {}

  resetMetrics(): void {
    this.lossSum = 0;
    this.correct = 0;
    this.samples = 0;
  }

  trainBatch(x: Float32Array, labels: Uint8Array, batch: number, step: number, t: number): void {
    const { plan, optimizer, seed } = this.settings;
    const { inputs, pre } = this.forward(x, batch, true, step);
    const logits = pre[pre.length - 1]!;
    this.score(logits, labels, batch, true);
    // Backward: dZ of the last stage is p − onehot, now in place in its logits.
    let dZ = logits;
    for (let i = plan.stages.length - 1; i >= 0; i--) {
      const stage = plan.stages[i]!;
      const dX = stage.layer.backwardHost(inputs[i]!, dZ, i > 0);
      if (i > 0) {
        derive.cpu(pre[i - 1]!.data, dX!.data, activationParams(plan.stages[i - 1]!, seed), step);
        dZ = dX!;
      }
    }
    for (const stage of plan.stages) stage.layer.optimizeHost(optimizer, t);
  }

  evaluateBatch(x: Float32Array, labels: Uint8Array, batch: number): void {
    const { pre } = this.forward(x, batch, false, 0);
    this.score(pre[pre.length - 1]!, labels, batch, false);
  }

  /** Yields to the event loop (a macrotask), so a page or worker can handle a Stop between batches. */
  async flush(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  async readMetrics(): Promise<Metrics> {
    return metricsFrom(this.lossSum, this.correct, this.samples);
  }

  async predictBatch(x: Float32Array, batch: number): Promise<Float32Array> {
    const { pre } = this.forward(x, batch, false, 0);
    const logits = pre[pre.length - 1]!;
    if (this.settings.plan.softmax) softmaxCrossEntropy.cpu(lastStage(this.settings.plan).layer.out, batch, logits.data, undefined, false);
    return logits.data;
  }

  async gradientSnapshot(x: Float32Array, labels: Uint8Array, batch: number): Promise<GradientSnapshot> {
    const { plan, seed } = this.settings;
    const { inputs, pre } = this.forward(x, batch, false, 0);
    const logits = pre[pre.length - 1]!;
    softmaxCrossEntropy.cpu(logits.rows, batch, logits.data, labels, true);
    const dZ: DenseMatrix[] = [];
    dZ[plan.stages.length - 1] = logits;
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

  dispose(): void {}

  /** Runs the stages; returns each stage's input and pre-activation (the last one: the logits). */
  private forward(x: Float32Array, batch: number, training: boolean, step: number): { inputs: DenseMatrix[]; pre: DenseMatrix[] } {
    const { plan, seed } = this.settings;
    const inputs: DenseMatrix[] = [];
    const pre: DenseMatrix[] = [];
    let a = new DenseMatrix(plan.stages[0]!.layer.in, batch, x.subarray(0, plan.stages[0]!.layer.in * batch));
    plan.stages.forEach((stage, i) => {
      inputs.push(a);
      const z = stage.layer.forwardHost(a);
      pre.push(z);
      if (i < plan.stages.length - 1) {
        const next = new DenseMatrix(z.rows, batch);
        activate.cpu(z.data, next.data, activationParams(stage, seed), training, step);
        a = next;
      } else if (!plan.softmax) {
        // A model without softmax outputs its last activation (predict only).
        activate.cpu(z.data, z.data, activationParams(stage, seed), false, 0);
      }
    });
    return { inputs, pre };
  }

  private score(logits: DenseMatrix, labels: Uint8Array, batch: number, gradient: boolean): void {
    const { loss, correct } = softmaxCrossEntropy.cpu(logits.rows, batch, logits.data, labels, gradient);
    this.lossSum += loss;
    this.correct += correct;
    this.samples += batch;
  }
}
