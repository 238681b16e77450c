import { kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';

const { THREADS } = programs.softmaxCrossEntropy.layout.consts;

/**
 * Softmax cross-entropy over feature-major logits (classes × batch), in place
 * (shaders/softmax-ce.wgsl): with `gradient` the logits become p − onehot —
 * the loss gradient the last layer's backward takes (it divides by the batch)
 * — otherwise the probabilities. With labels, the GPU writes the per-sample
 * loss and correctness to perSample (2·batch floats; accumulateMetrics folds
 * them in) and the CPU twin returns their sums over the batch.
 */
export const softmaxCrossEntropy = kernel({
  name: 'softmaxCrossEntropy',
  cpu(classes: number, batch: number, logits: Float32Array, labels: ArrayLike<number> | undefined, gradient: boolean) {
    return softmaxSamples(classes, batch, logits, labels, gradient, undefined);
  },
  encode(s, classes: number, batch: number, logits: GPUBuffer, labels: GPUBuffer | undefined, perSample: GPUBuffer, gradient: boolean) {
    s.dispatch(programs.softmaxCrossEntropy, {
      // An unlabeled call still binds something at `labels`, and it must not alias perSample (read_write).
      bindings: { logits, labels: labels ?? s.output('no labels', 4), perSample },
      uniforms: { classes, batch, gradient: gradient ? 1 : 0, labeled: labels ? 1 : 0 },
      workgroups: Math.ceil(batch / THREADS),
    });
  },
});

/**
 * Softmax (cross-entropy, gradient) of every sample in place, in float64
 * before each f32 store; returns the sums of the losses and right answers,
 * and writes each sample's (f32) loss and correctness to perSample when given.
 */
function softmaxSamples(classes: number, batch: number, logits: Float32Array, labels: ArrayLike<number> | undefined, gradient: boolean, perSample: Float32Array | undefined): { loss: number; correct: number } {
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
      const sample = Math.log(sum) - (logits[label * batch + b]! - top);
      loss += sample;
      if (arg === label) correct++;
      if (perSample) {
        perSample[b] = sample;
        perSample[batch + b] = arg === label ? 1 : 0;
      }
    }
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[c * batch + b]! - top) / sum;
      logits[c * batch + b] = gradient && c === label ? p - 1 : p;
    }
  }
  return { loss, correct };
}

/**
 * metrics (3 floats: mean loss, Σ correct, samples) updated with the batch in
 * perSample; the loss as a running mean, so finite losses never overflow f32.
 * One workgroup, no atomics. The CPU twin follows the shader's f32 steps:
 * THREADS strided partial sums of the 1/batch-scaled losses, a tree
 * reduction, then the blend. (The CPU backend's trainer keeps float64 sums
 * of softmaxCrossEntropy.cpu's results instead; this twin is the GPU pass's
 * reference.)
 */
export const accumulateMetrics = kernel({
  name: 'accumulateMetrics',
  cpu(batch: number, perSample: Float32Array, metrics: Float32Array) {
    const f = Math.fround;
    const lossSums = new Float32Array(THREADS);
    const correctSums = new Float32Array(THREADS);
    const scale = f(1 / batch);
    for (let lane = 0; lane < THREADS; lane++) {
      let loss = 0;
      let correct = 0;
      for (let b = lane; b < batch; b += THREADS) {
        loss = f(loss + f(perSample[b]! * scale));
        correct = f(correct + perSample[batch + b]!);
      }
      lossSums[lane] = loss;
      correctSums[lane] = correct;
    }
    for (let width = THREADS / 2; width > 0; width = Math.floor(width / 2)) {
      for (let lane = 0; lane < width; lane++) {
        lossSums[lane]! += lossSums[lane + width]!;
        correctSums[lane]! += correctSums[lane + width]!;
      }
    }
    const samples = f(metrics[2]! + batch);
    metrics[0]! += f(f(lossSums[0]! - metrics[0]!) * f(batch / samples));
    metrics[1]! += correctSums[0]!;
    metrics[2] = samples;
  },
  encode(s, batch: number, perSample: GPUBuffer, metrics: GPUBuffer) {
    s.dispatch(programs.accumulateMetrics, { bindings: { perSample, metrics }, uniforms: { batch }, workgroups: 1 });
  },
});

/**
 * softmaxCrossEntropy and accumulateMetrics in one pass of one workgroup (a
 * model's training and evaluation steps): the logits become p − onehot
 * (`gradient`) or p, and metrics take the batch; no per-sample buffer. The
 * metrics are the f32 figures accumulateMetrics gives for the same
 * per-sample values (its lanes take the samples each thread of this pass
 * computes). The CPU twin: softmaxCrossEntropy's per-sample values, then
 * accumulateMetrics.cpu.
 */
export const softmaxMetrics = kernel({
  name: 'softmaxMetrics',
  cpu(classes: number, batch: number, logits: Float32Array, labels: ArrayLike<number>, gradient: boolean, metrics: Float32Array) {
    const perSample = new Float32Array(2 * batch);
    softmaxSamples(classes, batch, logits, labels, gradient, perSample);
    accumulateMetrics.cpu(batch, perSample, metrics);
  },
  encode(s, classes: number, batch: number, logits: GPUBuffer, labels: GPUBuffer, metrics: GPUBuffer, gradient: boolean) {
    s.dispatch(programs.softmaxMetrics, { bindings: { logits, labels, metrics }, uniforms: { classes, batch, gradient: gradient ? 1 : 0, labeled: 1 }, workgroups: 1 });
  },
});
