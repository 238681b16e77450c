import { InvalidArgumentError } from '../errors.js';
import { DenseLinear } from '../layers/dense-linear.js';
import { NMLinear } from '../layers/nm-linear.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { dropout, leakyRelu, softmax } from './activations.js';
import { set, type Evolution } from './evolution.js';
import type { ModelLayer } from './stages.js';

/** How the weights of a SET-MLP are stored: SET's unstructured CSR, 2:4 structured, or dense. */
export type MlpVariant = 'set-csr' | 'nm-2:4' | 'dense';

export const MLP_VARIANTS: readonly MlpVariant[] = ['set-csr', 'nm-2:4', 'dense'];

export interface SetMlpOptions {
  /** Layer widths, input first: the reference MNIST network is [784, 1000, 1000, 1000, 10]. */
  sizes: readonly number[];
  variant: MlpVariant;
  /** Erdős–Rényi ε of the CSR variant (default 20). */
  epsilon?: number;
  /** Dropout after every hidden activation (default 0.3). */
  dropoutRate?: number;
  seed?: number;
}

/**
 * The SET reference's MLP as a layer list: every linear layer but the last
 * followed by the alternated leaky ReLU (alpha −0.6, +0.6, −0.6, …) and
 * dropout, softmax at the end. For 'set-csr' every layer, the last included,
 * is Erdős–Rényi with ε (with ε = 20 the 1000 → 10 output layer comes out
 * dense, as in the reference); 'nm-2:4' uses 2:4 where the input size allows
 * it; 'dense' is the same network without sparsity.
 */
export function setMlpLayers(options: SetMlpOptions): ModelLayer[] {
  const { sizes, variant } = options;
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new InvalidArgumentError('sizes', 'must list at least two positive integer widths, input first');
  }
  const epsilon = options.epsilon ?? 20;
  const rate = options.dropoutRate ?? 0.3;
  const seed = options.seed ?? 1;
  const layers: ModelLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const io = { in: sizes[i]!, out: sizes[i + 1]!, seed: seed + i };
    switch (variant) {
      case 'set-csr':
        layers.push(new SparseLinear({ ...io, epsilon }));
        break;
      case 'nm-2:4':
        layers.push(io.in % 4 === 0 ? new NMLinear({ ...io, n: 2, m: 4 }) : new DenseLinear(io));
        break;
      case 'dense':
        layers.push(new DenseLinear(io));
        break;
      default:
        throw new InvalidArgumentError('variant', `must be one of ${MLP_VARIANTS.join(', ')}, got ${String(variant)}`);
    }
    if (i + 2 < sizes.length) {
      layers.push(leakyRelu(i % 2 === 0 ? -0.6 : 0.6));
      if (rate > 0) layers.push(dropout(rate));
    } else {
      layers.push(softmax());
    }
  }
  return layers;
}

/** The topology evolution that goes with a variant: SET for CSR, in-group for 2:4, none for dense. */
export function variantEvolution(variant: MlpVariant, zeta = 0.3): Evolution | undefined {
  return variant === 'dense' ? undefined : set({ zeta });
}
