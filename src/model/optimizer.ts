import type { AdamOptions, SgdOptions } from '../options.js';
import { InvalidArgumentError } from '../errors.js';
import { assertFloat32 } from '../formats/validate.js';
import { checkSgdOptions } from '../layers/linear-layer.js';

/** The optimizer of a fit(): SGD with momentum and weight decay, as the SET reference updates. */
export interface SgdOptimizer extends SgdOptions {
  readonly kind: 'sgd';
}

/** Adam with decoupled weight decay (see shaders/adam.wgsl). */
export interface AdamOptimizer extends AdamOptions {
  readonly kind: 'adam';
}

export type Optimizer = SgdOptimizer | AdamOptimizer;

/**
 * v ← μ·v − lr·g ; w ← w + v − wd·w for every weight and bias. Defaults are
 * the SET reference's MNIST settings (lr 0.01, momentum 0.9, weight decay 0.0002).
 */
export function sgd(options: Partial<SgdOptions> = {}): SgdOptimizer {
  const o = { lr: options.lr ?? 0.01, momentum: options.momentum ?? 0.9, weightDecay: options.weightDecay ?? 0.0002 };
  checkSgdOptions(o);
  return { kind: 'sgd', ...o };
}

/** Adam (Kingma & Ba 2015); defaults lr 0.001, β1 0.9, β2 0.999, ε 1e-8, no weight decay. */
export function adam(options: Partial<AdamOptions> = {}): AdamOptimizer {
  const o = { lr: options.lr ?? 0.001, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, epsilon: options.epsilon ?? 1e-8, weightDecay: options.weightDecay ?? 0 };
  for (const [key, value] of Object.entries(o)) {
    assertFloat32(`options.${key}`, value);
  }
  for (const key of ['beta1', 'beta2'] as const) {
    if (!(o[key] >= 0 && o[key] < 1)) throw new InvalidArgumentError(`options.${key}`, `must be in [0, 1), got ${o[key]}`);
  }
  if (!(o.epsilon > 0)) throw new InvalidArgumentError('options.epsilon', `must be positive, got ${o.epsilon}`);
  return { kind: 'adam', ...o };
}
