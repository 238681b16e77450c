import type { OperationScope } from '../src/gpu/gpu-context.js';
import { programs } from './programs.js';
import type { SgdOptions } from '../src/options.js';

const THREADS = 256;


function params(s: OperationScope, rows: number, cols: number, count: number, floats: [number, number, number, number]): GPUBuffer {
  return s.uniform([rows, cols, count, 0, ...floats], [4, 5, 6, 7]);
}

/** Y (rows × cols) += bias[row]. */
export function encodeAddBias(s: OperationScope, rows: number, cols: number, Y: GPUBuffer, bias: GPUBuffer): void {
  s.dispatch({ pipeline: s.pipeline(programs.addBias), buffers: [params(s, rows, cols, 0, [0, 0, 0, 0]), Y, bias], workgroups: Math.ceil((rows * cols) / THREADS) });
}

/** out[r] = alpha · Σ_b M[r, b]. */
export function encodeRowSums(s: OperationScope, rows: number, cols: number, alpha: number, M: GPUBuffer, out: GPUBuffer): void {
  s.dispatch({ pipeline: s.pipeline(programs.rowSums), buffers: [params(s, rows, cols, 0, [alpha, 0, 0, 0]), M, out], workgroups: Math.ceil(rows / THREADS) });
}

/** SGD with momentum and weight decay, in place, as the SET reference does it. */
export function encodeSgdMomentum(s: OperationScope, count: number, weights: GPUBuffer, gradient: GPUBuffer, velocity: GPUBuffer, o: SgdOptions): void {
  s.dispatch({
    pipeline: s.pipeline(programs.sgdMomentum),
    buffers: [params(s, 0, 0, count, [0, o.lr, o.momentum, o.weightDecay]), undefined, weights, gradient, velocity],
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
