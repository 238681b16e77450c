import { kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';

const { THREADS } = programs.mse.layout.consts;

/**
 * Mean squared error over feature-major outputs and targets (features ×
 * batch), in the QuickSelection authors' form (shaders/mse.wgsl): a
 * sample's loss is the mean over features of (y − t)², and with `gradient`
 * the output becomes y − t in place, the delta the last layer's backward
 * takes (it divides by the batch). On the GPU the per-sample losses go to
 * perSample in softmax-ce's layout (2·batch floats, correctness 0), so
 * accumulateMetrics folds them into the epoch's running mean unchanged.
 *
 * The CPU twin takes the shader's f32 steps and returns the sum of the
 * per-sample losses over the batch (as softmaxCrossEntropy.cpu does; a host
 * trainer divides by the samples); perSample, when given, receives what the
 * GPU writes there. The deltas y − t are one f32 subtraction each, equal on
 * both sides; a loss may differ in its last bits where a GPU fuses d·d + sum.
 */
export const mseLoss = kernel({
  name: 'mseLoss',
  cpu(features: number, batch: number, output: Float32Array, target: Float32Array, gradient: boolean, perSample?: Float32Array) {
    const f = Math.fround;
    let loss = 0;
    for (let b = 0; b < batch; b++) {
      let sum = 0;
      for (let i = 0; i < features; i++) {
        const d = f(output[i * batch + b]! - target[i * batch + b]!);
        sum = f(sum + f(d * d));
        if (gradient) output[i * batch + b] = d;
      }
      const sample = f(sum / features);
      if (perSample) {
        perSample[b] = sample;
        perSample[batch + b] = 0;
      }
      loss += sample;
    }
    return { loss, correct: 0 };
  },
  encode(s, features: number, batch: number, output: GPUBuffer, target: GPUBuffer, perSample: GPUBuffer, gradient: boolean) {
    s.dispatch(programs.mse, {
      bindings: { output, targets: target, perSample },
      uniforms: { features, batch, gradient: gradient ? 1 : 0 },
      workgroups: Math.ceil(batch / THREADS),
    });
  },
});
