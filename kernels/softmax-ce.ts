import type { OperationScope } from '../src/gpu/gpu-context.js';
import { programs } from './programs.js';

const { THREADS } = programs.softmaxCrossEntropy.layout.consts;

/**
 * Softmax cross-entropy over feature-major logits (classes × batch), in place
 * (shaders/softmax-ce.wgsl): with `gradient` the logits become p − onehot —
 * the loss gradient the last layer's backward takes (it divides by the batch)
 * — otherwise the probabilities. With labels, the per-sample loss and
 * correctness go to perSample (2·batch floats).
 */
export function encodeSoftmaxCrossEntropy(
  s: OperationScope,
  classes: number,
  batch: number,
  logits: GPUBuffer,
  labels: GPUBuffer | undefined,
  perSample: GPUBuffer,
  gradient: boolean,
): void {
  s.dispatch(programs.softmaxCrossEntropy, {
    // An unlabeled call still binds something at `labels`, and it must not alias perSample (read_write).
    bindings: { logits, labels: labels ?? s.output('no labels', 4), perSample },
    uniforms: { classes, batch, gradient: gradient ? 1 : 0, labeled: labels ? 1 : 0 },
    workgroups: Math.ceil(batch / THREADS),
  });
}

/**
 * metrics (3 floats: mean loss, Σ correct, samples) updated with the batch in
 * perSample; the loss as a running mean, so finite losses never overflow f32.
 * One workgroup, no atomics.
 */
export function encodeAccumulateMetrics(s: OperationScope, batch: number, perSample: GPUBuffer, metrics: GPUBuffer): void {
  s.dispatch(programs.accumulateMetrics, { bindings: { perSample, metrics }, uniforms: { batch }, workgroups: 1 });
}

/** CPU twin: returns Σ loss and Σ correct over the batch (labels given), rewriting logits in place. */
export function softmaxCrossEntropyCpu(
  classes: number,
  batch: number,
  logits: Float32Array,
  labels: ArrayLike<number> | undefined,
  gradient: boolean,
): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    let top = logits[b]!;
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      const v = logits[c * batch + b]!;
      if (v > top) {
        top = v;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[c * batch + b]! - top);
    const label = labels ? labels[b]! : -1;
    if (labels) {
      loss += Math.log(sum) - (logits[label * batch + b]! - top);
      if (arg === label) correct++;
    }
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[c * batch + b]! - top) / sum;
      logits[c * batch + b] = gradient && c === label ? p - 1 : p;
    }
  }
  return { loss, correct };
}
