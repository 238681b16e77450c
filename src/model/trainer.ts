import type { Stage, StagePlan } from './stages.js';
import type { Optimizer } from './optimizer.js';

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
   * bias correction).
   */
  trainBatch(x: Float32Array, labels: Uint8Array, batch: number, step: number, t: number): void;
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
}

export function lastStage(plan: StagePlan): Stage {
  return plan.stages[plan.stages.length - 1]!;
}

export function metricsFrom(lossSum: number, correct: number, samples: number): Metrics {
  return { loss: samples > 0 ? lossSum / samples : Number.NaN, accuracy: samples > 0 ? correct / samples : Number.NaN, samples };
}

/** Per-stage batch operands of RigL growth, kept where the trainer computed them. */
export interface GradientSnapshot {
  /** Grows the stage's layer by this batch's gradient (SparseLinear), after SET's pruning. */
  evolveStage(stage: Stage, zeta: number): Promise<void>;
  release(): void;
}
