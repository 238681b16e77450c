import type { OperationScope } from '../src/gpu/gpu-context.js';
import { programs } from './programs.js';
import type { SgdOptions } from '../src/options.js';

const { THREADS } = programs.addBias.layout.consts;

/** Y (rows × cols) += bias[row]. */
export function encodeAddBias(s: OperationScope, rows: number, cols: number, Y: GPUBuffer, bias: GPUBuffer): void {
  s.dispatch(programs.addBias, { bindings: { matrix: Y, vector: bias }, uniforms: { rows, cols }, workgroups: Math.ceil((rows * cols) / THREADS) });
}

/** out[r] = alpha · Σ_b M[r, b]. */
export function encodeRowSums(s: OperationScope, rows: number, cols: number, alpha: number, M: GPUBuffer, out: GPUBuffer): void {
  s.dispatch(programs.rowSums, { bindings: { matrix: M, vector: out }, uniforms: { rows, cols, alpha }, workgroups: Math.ceil(rows / THREADS) });
}

/** SGD with momentum and weight decay, in place, as the SET reference does it. */
export function encodeSgdMomentum(s: OperationScope, count: number, weights: GPUBuffer, gradient: GPUBuffer, velocity: GPUBuffer, o: SgdOptions): void {
  s.dispatch(programs.sgdMomentum, {
    // `vector` holds the weights here.
    bindings: { vector: weights, gradient, velocity },
    uniforms: { count, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay },
    workgroups: Math.ceil(count / THREADS),
  });
}

/** The CPU twin of encodeSgdMomentum, in f32 like the GPU. */
export function sgdMomentumCpu(weights: Float32Array, gradient: Float32Array, velocity: Float32Array, o: SgdOptions): void {
  const f = Math.fround;
  for (let i = 0; i < weights.length; i++) {
    const v = f(f(f(o.momentum) * velocity[i]!) - f(f(o.lr) * gradient[i]!));
    velocity[i] = v;
    const w = weights[i]!;
    weights[i] = f(f(w + v) - f(f(o.weightDecay) * w));
  }
}
