import type { Kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';
import type { SgdOptions } from '../src/options.js';

const { THREADS } = programs.addBias.layout.consts;

/** Y (rows × cols) += bias[row]: a linear layer's bias, after its product. */
export const addBias: Kernel<[rows: number, cols: number, Y: Float32Array, bias: Float32Array], void, [rows: number, cols: number, Y: GPUBuffer, bias: GPUBuffer]> = {
  name: 'addBias',
  cpu(rows, cols, Y, bias) {
    const count = rows * cols;
    for (let i = 0; i < count; i++) Y[i]! += bias[Math.floor(i / cols)]!;
  },
  encode(s, rows, cols, Y, bias) {
    s.dispatch(programs.addBias, { bindings: { matrix: Y, vector: bias }, uniforms: { rows, cols }, workgroups: Math.ceil((rows * cols) / THREADS) });
  },
};

/**
 * out[r] = alpha · Σ_b M[r, b] (rows × cols): the bias gradient. The CPU
 * twin sums in float64 before one f32 rounding, as the CPU backend always has.
 */
export const rowSums: Kernel<
  [rows: number, cols: number, alpha: number, M: Float32Array, out: Float32Array],
  void,
  [rows: number, cols: number, alpha: number, M: GPUBuffer, out: GPUBuffer]
> = {
  name: 'rowSums',
  cpu(rows, cols, alpha, M, out) {
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let b = 0; b < cols; b++) sum += M[r * cols + b]!;
      out[r] = alpha * sum;
    }
  },
  encode(s, rows, cols, alpha, M, out) {
    s.dispatch(programs.rowSums, { bindings: { matrix: M, vector: out }, uniforms: { rows, cols, alpha }, workgroups: Math.ceil(rows / THREADS) });
  },
};

/** SGD with momentum and weight decay, in place, as the SET reference does it; in f32 on both sides. */
export const sgdMomentum: Kernel<
  [weights: Float32Array, gradient: Float32Array, velocity: Float32Array, o: SgdOptions],
  void,
  [count: number, weights: GPUBuffer, gradient: GPUBuffer, velocity: GPUBuffer, o: SgdOptions]
> = {
  name: 'sgdMomentum',
  cpu(weights, gradient, velocity, o) {
    const f = Math.fround;
    for (let i = 0; i < weights.length; i++) {
      const v = f(f(f(o.momentum) * velocity[i]!) - f(f(o.lr) * gradient[i]!));
      velocity[i] = v;
      const w = weights[i]!;
      weights[i] = f(f(w + v) - f(f(o.weightDecay) * w));
    }
  },
  encode(s, count, weights, gradient, velocity, o) {
    s.dispatch(programs.sgdMomentum, {
      // `vector` holds the weights here.
      bindings: { vector: weights, gradient, velocity },
      uniforms: { count, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
      workgroups: Math.ceil(count / THREADS),
    });
  },
};
