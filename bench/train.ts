import {
  quickSelectionLayers,
  Sequential,
  set,
  setMlpLayers,
  sgd,
  subset,
  variantEvolution,
  type Dataset,
  type Engine,
  type EpochLog,
  type FitOptions,
  type MlpVariant,
  type PhaseTime,
} from '../src/index.js';
import { adapterRecord, epochScores, type AdapterRecord, type EpochScores } from './run-record.js';

/**
 * What both training runs (the SET-MLP and QuickSelection's autoencoder)
 * take from the same options: the budget, SET's sparsity and evolution,
 * dropout, SGD and the seed.
 */
export interface SetRunSettings {
  epochs: number;
  batchSize: number;
  epsilon: number;
  zeta: number;
  dropoutRate: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
}

/** One training run of the accuracy benchmark (`npm run train`). */
export interface TrainConfig extends SetRunSettings {
  dataset: string;
  variant: MlpVariant;
  /** Layer widths, input first. */
  sizes: number[];
  /** How the inputs were scaled: pixels / 255, or standardised per feature with training-set statistics. */
  inputs: 'unit' | 'standardize';
  /** Use only the first N training samples (all when undefined). */
  trainSamples?: number;
  testSamples?: number;
  /** Time each phase of the CPU training step per layer (FitOptions.profile; CPU backend only). */
  profile?: boolean;
}

export interface TrainEpoch extends EpochScores {
  /** Training time of the epoch (forward, backward, optimizer), and its topology update. */
  seconds: number;
  evolveSeconds: number;
  /** With TrainConfig.profile: the epoch's seconds per phase and layer (EpochLog.profile). */
  profile?: PhaseTime[];
}

/** Where a results file rewritten after every epoch has got to. */
export interface RunProgress {
  date: string;
  totalSeconds: number;
  /** False while the run is still going, or when it was stopped early. */
  complete: boolean;
  notes: string[];
}

/** The progress of a run that starts now. */
const runStarted = (): RunProgress => ({ date: new Date().toISOString(), totalSeconds: 0, complete: false, notes: [] });

/** The results file, `bench/results/train-<dataset>-<variant>-<date>.json`; documented in bench/README.md. */
export interface TrainReport extends RunProgress {
  schema: 'wgsparse-train/1';
  dataset: string;
  variant: MlpVariant;
  layers: number[];
  epochs: TrainEpoch[];
  /** Test accuracy after the last completed epoch (null before the first). */
  finalTestAccuracy: number | null;
  parameters: number;
  denseParameters: number;
  adapter: AdapterRecord;
  backend: 'webgpu' | 'cpu';
  /** Why this backend (e.g. SwiftShader is a CPU emulation, so the CPU backend was faster). */
  backendNote?: string;
  settings: Omit<TrainConfig, 'dataset' | 'variant' | 'sizes'> & { epochsPlanned: number };
  trainSamples: number;
  testSamples: number;
  /** Connections per input pixel of the first layer, before training and after the last epoch. */
  inputConnectivity: { initial: number[]; final: number[] };
}

export interface TrainHooks {
  onProgress?: (epoch: number, batch: number, batches: number) => void;
  onEpoch?: (report: TrainReport, epoch: TrainEpoch) => void | Promise<void>;
  /** Called with the trained model once every epoch has run, before it is disposed (to export it). */
  onTrained?: (model: Sequential) => void | Promise<void>;
  signal?: AbortSignal;
}

/** fit's options that both runs take alike from their settings and hooks: the budget, SGD, the seed, the stop signal, the progress callback. */
function sgdFitOptions(config: SetRunSettings, hooks: { onProgress?: (epoch: number, batch: number, batches: number) => void; signal?: AbortSignal }): FitOptions {
  return {
    epochs: config.epochs,
    batchSize: config.batchSize,
    optimizer: sgd({ lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }),
    seed: config.seed,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onBatchEnd: (p) => hooks.onProgress?.(p.epoch, p.batch, p.batches),
  };
}

/** The first `count` samples of `data` (all of them when count is undefined or larger). */
const firstSamples = (data: Dataset, count: number | undefined): Dataset => (count ? subset(data, 0, Math.min(count, data.count)) : data);

/** Trains one variant and evaluates on the test set after every epoch. */
export async function runTraining(engine: Engine, config: TrainConfig, data: { train: Dataset; test: Dataset }, hooks: TrainHooks = {}): Promise<TrainReport> {
  const train = firstSamples(data.train, config.trainSamples);
  const test = firstSamples(data.test, config.testSamples);
  const model = new Sequential(
    engine,
    setMlpLayers({ sizes: config.sizes, variant: config.variant, epsilon: config.epsilon, dropoutRate: config.dropoutRate, seed: config.seed }),
  );
  const started = performance.now();
  const { dataset, variant, sizes, ...rest } = config;
  const report: TrainReport = {
    schema: 'wgsparse-train/1',
    dataset,
    variant,
    layers: sizes,
    epochs: [],
    finalTestAccuracy: null,
    parameters: model.parameterCount,
    denseParameters: model.denseParameterCount,
    adapter: adapterRecord(engine),
    backend: engine.backend,
    settings: { ...rest, epochsPlanned: config.epochs },
    trainSamples: train.count,
    testSamples: test.count,
    inputConnectivity: { initial: Array.from(await model.inputConnectivity()), final: [] },
    ...runStarted(),
  };
  try {
    await model.fit(train, {
      ...sgdFitOptions(config, hooks),
      ...(variantEvolution(variant, config.zeta) ? { evolution: variantEvolution(variant, config.zeta)! } : {}),
      // Evaluated inside fit, after the epoch's training and before its topology update, as the reference does.
      validationData: test,
      ...(config.profile ? { profile: true } : {}),
      onEpochEnd: async (log: EpochLog) => {
        const epoch: TrainEpoch = { ...epochScores(log), seconds: log.seconds, evolveSeconds: log.evolveSeconds, ...(log.profile ? { profile: log.profile } : {}) };
        report.epochs.push(epoch);
        report.finalTestAccuracy = epoch.testAccuracy;
        report.totalSeconds = (performance.now() - started) / 1000;
        report.inputConnectivity.final = Array.from(await model.inputConnectivity());
        await hooks.onEpoch?.(report, epoch);
      },
    });
    report.complete = true;
    await hooks.onTrained?.(model);
  } finally {
    report.totalSeconds = (performance.now() - started) / 1000;
    model.dispose();
  }
  return report;
}

/** One QuickSelection run (`npm run train -- --task select`): the sparse denoising autoencoder's settings. */
export interface SelectConfig extends SetRunSettings {
  dataset: string;
  /** Features kept. */
  k: number;
  hidden: number;
  noiseFactor: number;
  inputs: 'unit' | 'standardize';
  trainSamples?: number;
}

export interface SelectEpoch {
  epoch: number;
  /** Mean reconstruction MSE of the corrupted training inputs (with dropout, as trained). */
  trainLoss: number;
  seconds: number;
  evolveSeconds: number;
  /** The K strongest input features after this epoch's topology update, strongest first. */
  selected: number[];
  strengths: number[];
}

/** The autoencoder's results file, `bench/results/train-select-<dataset>-<date>.json`; documented in bench/README.md. */
export interface SelectReport extends RunProgress {
  schema: 'wgsparse-train-select/1';
  dataset: string;
  settings: Omit<SelectConfig, 'dataset'> & { epochsPlanned: number };
  layers: number[];
  parameters: number;
  denseParameters: number;
  backend: 'webgpu' | 'cpu';
  threads: number;
  adapter: AdapterRecord;
  backendNote?: string;
  trainSamples: number;
  epochs: SelectEpoch[];
  /** Mean training + evolution seconds per completed epoch. */
  secondsPerEpoch: number | null;
}

export interface SelectHooks {
  onProgress?: (epoch: number, batch: number, batches: number) => void;
  onEpoch?: (report: SelectReport, epoch: SelectEpoch) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Trains QuickSelection's sparse denoising autoencoder on data.train (labels
 * unused) and records the top-K features after every epoch. A stopped run
 * (signal) resolves with the epochs completed so far (complete: false), so
 * their last selection can still be evaluated.
 */
export async function runQuickSelection(engine: Engine, config: SelectConfig, data: { train: Dataset }, hooks: SelectHooks = {}): Promise<SelectReport> {
  const train = firstSamples(data.train, config.trainSamples);
  const features = train.features;
  const model = new Sequential(engine, quickSelectionLayers(features, { hidden: config.hidden, epsilon: config.epsilon, dropoutRate: config.dropoutRate, seed: config.seed }));
  const started = performance.now();
  const { dataset, ...rest } = config;
  const report: SelectReport = {
    schema: 'wgsparse-train-select/1',
    dataset,
    settings: { ...rest, epochsPlanned: config.epochs },
    layers: [features, config.hidden, features],
    parameters: model.parameterCount,
    denseParameters: model.denseParameterCount,
    backend: engine.backend,
    threads: engine.threads,
    adapter: adapterRecord(engine),
    trainSamples: train.count,
    epochs: [],
    secondsPerEpoch: null,
    ...runStarted(),
  };
  try {
    await model.fit(train, {
      ...sgdFitOptions(config, hooks),
      task: 'autoencode',
      // The authors evolve both layers, the output layer included.
      evolution: set({ zeta: config.zeta, includeLast: true }),
      corruption: { noiseFactor: config.noiseFactor, seed: config.seed },
      selectFeatures: { k: config.k },
      onEpochEnd: async (log: EpochLog) => {
        const epoch: SelectEpoch = {
          epoch: log.epoch + 1,
          trainLoss: log.loss,
          seconds: log.seconds,
          evolveSeconds: log.evolveSeconds,
          selected: Array.from(log.selectedFeatures!.indices),
          strengths: Array.from(log.selectedFeatures!.strengths),
        };
        report.epochs.push(epoch);
        report.totalSeconds = (performance.now() - started) / 1000;
        report.secondsPerEpoch = report.epochs.reduce((t, e) => t + e.seconds + e.evolveSeconds, 0) / report.epochs.length;
        await hooks.onEpoch?.(report, epoch);
      },
    });
    report.complete = true;
  } catch (e) {
    if (!hooks.signal?.aborted) throw e;
  } finally {
    report.totalSeconds = (performance.now() - started) / 1000;
    model.dispose();
  }
  return report;
}
