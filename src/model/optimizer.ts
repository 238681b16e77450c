import type { SgdOptions } from '../../kernels/elementwise.js';
import { checkSgdOptions } from '../layers/linear-layer.js';

/** The optimizer of a fit(): SGD with momentum and weight decay, as the SET reference updates. */
export interface SgdOptimizer extends SgdOptions {
  readonly kind: 'sgd';
}

export type Optimizer = SgdOptimizer;

/**
 * v ← μ·v − lr·g ; w ← w + v − wd·w for every weight and bias. Defaults are
 * the SET reference's MNIST settings (lr 0.01, momentum 0.9, weight decay 0.0002).
 */
export function sgd(options: Partial<SgdOptions> = {}): SgdOptimizer {
  const o = { lr: options.lr ?? 0.01, momentum: options.momentum ?? 0.9, weightDecay: options.weightDecay ?? 0.0002 };
  checkSgdOptions(o);
  return { kind: 'sgd', ...o };
}
