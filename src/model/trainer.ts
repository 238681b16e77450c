import type { CorruptionOptions } from '../../kernels/corrupt.js';
import type { Stage, StagePlan } from './stages.js';
import type { Optimizer } from './optimizer.js';
import type { PhaseClock } from './profile.js';

/**
 * What a trainer minimises: softmax cross-entropy on class labels, or the
 * mean squared error of a reconstruction of the (clean) inputs.
 */
export type TrainerLoss = 'softmax-cross-entropy' | 'mse';

/** Loss and accuracy summed over the samples since the last reset. */
export interface Metrics {
  loss: number;
  accuracy: number;
  samples: number;
}

/**
 * What Sequential needs from a backend to train and run a model; the GPU
 * implementation keeps every activation, gradient and weight resident and
 * reads back only the metrics, the host one runs the same passes on typed
 * arrays. Batches are feature-major (features × batch).
 */
export interface Trainer {
  /** Zeroes the metric sums. */
  resetMetrics(): void;
  /**
   * Forward, loss, backward and optimizer step of one batch; `step` seeds its
   * dropout masks, `t` is the model's 1-based optimizer update count (Adam's
   * bias correction). `samples` (the batch's data-set indices) seed the
   * input corruption of a denoising autoencoder, so a sample keeps its noise
   * through any shuffle; required when the settings corrupt.
   */
  trainBatch(x: Float32Array, labels: Uint8Array, batch: number, step: number, t: number, samples?: Uint32Array): void;
  /** Forward and loss without dropout or updates. */
  evaluateBatch(x: Float32Array, labels: Uint8Array, batch: number): void;
  /** Lets queued work finish (bounds the GPU queue, lets a page breathe). */
  flush(): Promise<void>;
  /** The metric sums since resetMetrics(), as means (one read-back on the GPU). */
  readMetrics(): Promise<Metrics>;
  /** Class probabilities (classes × batch). */
  predictBatch(x: Float32Array, batch: number): Promise<Float32Array>;
  /**
   * Runs forward and backward of one batch without updating anything (no
   * dropout) and keeps each stage's input and output gradient for RigL growth.
   */
  gradientSnapshot(x: Float32Array, labels: Uint8Array, batch: number): Promise<GradientSnapshot>;
  dispose(): void;
}

export interface TrainerSettings {
  plan: StagePlan;
  optimizer: Optimizer;
  /** Seeds the dropout masks. */
  seed: number;
  /** 'mse' reconstructs x (targets = the clean inputs, labels unused); accuracy is then NaN. */
  loss: TrainerLoss;
  /** With 'mse': training batches are corrupted (x + σ·N(0, 1)) before the forward; the targets stay clean. */
  corruption?: CorruptionOptions;
  /** Times the phases of each batch (host trainer only: FitOptions.profile). */
  clock?: PhaseClock;
}

/** A stage whose f is the identity (a linear output): its output is Z itself, and f' = 1. */
export function isIdentity(stage: Stage): boolean {
  return stage.nonlinearity === 'leaky' && stage.alpha === 1;
}

export function lastStage(plan: StagePlan): Stage {
  return plan.stages[plan.stages.length - 1]!;
}

export function metricsFrom(lossSum: number, correct: number, samples: number, loss: TrainerLoss): Metrics {
  // A reconstruction has no right answers: NaN, not a 0 % that reads as a failure.
  const accuracy = samples > 0 && loss === 'softmax-cross-entropy' ? correct / samples : Number.NaN;
  return { loss: samples > 0 ? lossSum / samples : Number.NaN, accuracy, samples };
}

/** Per-stage batch operands of RigL growth, kept where the trainer computed them. */
export interface GradientSnapshot {
  /** Grows the stage's layer by this batch's gradient (SparseLinear), after SET's pruning. */
  evolveStage(stage: Stage, zeta: number): Promise<void>;
  release(): void;
}
