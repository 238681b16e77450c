import { kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';
import type { AdamOptions, SgdOptions } from '../src/options.js';
import { adam } from './adam.js';
import { sgdMomentumWasm } from './wasm/sgd-wasm.js';

const { THREADS } = programs.addBias.layout.consts;

/** Y (rows × cols) += bias[row]: a linear layer's bias, after its product. */
export const addBias = kernel({
  name: 'addBias',
  cpu(rows: number, cols: number, Y: Float32Array, bias: Float32Array) {
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      const b = bias[r]!;
      for (let j = o; j < o + cols; j++) Y[j]! += b;
    }
  },
  encode(s, rows: number, cols: number, Y: GPUBuffer, bias: GPUBuffer) {
    s.dispatch(programs.addBias, { bindings: { matrix: Y, vector: bias }, uniforms: { rows, cols }, workgroups: Math.ceil((rows * cols) / THREADS) });
  },
});

/**
 * out[r] = alpha · Σ_b M[r, b] (rows × cols): the bias gradient, in f32 on
 * both sides: column b into lane b mod 4, the lanes added as
 * ((l0 + l1) + l2) + l3, then scaled, the SDDMM's order for its entries
 * (shaders/sddmm.wgsl `main`), which a training step folds the bias into.
 */
export const rowSums = kernel({
  name: 'rowSums',
  cpu(rows: number, cols: number, alpha: number, M: Float32Array, out: Float32Array) {
    const f = Math.fround;
    const alpha32 = f(alpha);
    const whole = cols & ~3;
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      // The four lanes in locals, each sum rounded to f32 as a Float32Array lane would be.
      let l0 = 0;
      let l1 = 0;
      let l2 = 0;
      let l3 = 0;
      for (let b = o; b < o + whole; b += 4) {
        l0 = f(l0 + M[b]!);
        l1 = f(l1 + M[b + 1]!);
        l2 = f(l2 + M[b + 2]!);
        l3 = f(l3 + M[b + 3]!);
      }
      if (whole < cols) l0 = f(l0 + M[o + whole]!);
      if (whole + 1 < cols) l1 = f(l1 + M[o + whole + 1]!);
      if (whole + 2 < cols) l2 = f(l2 + M[o + whole + 2]!);
      out[r] = alpha32 * f(f(f(l0 + l1) + l2) + l3);
    }
  },
  encode(s, rows: number, cols: number, alpha: number, M: GPUBuffer, out: GPUBuffer) {
    s.dispatch(programs.rowSums, { bindings: { matrix: M, vector: out }, uniforms: { rows, cols, alpha }, workgroups: Math.ceil(rows / THREADS) });
  },
});

/** SGD with momentum and weight decay, in place, as the SET reference does it; in f32 on both sides. */
export const sgdMomentum = kernel({
  name: 'sgdMomentum',
  cpu(weights: Float32Array, gradient: Float32Array, velocity: Float32Array, o: SgdOptions) {
    // A layer's nonzeros in WebAssembly SIMD (kernels/wasm/sgd.wat), the same bits.
    if (sgdMomentumWasm(weights, gradient, velocity, o)) return;
    const f = Math.fround;
    for (let i = 0; i < weights.length; i++) {
      const v = f(f(f(o.momentum) * velocity[i]!) - f(f(o.lr) * gradient[i]!));
      velocity[i] = v;
      const w = weights[i]!;
      weights[i] = f(f(w + v) - f(f(o.weightDecay) * w));
    }
  },
  encode(s, count: number, weights: GPUBuffer, gradient: GPUBuffer, velocity: GPUBuffer, o: SgdOptions) {
    s.dispatch(programs.sgdMomentum, {
      // `vector` holds the weights here.
      bindings: { vector: weights, gradient, velocity },
      uniforms: { count, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
      workgroups: Math.ceil(count / THREADS),
    });
  },
});

/** A training step's optimizer, as a kernel takes it: SGD with momentum (the SET reference's) or Adam. */
export type OptimizerStep = ({ readonly kind: 'sgd' } & SgdOptions) | ({ readonly kind: 'adam' } & AdamOptions);

/** A layer's biases with their optimizer moments (Adam's second moment unused by SGD). */
export interface BiasState<B> {
  bias: B;
  velocity: B;
  second: B;
}

/**
 * A layer's bias gradient (rowSums of its output gradient dY, rows × cols,
 * scaled by alpha) and its optimizer update, in one pass; on the GPU `t`
 * is a buffer holding Adam's 1-based update count. The training step's pass
 * for biases the SDDMM does not fold in (Adam, dense layers).
 */
export const biasStep = kernel({
  name: 'biasStep',
  cpu(rows: number, cols: number, alpha: number, dY: Float32Array, state: BiasState<Float32Array>, o: OptimizerStep, t: number) {
    const gradient = new Float32Array(rows);
    rowSums.cpu(rows, cols, alpha, dY, gradient);
    if (o.kind === 'sgd') sgdMomentum.cpu(state.bias, gradient, state.velocity, o);
    else adam.cpu(state.bias, gradient, state.velocity, state.second, t, o);
  },
  encode(s, rows: number, cols: number, alpha: number, dY: GPUBuffer, state: BiasState<GPUBuffer>, o: OptimizerStep, t: GPUBuffer) {
    const workgroups = Math.ceil(rows / THREADS);
    if (o.kind === 'sgd') {
      s.dispatch(programs.biasSgd, {
        bindings: { matrix: dY, vector: state.bias, velocity: state.velocity },
        uniforms: { rows, cols, alpha, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
        workgroups,
      });
      return;
    }
    s.dispatch(programs.biasAdam, {
      bindings: { matrix: dY, vector: state.bias, velocity: state.velocity, second: state.second, step: t },
      uniforms: { rows, cols, alpha, lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay },
      workgroups,
    });
  },
});
