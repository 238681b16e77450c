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
  type MlpVariant,
} from '../src/index.js';

/** One training run of the accuracy benchmark (`npm run train`). */
export interface TrainConfig {
  dataset: string;
  variant: MlpVariant;
  /** Layer widths, input first. */
  sizes: number[];
  epochs: number;
  batchSize: number;
  epsilon: number;
  zeta: number;
  dropoutRate: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  /** How the inputs were scaled: pixels / 255, or standardised per feature with training-set statistics. */
  inputs: 'unit' | 'standardize';
  /** Use only the first N training samples (all when undefined). */
  trainSamples?: number;
  testSamples?: number;
}

export interface TrainEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** Training time of the epoch (forward, backward, optimizer), and its topology update. */
  seconds: number;
  evolveSeconds: number;
}

/** Where a results file rewritten after every epoch has got to. */
export interface RunProgress {
  date: string;
  totalSeconds: number;
  /** False while the run is still going, or when it was stopped early. */
  complete: boolean;
  notes: string[];
}

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
  adapter: { vendor: string; architecture: string; description: string } | null;
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

/** Trains one variant and evaluates on the test set after every epoch. */
export async function runTraining(engine: Engine, config: TrainConfig, data: { train: Dataset; test: Dataset }, hooks: TrainHooks = {}): Promise<TrainReport> {
  const train = config.trainSamples ? subset(data.train, 0, Math.min(config.trainSamples, data.train.count)) : data.train;
  const test = config.testSamples ? subset(data.test, 0, Math.min(config.testSamples, data.test.count)) : data.test;
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
    adapter: engine.adapterInfo ? { vendor: engine.adapterInfo.vendor, architecture: engine.adapterInfo.architecture, description: engine.adapterInfo.description } : null,
    backend: engine.backend,
    settings: { ...rest, epochsPlanned: config.epochs },
    trainSamples: train.count,
    testSamples: test.count,
    inputConnectivity: { initial: Array.from(await model.inputConnectivity()), final: [] },
    date: new Date().toISOString(),
    totalSeconds: 0,
    complete: false,
    notes: [],
  };
  try {
    await model.fit(train, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: sgd({ lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }),
      ...(variantEvolution(variant, config.zeta) ? { evolution: variantEvolution(variant, config.zeta)! } : {}),
      seed: config.seed,
      // Evaluated inside fit, after the epoch's training and before its topology update, as the reference does.
      validationData: test,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onBatchEnd: (p) => hooks.onProgress?.(p.epoch, p.batch, p.batches),
      onEpochEnd: async (log: EpochLog) => {
        const epoch: TrainEpoch = {
          epoch: log.epoch + 1,
          trainLoss: log.loss,
          trainAccuracy: log.accuracy,
          testLoss: log.valLoss!,
          testAccuracy: log.valAccuracy!,
          seconds: log.seconds,
          evolveSeconds: log.evolveSeconds,
        };
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
export interface SelectConfig {
  dataset: string;
  /** Features kept. */
  k: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  epsilon: number;
  zeta: number;
  dropoutRate: number;
  noiseFactor: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
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
  adapter: { vendor: string; architecture: string; description: string } | null;
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
  const train = config.trainSamples ? subset(data.train, 0, Math.min(config.trainSamples, data.train.count)) : data.train;
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
    adapter: engine.adapterInfo ? { vendor: engine.adapterInfo.vendor, architecture: engine.adapterInfo.architecture, description: engine.adapterInfo.description } : null,
    trainSamples: train.count,
    epochs: [],
    secondsPerEpoch: null,
    date: new Date().toISOString(),
    totalSeconds: 0,
    complete: false,
    notes: [],
  };
  try {
    await model.fit(train, {
      task: 'autoencode',
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: sgd({ lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }),
      // The authors evolve both layers, the output layer included.
      evolution: set({ zeta: config.zeta, includeLast: true }),
      corruption: { noiseFactor: config.noiseFactor, seed: config.seed },
      selectFeatures: { k: config.k },
      seed: config.seed,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onBatchEnd: (p) => hooks.onProgress?.(p.epoch, p.batch, p.batches),
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
