import { InvalidArgumentError } from '../errors.js';
import { assertFloat32 } from '../formats/validate.js';

/**
 * The parameter-free entries of a Sequential, as plain data (they save as
 * written). A linear layer may be followed by one nonlinearity (relu,
 * leaky-relu, sigmoid, tanh) and then one dropout; the last linear layer
 * feeds softmax() to train with cross-entropy.
 */
export type ActivationLayer =
  | { readonly kind: 'relu' }
  | { readonly kind: 'leaky-relu'; readonly alpha: number }
  | { readonly kind: 'sigmoid' }
  | { readonly kind: 'tanh' }
  | { readonly kind: 'dropout'; readonly rate: number }
  | { readonly kind: 'softmax' };

export type ActivationKind = ActivationLayer['kind'];

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

/** The logistic function 1 / (1 + e^−z), in (0, 1): QuickSelection's hidden layer, or a [0, 1] output. */
export function sigmoid(): ActivationLayer {
  return { kind: 'sigmoid' };
}

/** tanh(z), in (−1, 1). */
export function tanh(): ActivationLayer {
  return { kind: 'tanh' };
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

/**
 * Every activation kind with its parameter and constructor: the one place
 * the kinds are listed for the files that store them (the model file, the
 * ONNX and safetensors metadata, persist). A Record, so a new kind that is
 * not added here is a compile error rather than a file no reader takes.
 */
type Constructor = { readonly parameter?: undefined; readonly make: () => ActivationLayer } | { readonly parameter: 'alpha' | 'rate'; readonly make: (value: number) => ActivationLayer };
const ACTIVATIONS: { readonly [K in ActivationKind]: Constructor } = {
  relu: { make: relu },
  'leaky-relu': { parameter: 'alpha', make: leakyRelu },
  sigmoid: { make: sigmoid },
  tanh: { make: tanh },
  dropout: { parameter: 'rate', make: dropout },
  softmax: { make: softmax },
};

export const ACTIVATION_KINDS = Object.keys(ACTIVATIONS) as readonly ActivationKind[];

export function isActivationKind(kind: unknown): kind is ActivationKind {
  return typeof kind === 'string' && Object.hasOwn(ACTIVATIONS, kind);
}

/**
 * An activation as every file stores it: `{ kind }` or `{ kind, <parameter> }`,
 * keys in that order (equal models encode to equal bytes), the parameter
 * checked by its constructor's rule. Reads an entry parsed from a file as
 * well as writes a layer; throws InvalidArgumentError naming
 * `${at}.<parameter>`, which each reader turns into its format's error.
 */
export function activationOf(entry: Readonly<Record<string, unknown>> & { readonly kind: ActivationKind }, at: string): ActivationLayer {
  const spec = ACTIVATIONS[entry.kind];
  if (spec.parameter === undefined) return spec.make();
  const { parameter, make } = spec;
  const value = entry[parameter];
  if (typeof value !== 'number') throw new InvalidArgumentError(`${at}.${parameter}`, `must be a number, got ${JSON.stringify(value) ?? String(value)}`);
  try {
    return make(value);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${at}.${parameter}`, e.message.slice(e.argument.length + 2));
    throw e;
  }
}
