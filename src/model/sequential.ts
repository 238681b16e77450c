import type { Engine } from '../engine/engine.js';
import { DisposedError, InvalidArgumentError, ShapeMismatchError, TrainingDivergedError } from '../errors.js';
import { DenseMatrix } from '../formats/dense.js';
import { assertCount } from '../formats/validate.js';
import { gatherBatch, shuffledOrder, validateDataset, type Dataset } from '../data/dataset.js';
import { LinearLayer } from '../layers/linear-layer.js';
import { randomU32 } from '../random.js';
import { zetaAfterEpoch, type Evolution } from './evolution.js';
import { GpuTrainer } from './gpu-trainer.js';
import { HostTrainer } from './host-trainer.js';
import { sgd, type Optimizer } from './optimizer.js';
import { decodeModel, encodeModel, ModelFormatError, type ModelMetadata } from './model-file.js';
import { layersFromSnapshot, snapshotLayers } from './persist.js';
import { planStages, type ModelLayer, type StagePlan } from './stages.js';
import type { GradientSnapshot, Metrics, Trainer } from './trainer.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { identityOrder } from '../formats/csr.js';

export interface BatchProgress {
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  batches: number;
  /** Samples trained on so far in this fit(). */
  samples: number;
}

export interface EpochLog {
  epoch: number;
  /** Mean training loss and accuracy over the epoch (with dropout, as trained). */
  loss: number;
  accuracy: number;
  /** On validationData, when given. */
  valLoss?: number;
  valAccuracy?: number;
  /** ζ of the topology update after this epoch (absent when none ran). */
  zeta?: number;
  /** Training time of the epoch, and of its topology update. */
  seconds: number;
  evolveSeconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Default sgd(): the SET reference's settings. */
  optimizer?: Optimizer;
  /** Topology evolution after every epoch but the last (e.g. set({ zeta: 0.3 })). */
  evolution?: Evolution;
  /** Seeds shuffling, dropout and evolution (default 1). */
  seed?: number;
  /** Shuffle the samples every epoch (default true). */
  shuffle?: boolean;
  validationData?: Dataset;
  onBatchEnd?: (progress: BatchProgress) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  /** Aborting stops fit() between batches; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Batches submitted before waiting for the GPU to catch up (default 4); also how often a page gets to breathe. */
  syncEvery?: number;
  /**
   * Stop with a TrainingDivergedError when an epoch's mean loss is NaN or
   * infinite (default true): the check costs nothing (the loss is read back
   * every epoch anyway) and saves training on overflowed weights.
   */
  stopOnNonFinite?: boolean;
}

export interface History {
  epochs: EpochLog[];
}

/** The evolvable layers: SparseLinear (SET) and NMLinear (within-group). */
interface Evolvable {
  evolve(options: { zeta: number; seed: number }): Promise<unknown>;
}

function isEvolvable(layer: LinearLayer): layer is LinearLayer & Evolvable {
  return typeof (layer as Partial<Evolvable>).evolve === 'function';
}

/**
 * A stack of linear layers and activations (tfjs-layers conventions), trained
 * with softmax cross-entropy. On WebGPU a whole training step — forward, loss,
 * backward, optimizer — runs from one recorded command sequence with every
 * tensor resident; the only read-back is the epoch's loss and accuracy.
 * Activations are feature-major (features × batch), as everywhere in wgsparse.
 */
export class Sequential {
  readonly layers: readonly ModelLayer[];
  private readonly plan: StagePlan;
  private disposed = false;
  private busy = false;
  /** Optimizer updates so far, across fit() calls (Adam's t). */
  private updates = 0;

  constructor(
    readonly engine: Engine,
    layers: readonly ModelLayer[],
  ) {
    this.plan = planStages(layers);
    this.layers = [...layers];
    for (const stage of this.plan.stages) stage.layer.attach(engine);
  }

  /** The linear layers, in order. */
  get linearLayers(): LinearLayer[] {
    return this.plan.stages.map((s) => s.layer);
  }

  get inputSize(): number {
    return this.plan.stages[0]!.layer.in;
  }

  get outputSize(): number {
    return this.plan.stages[this.plan.stages.length - 1]!.layer.out;
  }

  /** Stored weights and biases. */
  get parameterCount(): number {
    return this.linearLayers.reduce((n, l) => n + l.parameterCount, 0);
  }

  /** What the same network would hold dense. */
  get denseParameterCount(): number {
    return this.linearLayers.reduce((n, l) => n + l.denseParameterCount, 0);
  }

  /** Trains on `data` (sample-major inputs, class labels); see FitOptions. */
  async fit(data: Dataset, options: FitOptions): Promise<History> {
    const o = this.checkFit(data, options);
    return this.exclusive(async () => {
      const trainer = this.trainer(o.optimizer, o.seed);
      const history: History = { epochs: [] };
      const batches = Math.ceil(data.count / o.batchSize);
      const x = new Float32Array(data.features * o.batchSize);
      const labels = new Uint8Array(o.batchSize);
      let step = 0;
      let samples = 0;
      try {
        for (let epoch = 0; epoch < o.epochs; epoch++) {
          const started = now();
          const order = o.shuffle ? shuffledOrder(data.count, randomU32(o.seed, 0x5f1e, epoch)) : identityOrder(data.count);
          const metrics = await this.guarded(trainer, 'Sequential.fit', async () => {
            trainer.resetMetrics();
            for (let b = 0; b < batches; b++) {
              o.signal?.throwIfAborted();
              const start = b * o.batchSize;
              const size = Math.min(o.batchSize, data.count - start);
              gatherBatch(data, order, start, size, x, labels);
              trainer.trainBatch(x, labels, size, step++, ++this.updates);
              samples += size;
              if ((b + 1) % o.syncEvery === 0 || b === batches - 1) await trainer.flush();
              await o.onBatchEnd?.({ epoch, batch: b, batches, samples });
            }
            return trainer.readMetrics();
          });
          const log: EpochLog = { epoch, loss: metrics.loss, accuracy: metrics.accuracy, seconds: (now() - started) / 1000, evolveSeconds: 0 };
          if (o.validationData) {
            const v = await this.evaluateWith(trainer, o.validationData, o.batchSize);
            log.valLoss = v.loss;
            log.valAccuracy = v.accuracy;
          }
          if (o.stopOnNonFinite && !Number.isFinite(log.loss)) {
            history.epochs.push(log);
            await o.onEpochEnd?.(log);
            throw new TrainingDivergedError(epoch, log.loss, history);
          }
          if (o.evolution && epoch < o.epochs - 1) {
            const evolveStarted = now();
            log.zeta = zetaAfterEpoch(o.evolution, epoch, o.epochs);
            await this.evolveLayers(o.evolution, log.zeta, randomU32(o.seed, 0xe701, epoch), { trainer, data, batchSize: o.batchSize });
            log.evolveSeconds = (now() - evolveStarted) / 1000;
          }
          history.epochs.push(log);
          await o.onEpochEnd?.(log);
        }
      } finally {
        trainer.dispose();
      }
      return history;
    });
  }

  /** Mean softmax cross-entropy and accuracy on `data` (no dropout). */
  async evaluate(data: Dataset, options: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    this.assertLive();
    this.requireSoftmax('evaluate');
    this.checkData('data', data);
    const batchSize = options.batchSize ?? 256;
    assertCount('options.batchSize', batchSize, { min: 1 });
    return this.exclusive(async () => {
      const trainer = this.trainer(sgd(), 1);
      try {
        const m = await this.evaluateWith(trainer, data, batchSize);
        return { loss: m.loss, accuracy: m.accuracy };
      } finally {
        trainer.dispose();
      }
    });
  }

  /** Outputs (class probabilities with softmax) for X (inputSize × samples, feature-major). */
  async predict(X: DenseMatrix, options: { batchSize?: number } = {}): Promise<DenseMatrix> {
    this.assertLive();
    if (!(X instanceof DenseMatrix)) throw new InvalidArgumentError('X', 'must be a DenseMatrix (features × samples)');
    if (X.rows !== this.inputSize) throw new ShapeMismatchError('X', `has ${X.rows} rows but the model takes ${this.inputSize} inputs`);
    const batchSize = options.batchSize ?? 256;
    assertCount('options.batchSize', batchSize, { min: 1 });
    for (let i = 0; i < X.data.length; i++) {
      if (!Number.isFinite(X.data[i]!)) throw new InvalidArgumentError('X', `value ${i} is ${X.data[i]}; inputs must be finite`);
    }
    return this.exclusive(async () => {
      const trainer = this.trainer(sgd(), 1);
      const count = X.cols;
      const out = new DenseMatrix(this.outputSize, count);
      const batch = new Float32Array(this.inputSize * Math.min(batchSize, Math.max(1, count)));
      try {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          for (let f = 0; f < this.inputSize; f++) {
            for (let j = 0; j < size; j++) batch[f * size + j] = X.data[f * count + start + j]!;
          }
          const y = await trainer.predictBatch(batch, size);
          for (let c = 0; c < this.outputSize; c++) {
            for (let j = 0; j < size; j++) out.data[c * count + start + j] = y[c * size + j]!;
          }
        }
      } finally {
        trainer.dispose();
      }
      return out;
    });
  }

  /**
   * One topology update of the evolvable layers (all but the last unless
   * includeLast), outside fit(). RigL growth needs `data` (a seeded batch of
   * it gives the gradient).
   */
  async evolve(evolution: Evolution, seed: number, data?: Dataset, options: { batchSize?: number } = {}): Promise<void> {
    this.assertLive();
    if (evolution.kind === 'rigl' && data === undefined) throw new InvalidArgumentError('data', 'RigL growth needs training data for its gradient batch');
    if (data !== undefined) this.checkData('data', data);
    const batchSize = options.batchSize ?? 128;
    assertCount('options.batchSize', batchSize, { min: 1 });
    await this.exclusive(async () => {
      if (!data) return this.evolveLayers(evolution, evolution.zeta, seed);
      const trainer = this.trainer(sgd(), 1);
      try {
        await this.evolveLayers(evolution, evolution.zeta, seed, { trainer, data, batchSize });
      } finally {
        trainer.dispose();
      }
    });
  }

  /**
   * Connections of every input feature in the first layer (nonzeros per
   * column of W): the SET paper's picture of where the input layer looks.
   */
  async inputConnectivity(): Promise<Uint32Array> {
    this.assertLive();
    return this.plan.stages[0]!.layer.connectionsPerInput();
  }

  /**
   * The model as a file (docs/model-format.md): topology, weights as stored
   * (CSR, N:M, dense) and biases; optimizer state is not saved.
   */
  async save(metadata: ModelMetadata = {}): Promise<Uint8Array> {
    this.assertLive();
    return this.exclusive(async () => encodeModel({ layers: await snapshotLayers(this.layers), metadata }));
  }

  /**
   * A model from save()'s bytes on any backend. The whole file is validated
   * (checksums, sizes, matrix invariants, chaining) before anything reaches
   * the GPU; a bad file throws ModelFormatError.
   */
  static load(engine: Engine, bytes: Uint8Array): Sequential {
    const snapshot = decodeModel(bytes);
    if (snapshot.layers.length === 0) throw new ModelFormatError('corrupt', 'the file holds no layers');
    const layers = layersFromSnapshot(snapshot);
    try {
      planStages(layers);
    } catch (e) {
      throw new ModelFormatError('mismatch', `the layers do not form a Sequential model: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new Sequential(engine, layers);
  }

  /** The metadata stored with a saved model (without building it). */
  static metadataOf(bytes: Uint8Array): ModelMetadata {
    return decodeModel(bytes).metadata ?? {};
  }

  /** Releases every layer's GPU state. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const layer of this.linearLayers) layer.dispose();
  }

  /**
   * One topology update of the evolvable stages. RigL needs a batch's
   * gradients (`growth`); its SparseLinear stages grow by them, the others
   * (N:M) evolve in-group as under SET.
   */
  private async evolveLayers(evolution: Evolution, zeta: number, seed: number, growth?: { trainer: Trainer; data: Dataset; batchSize: number }): Promise<void> {
    const stages = evolution.includeLast ? this.plan.stages : this.plan.stages.slice(0, -1);
    let snapshot: GradientSnapshot | undefined;
    try {
      if (evolution.kind === 'rigl' && growth && stages.some((s) => s.layer instanceof SparseLinear)) {
        const { data, batchSize, trainer } = growth;
        const size = Math.min(batchSize, data.count);
        const x = new Float32Array(data.features * size);
        const labels = new Uint8Array(size);
        gatherBatch(data, shuffledOrder(data.count, randomU32(seed, 0x6a4d, 0)), 0, size, x, labels);
        snapshot = await this.guarded(trainer, 'Sequential RigL gradient', () => trainer.gradientSnapshot(x, labels, size));
      }
      for (const stage of stages) {
        if (snapshot && stage.layer instanceof SparseLinear) await snapshot.evolveStage(stage, zeta);
        else if (isEvolvable(stage.layer)) await stage.layer.evolve({ zeta, seed: randomU32(seed, 0x1a7e, stage.index) });
      }
    } finally {
      snapshot?.release();
    }
  }

  private async evaluateWith(trainer: Trainer, data: Dataset, batchSize: number): Promise<Metrics> {
    const order = identityOrder(data.count);
    const x = new Float32Array(data.features * Math.min(batchSize, Math.max(1, data.count)));
    const labels = new Uint8Array(batchSize);
    return this.guarded(trainer, 'Sequential.evaluate', async () => {
      trainer.resetMetrics();
      for (let start = 0; start < data.count; start += batchSize) {
        const size = Math.min(batchSize, data.count - start);
        gatherBatch(data, order, start, size, x, labels);
        trainer.evaluateBatch(x, labels, size);
        if ((start / batchSize + 1) % 8 === 0) await trainer.flush();
      }
      await trainer.flush();
      return trainer.readMetrics();
    });
  }

  private trainer(optimizer: Optimizer, seed: number): Trainer {
    const ctx = this.engine.gpuContextForLayers();
    const settings = { plan: this.plan, optimizer, seed };
    return ctx ? new GpuTrainer(ctx, settings) : new HostTrainer(settings);
  }

  private guarded<T>(trainer: Trainer, operation: string, body: () => Promise<T>): Promise<T> {
    const ctx = this.engine.gpuContextForLayers();
    return trainer instanceof GpuTrainer && ctx ? ctx.guard(operation, body) : body();
  }

  /** One operation at a time: a second fit() during a fit() would interleave batches and error scopes. */
  private async exclusive<T>(body: () => Promise<T>): Promise<T> {
    this.assertLive();
    if (this.engine.isDisposed) throw new DisposedError('engine');
    if (this.busy) throw new InvalidArgumentError('model', 'another fit/evaluate/predict/evolve of this model is still running; await it first');
    this.busy = true;
    try {
      return await body();
    } finally {
      this.busy = false;
    }
  }

  private checkFit(data: Dataset, options: FitOptions) {
    this.assertLive();
    this.requireSoftmax('fit');
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with epochs and batchSize');
    assertCount('options.epochs', options.epochs, { min: 1 });
    assertCount('options.batchSize', options.batchSize, { min: 1 });
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InvalidArgumentError('options.seed', `must be a u32 integer, got ${String(seed)}`);
    const syncEvery = options.syncEvery ?? 4;
    assertCount('options.syncEvery', syncEvery, { min: 1 });
    if (options.signal !== undefined && !(typeof options.signal === 'object' && 'aborted' in options.signal)) throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
    if (options.stopOnNonFinite !== undefined && typeof options.stopOnNonFinite !== 'boolean') {
      throw new InvalidArgumentError('options.stopOnNonFinite', `must be a boolean, got ${String(options.stopOnNonFinite)}`);
    }
    this.checkData('data', data);
    if (options.validationData !== undefined) this.checkData('options.validationData', options.validationData);
    return {
      epochs: options.epochs,
      batchSize: options.batchSize,
      optimizer: options.optimizer ?? sgd(),
      evolution: options.evolution,
      seed,
      shuffle: options.shuffle ?? true,
      validationData: options.validationData,
      onBatchEnd: options.onBatchEnd,
      onEpochEnd: options.onEpochEnd,
      signal: options.signal,
      syncEvery,
      stopOnNonFinite: options.stopOnNonFinite ?? true,
    };
  }

  private checkData(argument: string, data: Dataset): void {
    validateDataset(data, argument);
    if (data.count === 0) throw new InvalidArgumentError(`${argument}.count`, 'is 0: there are no samples');
    if (data.features !== this.inputSize) throw new ShapeMismatchError(`${argument}.features`, `is ${data.features} but the model takes ${this.inputSize} inputs`);
    if (data.classes > this.outputSize) throw new ShapeMismatchError(`${argument}.classes`, `is ${data.classes} but the model has ${this.outputSize} outputs`);
  }

  private requireSoftmax(what: string): void {
    if (!this.plan.softmax) throw new InvalidArgumentError('layers', `${what} needs a model ending with softmax() (softmax cross-entropy)`);
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError('Sequential model');
  }
}


function now(): number {
  return globalThis.performance.now();
}
