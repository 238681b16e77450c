// Options of the million-neuron run, for both programs: the Node runner
// (bench/million.ts: `--hidden 500000-500000`) and the page
// /demo/million.html (`?hidden=500000-500000`). One list, so the scaled-down
// variant a browser test runs is written the same way in both.
import { choiceOption, flagOption, integerOption, notesOption, numberOption, OptionError, parseLayerWidths, readArgv, readSearch, textOption, throwFirst, usage, type OptionSpecs } from './options-core.js';

export interface MillionOptions {
  /** CLI: 'auto' skips a SwiftShader adapter (a CPU emulation, far slower than the CPU backend). */
  backend: 'cpu' | 'webgpu' | 'auto';
  /** Synthetic microarray set (src/data/microarray.ts): samples, features, classes, informative features, ±signal, seed. */
  samples: number;
  features: number;
  classes: number;
  informative: number;
  signal: number;
  dataSeed: number;
  /** Samples held out for testing (the last ones of the shuffled set). */
  test: number;
  /** Hidden widths of the SET-MLP. */
  hidden: number[];
  epsilon: number;
  /**
   * Density of the output layer (0: ε as the others). With ε = 10 the
   * 500,000 → 18 layer would be 55 % dense, ~278,000 inputs per output:
   * SGD's step on it is then ~25,000× that on a hidden neuron with ~11
   * inputs, and a learning rate it survives leaves the hidden layers frozen.
   */
  outputDensity: number;
  zeta: number;
  /**
   * After each hidden layer: 'relu', or 'reference', the SET reference's
   * leaky ReLU with α alternating −0.6, +0.6 (f(z) = 0.6|z| below zero for
   * α = −0.6: every activation positive).
   */
  activation: 'relu' | 'reference';
  /** 'sgd' (momentum, weight decay) or 'adam' (lr, no weight decay). */
  optimizer: 'sgd' | 'adam';
  dropout: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  batch: number;
  epochs: number;
  /** Seeds weights, shuffling, dropout and evolution. */
  seed: number;
  /** CLI: hidden widths of the dense baseline MLP trained first on the same data (empty: none). */
  baseline: number[];
  /** CLI: epochs of the baseline. */
  baselineEpochs: number;
  /**
   * CLI: the baseline's learning rate. A dense first layer sums all 54,675
   * inputs, so SGD's step on it is ~5,000× that of a sparse neuron with ~11
   * inputs: at the SET-MLP's rate it diverges.
   */
  baselineLr: number;
  /** CLI: train only the baseline (results file million-neuron-baseline-<backend>-<date>.json). */
  baselineOnly: boolean;
  /** CLI: notes stored in the results file. */
  note: string[];
  /** CLI: the JSON file ('' = bench/results/million-neuron-<backend>-<date>.json). */
  out: string;
  /** Page: start when the page has loaded. */
  autorun: boolean;
}

export const MILLION_LIMITS = { hiddenLayers: 3, width: 2_000_000, features: 1_000_000, samples: 100_000 } as const;

/**
 * The full-size run: Leukemia's shape (2,096 × 54,675, 18 classes; Liu et
 * al.'s 1,397 / 699 split), 54,675-500,000-500,000-18, hidden layers at
 * ε = 5 (~5.5 and ~10 inputs per neuron, ~7.8 M connections), the output
 * layer at density 0.002 (~1,000 inputs per output), ReLU, dropout 0.3,
 * SGD lr 0.01, batch 32.
 */
export function defaultMillionOptions(): MillionOptions {
  return {
    backend: 'cpu',
    samples: 2096,
    features: 54_675,
    classes: 18,
    informative: 200,
    signal: 1,
    dataSeed: 2021,
    test: 699,
    hidden: [500_000, 500_000],
    epsilon: 5,
    outputDensity: 0.002,
    zeta: 0.3,
    activation: 'relu',
    optimizer: 'sgd',
    dropout: 0.3,
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 0.0002,
    batch: 32,
    epochs: 10,
    seed: 1,
    baseline: [256, 256],
    baselineEpochs: 10,
    baselineLr: 0.0001,
    baselineOnly: false,
    note: [],
    out: '',
    autorun: false,
  };
}

/** Hidden widths; with `allowNone`, `none` or nothing for no network (the baseline). */
export function parseWidths(text: string, allowNone: boolean): number[] {
  if (allowNone && (text.trim() === '' || text.trim() === 'none')) return [];
  return parseLayerWidths(text, { layers: MILLION_LIMITS.hiddenLayers, width: MILLION_LIMITS.width }, `500000-500000${allowNone ? ', or none' : ''}`);
}

const formatWidths = (w: readonly number[]): string => (w.length ? w.join('-') : 'none');

export const MILLION_OPTIONS: OptionSpecs<MillionOptions> = [
  {
    key: 'backend',
    scope: 'both',
    help: 'the engine (auto: WebGPU unless its only adapter is SwiftShader, a CPU emulation far slower than the CPU backend)',
    ...choiceOption(['cpu', 'webgpu', 'auto'] as const),
  },
  { key: 'samples', scope: 'both', placeholder: 'N', help: 'samples of the synthetic microarray set (Leukemia: 2,096)', ...integerOption(2, MILLION_LIMITS.samples) },
  { key: 'features', scope: 'both', placeholder: 'N', help: 'features (probe sets; Leukemia: 54,675)', ...integerOption(1, MILLION_LIMITS.features) },
  { key: 'classes', scope: 'both', placeholder: 'N', help: 'classes (Leukemia: 18)', ...integerOption(2, 256) },
  { key: 'informative', scope: 'both', placeholder: 'N', help: 'features that carry the class; the others are noise', ...integerOption(1, MILLION_LIMITS.features) },
  { key: 'signal', scope: 'both', placeholder: 'S', help: "each class's ±shift of an informative feature, in noise standard deviations", ...numberOption({ min: 0, max: 100 }) },
  { key: 'dataSeed', scope: 'both', placeholder: 'N', help: 'seeds the data set', ...integerOption(0, 0xffffffff) },
  { key: 'test', scope: 'both', placeholder: 'N', help: 'samples held out for testing (the last N)', ...integerOption(1, MILLION_LIMITS.samples) },
  { key: 'hidden', scope: 'both', placeholder: 'A-B', help: `hidden widths of the SET-MLP, 1 to ${MILLION_LIMITS.hiddenLayers} of up to ${MILLION_LIMITS.width.toLocaleString('en')}`, parse: (t) => parseWidths(t, false), format: formatWidths },
  { key: 'epsilon', scope: 'both', placeholder: 'E', help: 'Erdős–Rényi ε of every layer (density ε(in + out)/(in·out), capped at 1)', ...numberOption({ min: 0, max: 10_000, openLow: true }) },
  { key: 'outputDensity', scope: 'both', placeholder: 'P', help: 'density of the output layer (0: ε like the others); ~1,000 inputs per output at 500,000 wide', ...numberOption({ min: 0, max: 1 }) },
  { key: 'zeta', scope: 'both', placeholder: 'Z', help: "SET's ζ: the fraction of connections dropped and regrown after each epoch", ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'activation', scope: 'both', help: "after each hidden layer: relu, or the SET reference's leaky ReLU with α = −0.6, +0.6, …", ...choiceOption(['relu', 'reference'] as const) },
  { key: 'optimizer', scope: 'both', help: 'SGD with momentum and weight decay, or Adam (lr only)', ...choiceOption(['sgd', 'adam'] as const) },
  { key: 'dropout', scope: 'both', placeholder: 'R', help: 'dropout rate after each hidden layer', ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'lr', scope: 'both', placeholder: 'LR', help: 'SGD learning rate', ...numberOption({ min: 0, max: 10, openLow: true }) },
  { key: 'momentum', scope: 'both', placeholder: 'M', help: 'SGD momentum', ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'weightDecay', scope: 'both', placeholder: 'W', help: 'SGD weight decay', ...numberOption({ min: 0, max: 1 }) },
  { key: 'batch', scope: 'both', placeholder: 'N', help: 'batch size (activation memory is batch × the widest layer)', ...integerOption(1, 4096) },
  { key: 'epochs', scope: 'both', placeholder: 'N', help: 'epochs; SET evolves the topology after every epoch but the last', ...integerOption(1, 1000) },
  { key: 'seed', scope: 'both', placeholder: 'N', help: 'seeds the weights, shuffling, dropout and evolution', ...integerOption(0, 0xffffffff) },
  { key: 'baseline', scope: 'cli', placeholder: 'A-B|none', help: 'hidden widths of a dense MLP trained first on the same data, as the baseline', parse: (t) => parseWidths(t, true), format: formatWidths },
  { key: 'baselineEpochs', scope: 'cli', placeholder: 'N', help: "the baseline's epochs", ...integerOption(1, 1000) },
  { key: 'baselineLr', scope: 'cli', placeholder: 'LR', help: "the baseline's SGD learning rate (a dense layer over every feature needs a far smaller one)", ...numberOption({ min: 0, max: 10, openLow: true }) },
  { key: 'baselineOnly', scope: 'cli', ...flagOption, help: 'train only the baseline (its own results file)' },
  { key: 'note', ...notesOption },
  { key: 'out', scope: 'cli', placeholder: 'FILE', help: 'the JSON file', shownDefault: 'bench/results/million-neuron-<backend>-<date>.json', ...textOption },
  { key: 'autorun', scope: 'page', ...flagOption, help: 'start when the page has loaded' },
];

const PROGRAMS = { cli: 'node bench/launch.mjs --entry=/bench/million.ts', page: '/demo/million.html' } as const;

/** Checks across options (both programs). */
export function checkMillionOptions(o: MillionOptions): OptionError[] {
  const errors: OptionError[] = [];
  if (o.test >= o.samples) errors.push(new OptionError('test', `must leave training samples: ${o.test} of ${o.samples} held out`));
  if (o.informative > o.features) errors.push(new OptionError('informative', `must be at most features = ${o.features}, got ${o.informative}`));
  return errors;
}

export function parseMillionArgv(argv: readonly string[]): MillionOptions {
  const options = { ...defaultMillionOptions(), ...readArgv(MILLION_OPTIONS, argv, PROGRAMS) };
  throwFirst(checkMillionOptions(options));
  return options;
}

/** The page's options from its URL; refused values keep their defaults and are reported. */
export function parseMillionSearch(search: URLSearchParams): { options: MillionOptions; errors: OptionError[] } {
  const { given, errors } = readSearch(MILLION_OPTIONS, search, PROGRAMS);
  const options = { ...defaultMillionOptions(), ...given };
  const cross = checkMillionOptions(options);
  if (cross.length) {
    const d = defaultMillionOptions();
    options.samples = d.samples;
    options.test = d.test;
    options.features = Math.max(options.features, options.informative);
  }
  return { options, errors: [...errors, ...cross] };
}

export const MILLION_USAGE = usage(MILLION_OPTIONS, 'node bench/launch.mjs --entry=/bench/million.ts', defaultMillionOptions(), {
  notes: ['The page /demo/million.html takes the same options as URL parameters (?features=2000&hidden=20000-20000&epochs=1&autorun).'],
});
