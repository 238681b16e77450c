// The million-neuron run itself, shared by the Node runner (bench/million.ts,
// which adds memory sampling and the results file) and the page
// (demo/million.ts): the synthetic microarray set, the SET-MLP, its training
// with SET evolution, and what the input layer learnt to look at.
import {
  adam,
  CSRMatrix,
  DenseLinear,
  dropout,
  leakyRelu,
  relu,
  Sequential,
  softmax,
  SparseLinear,
  sgd,
  subset,
  syntheticMicroarray,
  variantEvolution,
  type Dataset,
  type Engine,
  type EpochLog,
  type MicroarrayDataset,
  type MlpVariant,
  type ModelLayer,
} from '../src/index.js';
import type { MillionOptions } from './million-options.js';
import { epochScores, type EpochScores } from './run-record.js';

export interface MillionData {
  all: MicroarrayDataset;
  train: Dataset;
  test: Dataset;
  seconds: number;
}

/** The set and its split: the last `test` samples are held out (labels are shuffled, so both parts hold every class). */
export function millionData(o: MillionOptions): MillionData {
  const started = performance.now();
  const all = syntheticMicroarray({ seed: o.dataSeed, count: o.samples, features: o.features, classes: o.classes, informative: o.informative, signal: o.signal });
  const trainCount = o.samples - o.test;
  return { all, train: subset(all, 0, trainCount), test: subset(all, trainCount, o.test), seconds: (performance.now() - started) / 1000 };
}

export interface LayerSummary {
  in: number;
  out: number;
  /** Stored connections. */
  connections: number;
  /** connections / (in · out). */
  density: number;
}

export interface MillionEpoch extends EpochScores {
  /** Training (forward, backward, optimizer) of the epoch. */
  seconds: number;
  /** The test set's evaluation. */
  evaluateSeconds: number;
  /** SET's topology update after the epoch (0 after the last). */
  evolveSeconds: number;
  /** Where the input layer's connections are (see InputFocus), after this epoch's update. */
  inputFocus: InputFocus;
  /** Memory after the epoch, where the program can tell (Node: process.memoryUsage()). */
  memory?: MemorySample;
}

/**
 * Connections of the first layer per input feature, averaged over the
 * informative features and over the others: SET prunes the weakest weights
 * and regrows at random, so connections that carry the class survive and
 * the informative features' share grows epoch after epoch.
 */
export interface InputFocus {
  informativeMean: number;
  otherMean: number;
  /** Share of all first-layer connections on the informative features. */
  informativeShare: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface ModelRun {
  variant: MlpVariant;
  layers: number[];
  layerSummaries: LayerSummary[];
  hiddenNeurons: number;
  parameters: number;
  denseParameters: number;
  /** Seconds to build the layers (random sparse graphs and weights). */
  buildSeconds: number;
  initialInputFocus: InputFocus;
  epochs: MillionEpoch[];
  finalTestAccuracy: number | null;
  complete: boolean;
}

export interface RunHooks {
  onBuilt?: (run: ModelRun) => void | Promise<void>;
  onBatch?: (epoch: number, batch: number, batches: number) => void | Promise<void>;
  onEpoch?: (run: ModelRun, epoch: MillionEpoch) => void | Promise<void>;
  memory?: () => MemorySample | undefined;
  signal?: AbortSignal;
}

/**
 * Trains `variant` ('set-csr': a SET-MLP at o.epsilon with SET evolution;
 * 'dense': a dense MLP) of the `hidden` widths on the data and evaluates on
 * the held-out samples after every epoch; the other settings are o's.
 */
export async function trainMillion(engine: Engine, o: MillionOptions, data: MillionData, what: { variant: MlpVariant; hidden: readonly number[]; epochs: number; lr: number }, hooks: RunHooks = {}): Promise<ModelRun> {
  const { variant, hidden, epochs, lr } = what;
  const sizes = [o.features, ...hidden, o.classes];
  const built = performance.now();
  const model = new Sequential(engine, mlpLayers(sizes, variant, o));
  try {
    const layerSummaries = model.linearLayers.map((l) => ({ in: l.in, out: l.out, connections: l.weightCount, density: l.weightCount / (l.in * l.out) }));
    const run: ModelRun = {
      variant,
      layers: sizes,
      layerSummaries,
      hiddenNeurons: hidden.reduce((a, b) => a + b, 0),
      parameters: model.parameterCount,
      denseParameters: model.denseParameterCount,
      buildSeconds: (performance.now() - built) / 1000,
      initialInputFocus: inputFocus(await model.inputConnectivity(), data.all.informative),
      epochs: [],
      finalTestAccuracy: null,
      complete: false,
    };
    await hooks.onBuilt?.(run);
    let trained = 0;
    const evolution = variantEvolution(variant, o.zeta);
    await model.fit(data.train, {
      epochs,
      batchSize: o.batch,
      optimizer: o.optimizer === 'adam' ? adam({ lr }) : sgd({ lr, momentum: o.momentum, weightDecay: o.weightDecay }),
      ...(evolution ? { evolution } : {}),
      seed: o.seed,
      validationData: data.test,
      // Every batch: a page repaints its progress, a Node run samples its memory.
      syncEvery: 1,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onBatchEnd: async (p) => {
        if (p.batch === p.batches - 1) trained = performance.now();
        await hooks.onBatch?.(p.epoch, p.batch, p.batches);
      },
      onEpochEnd: async (log: EpochLog) => {
        // fit times the training (log.seconds) and the update (log.evolveSeconds); the evaluation lies between.
        const evaluateSeconds = Math.max(0, (performance.now() - trained) / 1000 - log.evolveSeconds);
        const memory = hooks.memory?.();
        const epoch: MillionEpoch = {
          ...epochScores(log),
          seconds: log.seconds,
          evaluateSeconds,
          evolveSeconds: log.evolveSeconds,
          inputFocus: inputFocus(await model.inputConnectivity(), data.all.informative),
          ...(memory ? { memory } : {}),
        };
        run.epochs.push(epoch);
        run.finalTestAccuracy = epoch.testAccuracy;
        await hooks.onEpoch?.(run, epoch);
      },
    });
    run.complete = true;
    return run;
  } finally {
    model.dispose();
  }
}

/**
 * setMlpLayers' network (linear, activation, dropout, …, softmax), with the
 * activation of o.activation, and for 'set-csr' He-uniform over each row's
 * expected fan-in (density · in, ~11 inputs per neuron of the 54,675-wide
 * input layer) instead of the dense one (in): with the dense fan-in the
 * weights are √(1/density) ≈ 70× too small there and the signal vanishes
 * over three layers (the loss stays at ln 18). Regrown connections still
 * start at the library's dense-fan-in limit, i.e. near zero.
 */
function mlpLayers(sizes: readonly number[], variant: MlpVariant, o: MillionOptions): ModelLayer[] {
  if (variant !== 'set-csr' && variant !== 'dense') throw new Error(`the million-neuron run trains set-csr or dense, not ${variant}`);
  const layers: ModelLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const io = { in: sizes[i]!, out: sizes[i + 1]!, seed: o.seed + i };
    if (variant === 'dense') {
      layers.push(new DenseLinear(io));
    } else {
      const last = i + 2 === sizes.length;
      const density = last && o.outputDensity > 0 ? { density: o.outputDensity } : { epsilon: o.epsilon };
      const W = CSRMatrix.random({ rows: io.out, cols: io.in, ...density, seed: io.seed, init: 'he-uniform' });
      const scale = Math.sqrt(W.cols / Math.max(1, W.nnz / W.rows));
      for (let k = 0; k < W.values.length; k++) W.values[k]! *= scale;
      // The layer copies W; this one is garbage once the loop moves on.
      layers.push(new SparseLinear({ ...io, weights: W }));
    }
    if (i + 2 < sizes.length) {
      layers.push(o.activation === 'relu' ? relu() : leakyRelu(i % 2 === 0 ? -0.6 : 0.6));
      if (o.dropout > 0) layers.push(dropout(o.dropout));
    } else {
      layers.push(softmax());
    }
  }
  return layers;
}

export function inputFocus(perInput: Uint32Array, informative: Uint32Array): InputFocus {
  let total = 0;
  for (const c of perInput) total += c;
  let onInformative = 0;
  for (const f of informative) onInformative += perInput[f]!;
  const others = perInput.length - informative.length;
  return {
    informativeMean: onInformative / informative.length,
    otherMean: others > 0 ? (total - onInformative) / others : 0,
    informativeShare: total > 0 ? onInformative / total : 0,
  };
}

/**
 * Test accuracy of nearest centroid over every feature (class means of the
 * training samples, Euclidean distance): no network, no feature selection —
 * whether the set is learnable from its training samples at all.
 */
export function nearestCentroidAccuracy(train: Dataset, test: Dataset): number {
  const { features, classes } = train;
  const means = new Float64Array(classes * features);
  const sizes = new Float64Array(classes);
  for (let s = 0; s < train.count; s++) {
    const c = train.labels[s]!;
    sizes[c]!++;
    for (let f = 0; f < features; f++) means[c * features + f]! += train.inputs[s * features + f]!;
  }
  for (let c = 0; c < classes; c++) for (let f = 0; f < features; f++) means[c * features + f]! /= Math.max(1, sizes[c]!);
  let right = 0;
  for (let s = 0; s < test.count; s++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < classes; c++) {
      if (sizes[c] === 0) continue;
      let d = 0;
      for (let f = 0; f < features; f++) d += (test.inputs[s * features + f]! - means[c * features + f]!) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    if (best === test.labels[s]) right++;
  }
  return test.count > 0 ? right / test.count : Number.NaN;
}

/** Hidden neurons: the widths between input and output. */
export const hiddenNeurons = (o: MillionOptions): number => o.hidden.reduce((a, b) => a + b, 0);
