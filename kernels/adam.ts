import { kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';
import type { AdamOptions } from '../src/options.js';

const { THREADS } = programs.adam.layout.consts;


/**
 * One Adam update of `count` weights in place, in f32 steps on both sides.
 * On the GPU `step` holds t (u32, 1-based), written per batch; the CPU twin
 * takes t itself.
 */
export const adam = kernel({
  name: 'adam',
  cpu(weights: Float32Array, gradient: Float32Array, firstMoment: Float32Array, secondMoment: Float32Array, t: number, o: AdamOptions) {
    const f = Math.fround;
    const b1 = f(o.beta1);
    const b2 = f(o.beta2);
    const c1 = f(1 - f(Math.pow(b1, Math.max(1, t))));
    const c2 = f(1 - f(Math.pow(b2, Math.max(1, t))));
    const lr = f(o.lr);
    const eps = f(o.epsilon);
    const wd = f(o.weightDecay);
    for (let i = 0; i < weights.length; i++) {
      const g = gradient[i]!;
      const m = f(f(b1 * firstMoment[i]!) + f(f(1 - b1) * g));
      const v = f(f(b2 * secondMoment[i]!) + f(f(f(1 - b2) * g) * g));
      firstMoment[i] = m;
      secondMoment[i] = v;
      const update = f(f(lr * f(m / c1)) / f(f(Math.sqrt(f(v / c2))) + eps));
      const w = weights[i]!;
      weights[i] = f(f(w - update) - f(wd * w));
    }
  },
  encode(s, count: number, weights: GPUBuffer, gradient: GPUBuffer, firstMoment: GPUBuffer, secondMoment: GPUBuffer, step: GPUBuffer, o: AdamOptions) {
    s.dispatch(programs.adam, {
      bindings: { weights, gradient, firstMoment, secondMoment, step },
      uniforms: { count, lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay },
      workgroups: Math.ceil(count / THREADS),
    });
  },
});
