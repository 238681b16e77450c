import { InvalidArgumentError } from '../errors.js';
import { assertFloat32 } from '../formats/validate.js';

/**
 * The parameter-free entries of a Sequential, as plain data (they save as
 * written). A linear layer may be followed by one nonlinearity and then one
 * dropout; the last linear layer feeds softmax().
 */
export type ActivationLayer =
  | { readonly kind: 'relu' }
  | { readonly kind: 'leaky-relu'; readonly alpha: number }
  | { readonly kind: 'dropout'; readonly rate: number }
  | { readonly kind: 'softmax' };

/** max(0, z). */
export function relu(): ActivationLayer {
  return { kind: 'relu' };
}

/**
 * z for z > 0, alpha·z otherwise. A negative alpha gives the SET reference's
 * "alternated left ReLU" (alpha = −0.6, +0.6, −0.6 on its three hidden layers).
 */
export function leakyRelu(alpha: number): ActivationLayer {
  assertFloat32('alpha', alpha);
  return { kind: 'leaky-relu', alpha };
}

/** Inverted dropout while training (kept activations scaled by 1/(1 − rate)); identity otherwise. */
export function dropout(rate: number): ActivationLayer {
  if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError('rate', `must be in [0, 1), got ${rate}`);
  return { kind: 'dropout', rate };
}

/** Class probabilities; trained with cross-entropy (the two are fused). */
export function softmax(): ActivationLayer {
  return { kind: 'softmax' };
}
