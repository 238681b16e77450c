/**
 * QuickSelection (Atashgahi et al., "Quick and Robust Feature Selection: the
 * Strength of Energy-efficient Sparse Training for Autoencoders", Machine
 * Learning 2022): a sparse denoising autoencoder trained with SET, whose
 * input layer's neuron strengths rank the features (feature-selection.ts).
 * The settings are those of the authors' code (train_sparse_DAE.py,
 * Sparse_DAE.py), as data, so a CLI, a demo and a test read one source.
 */
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { assertCount } from '../formats/validate.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { dropout, sigmoid } from './activations.js';
import { set, type Evolution } from './evolution.js';
import { sgd, type SgdOptimizer } from './optimizer.js';
import type { ModelLayer } from './stages.js';

/** The authors' settings. */
export const QUICK_SELECTION_SETTINGS = Object.freeze({
  /** One hidden layer of this many sigmoid neurons; the output layer is linear (no activation). */
  hidden: 1000,
  hiddenActivation: 'sigmoid',
  outputActivation: 'linear',
  /** mean over features of (y − x)² per sample; delta y − x (kernels/mse.ts). */
  loss: 'mse',
  /** σ of the additive Gaussian input noise, unclipped, drawn once per (sample, feature) (kernels/corrupt.ts). */
  noiseFactor: 0.2,
  /** Dropout after the hidden activation. */
  dropoutRate: 0.2,
  /** SET's Erdős–Rényi ε of both layers (density ε(in + out)/(in·out)). */
  epsilon: 13,
  /** SET's fraction removed and regrown after every epoch but the last, in both layers. */
  zeta: 0.2,
  /** Their weights start as N(0, 1)/10 ('normal'). */
  init: 'normal',
  optimizer: Object.freeze({ kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
  batchSize: 100,
  epochs: 100,
  /** Features kept on MNIST (their QuickSelection.py). */
  k: 50,
  /** Their inputs are standardised per feature (sklearn's StandardScaler) before the noise. */
  standardizeInputs: true,
} as const);

export interface QuickSelectionLayerOptions {
  /** Hidden neurons (default 1000). */
  hidden?: number;
  /** Erdős–Rényi ε (default 13). */
  epsilon?: number;
  /** Dropout after the hidden sigmoid (default 0.2; 0 for none). */
  dropoutRate?: number;
  /** Seeds the two layers' random graphs and weights (default 1). */
  seed?: number;
}

/**
 * The authors' sparse denoising autoencoder over `features` inputs:
 * SparseLinear(features → 1000, ε 13) · sigmoid · dropout(0.2) ·
 * SparseLinear(1000 → features, ε 13), linear output, weights N(0, 1)/10.
 */
export function quickSelectionLayers(features: number, options: QuickSelectionLayerOptions = {}): ModelLayer[] {
  assertCount('features', features, { min: 1 });
  const s = QUICK_SELECTION_SETTINGS;
  const hidden = options.hidden ?? s.hidden;
  assertCount('options.hidden', hidden, { min: 1 });
  const epsilon = options.epsilon ?? s.epsilon;
  if (!(typeof epsilon === 'number' && epsilon > 0)) throw new InvalidArgumentError('options.epsilon', `must be a positive number, got ${String(epsilon)}`);
  const rate = options.dropoutRate ?? s.dropoutRate;
  const seed = options.seed ?? 1;
  const layers: ModelLayer[] = [new SparseLinear({ in: features, out: hidden, epsilon, init: s.init, seed }), sigmoid()];
  if (rate > 0) layers.push(dropout(rate));
  layers.push(new SparseLinear({ in: hidden, out: features, epsilon, init: s.init, seed: seed + 1 }));
  return layers;
}

/** Their SET: ζ = 0.2 after every epoch but the last, the output layer included. */
export function quickSelectionEvolution(): Evolution {
  return set({ zeta: QUICK_SELECTION_SETTINGS.zeta, includeLast: true });
}

/** Their optimizer: SGD, learning rate 0.01, momentum 0.9, weight decay 1e-5. */
export function quickSelectionOptimizer(): SgdOptimizer {
  const { lr, momentum, weightDecay } = QUICK_SELECTION_SETTINGS.optimizer;
  return sgd({ lr, momentum, weightDecay });
}

/** An autoencoder reconstructs its input: a model whose output size differs from its input size is an error naming `model`. */
export function checkAutoencoder(model: { readonly inputSize: number; readonly outputSize: number }): void {
  if (model.outputSize !== model.inputSize) {
    throw new ShapeMismatchError('model', `has ${model.inputSize} inputs but ${model.outputSize} outputs; an autoencoder reconstructs its input, so they must be equal`);
  }
}
