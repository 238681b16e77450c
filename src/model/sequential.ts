import type { Engine } from '../engine/engine.js';
import { DeviceLostError, DisposedError, GpuError, InvalidArgumentError, ShapeMismatchError, TrainingDivergedError, type KeptState } from '../errors.js';
import type { GpuContext } from '../gpu/gpu-context.js';
import { DenseMatrix } from '../formats/dense.js';
import { assertCount } from '../formats/validate.js';
import { gatherBatch, shuffledOrder, validateDataset, type Dataset } from '../data/dataset.js';
import { LinearLayer } from '../layers/linear-layer.js';
import { randomU32 } from '../random.js';
import type { EpochLog, History } from '../history.js';
import { PhaseClock, timed, timedAsync } from './profile.js';
import { zetaAfterEpoch, type Evolution } from './evolution.js';
import { GpuTrainer } from './gpu-trainer.js';
import { HostTrainer } from './host-trainer.js';
import { sgd, type Optimizer } from './optimizer.js';
import { decodeModel, encodeModel, ModelFormatError, type ModelMetadata } from './model-file.js';
import { layersFromSnapshot, snapshotLayers } from './persist.js';
import { keepHostCopies } from './keep.js';
import { planStages, type ModelLayer, type StagePlan } from './stages.js';
import { lastStage, type GradientSnapshot, type Metrics, type Trainer, type TrainerLoss } from './trainer.js';
import { checkAutoencoder } from './quick-selection.js';
import { strongestInputs } from './input-ranking.js';
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

/**
 * What a model learns from a Dataset:
 * - 'classify': class probabilities from the inputs; softmax cross-entropy
 *   on `labels` (the model ends with softmax()).
 * - 'autoencode': the inputs themselves; the mean over features of
 *   (y − x)² per sample, with y − x as the output's delta (the QuickSelection
 *   authors' form). The model has as many outputs as inputs and no
 *   softmax(); its last linear layer may be followed by an activation
 *   (sigmoid for [0, 1] inputs) or nothing (a linear output). Labels are
 *   ignored, and accuracies are NaN.
 */
export type FitTask = 'classify' | 'autoencode';

/** A denoising autoencoder's input corruption (FitOptions.corruption). */
export interface FitCorruption {
  /** σ of the additive Gaussian noise x + σ·N(0, 1), unclipped (QuickSelection: 0.2). */
  noiseFactor: number;
  /**
   * u32 seed of the noise, drawn per (data-set sample, feature): a sample
   * keeps its noise through shuffles and epochs (the authors draw it once).
   */
  seed: number;
}

export interface FitOptions {
  /** Default 'classify'; see FitTask. */
  task?: FitTask;
  /**
   * 'autoencode' only: training batches are corrupted before the forward
   * pass while the clean inputs stay the targets (a denoising autoencoder).
   * Validation, evaluate() and predict() see clean inputs.
   */
  corruption?: FitCorruption;
  /**
   * 'autoencode' only: rank the input features by their neuron strength
   * s_i = Σ_j |W¹_ij| after every epoch (after its topology update) and
   * report the k strongest as EpochLog.selectedFeatures (QuickSelection).
   * On WebGPU only the k indices and strengths are read back.
   */
  selectFeatures?: { k: number };
  /** The epoch to train up to (with initialEpoch > 0, not a count: tfjs-layers' meaning). */
  epochs: number;
  /**
   * 0-based epoch to start at (default 0): resumes an interrupted fit with
   * the same options, e.g. after a device loss (DeviceLostError.initialEpoch).
   * Shuffling, dropout and evolution seeds follow the epoch number, so a
   * resumed fit trains as the uninterrupted one would have; History holds
   * only the epochs this call runs.
   */
  initialEpoch?: number;
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
  /**
   * Time each phase of the training step per layer (products, bias,
   * activation and dropout, loss, optimizer, copies) plus evaluation and
   * evolution, into EpochLog.profile. CPU backend only: on WebGPU a batch is
   * one recorded submission whose passes the host cannot time apart.
   */
  profile?: boolean;
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
  private current: Engine;
  /**
   * What the layers' host copies hold (on WebGPU they are refreshed at every
   * epoch end and after evolve()): the state a device loss falls back to.
   */
  private kept: { description: string; updates: number; initialEpoch?: number; history?: History } = {
    description: 'the model state when it was attached',
    updates: 0,
  };
  /** GPU work past the kept copy that no fit epoch has kept yet (a model.evolve()): what a loss would undo. */
  private unkept: string | undefined;
  /** Why the device was lost, once the model has fallen back to its host copy; cleared by attach(). */
  private lostReason: string | undefined;

  constructor(engine: Engine, layers: readonly ModelLayer[]) {
    this.plan = planStages(layers);
    this.layers = [...layers];
    this.current = engine;
    for (const stage of this.plan.stages) stage.layer.attach(engine);
  }

  /** The engine the model runs on (see attach()). */
  get engine(): Engine {
    return this.current;
  }

  /**
   * Moves the model to a new engine (WebGPU or CPU) after its device was
   * lost: it continues from the state kept on the host (a fit keeps it at
   * every epoch end; the DeviceLostError says which). A model on a working
   * engine stays there.
   */
  attach(engine: Engine): void {
    this.assertLive();
    if (typeof engine !== 'object' || engine === null || typeof (engine as Partial<Engine>).gpuContextForLayers !== 'function') {
      throw new InvalidArgumentError('engine', 'must be an Engine (createEngine())');
    }
    if (engine.isDisposed) throw new DisposedError('engine');
    if (this.busy) throw new InvalidArgumentError('model', 'a fit/evaluate/predict/evolve of this model is still running; await it first');
    this.settleLoss();
    if (engine === this.current) {
      if (this.lostReason !== undefined) throw this.lostError(this.lostReason, 'callAgain');
      return;
    }
    if (this.lostReason === undefined) {
      throw new InvalidArgumentError('engine', 'the model is attached to an engine whose device still works; attach() moves a model only after a device loss');
    }
    const attached: LinearLayer[] = [];
    try {
      for (const layer of this.linearLayers) {
        layer.attach(engine);
        attached.push(layer);
      }
    } catch (e) {
      // E.g. a DeviceLimitError on a smaller device: all or nothing, so another engine can be tried.
      for (const layer of attached) layer.detachUnused();
      throw e;
    }
    this.current = engine;
    this.lostReason = undefined;
    this.unkept = undefined;
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

  /**
   * Trains on `data` (sample-major inputs, class labels); see FitOptions. On
   * WebGPU the model state is kept on the host at every epoch end, so a
   * device loss costs at most the current epoch: the DeviceLostError says
   * what was kept and how to resume (attach() a new engine, fit again with
   * initialEpoch).
   */
  async fit(data: Dataset, options: FitOptions): Promise<History> {
    const o = this.checkFit(data, options);
    return this.exclusive(async () => {
      const ctx = this.engine.gpuContextForLayers();
      const clock = o.profile ? new PhaseClock() : undefined;
      // The model-wide phases (batch copy, evaluation) time under layer −1.
      const whole = clock && { clock, layer: -1 };
      const trainer = this.trainer(o.optimizer, o.seed, o.loss, o.corruption, clock);
      const history: History = { epochs: [] };
      const batches = Math.ceil(data.count / o.batchSize);
      const x = new Float32Array(data.features * o.batchSize);
      const labels = new Uint8Array(o.batchSize);
      // Dropout masks follow the step, so a resumed fit continues the same sequence.
      let step = o.initialEpoch * batches;
      let samples = 0;
      try {
        if (ctx) await this.keep(ctx, `the model state at the start of this fit (before epoch ${o.initialEpoch + 1})`, { initialEpoch: o.initialEpoch, history: { epochs: [] } });
        for (let epoch = o.initialEpoch; epoch < o.epochs; epoch++) {
          const started = now();
          const order = o.shuffle ? shuffledOrder(data.count, randomU32(o.seed, 0x5f1e, epoch)) : identityOrder(data.count);
          for (const layer of this.linearLayers) layer.gpuStateChanging();
          const metrics = await this.guarded(trainer, 'Sequential.fit', async () => {
            trainer.resetMetrics();
            for (let b = 0; b < batches; b++) {
              o.signal?.throwIfAborted();
              const start = b * o.batchSize;
              const size = Math.min(o.batchSize, data.count - start);
              timed(whole, 'batch copy', () => gatherBatch(data, order, start, size, x, labels));
              trainer.trainBatch(x, labels, size, step++, ++this.updates, o.corruption ? order.subarray(start, start + size) : undefined);
              samples += size;
              if ((b + 1) % o.syncEvery === 0 || b === batches - 1) await trainer.flush();
              await o.onBatchEnd?.({ epoch, batch: b, batches, samples });
            }
            return trainer.readMetrics();
          });
          const log: EpochLog = { epoch, loss: metrics.loss, accuracy: metrics.accuracy, seconds: (now() - started) / 1000, evolveSeconds: 0 };
          if (o.validationData) {
            const validation = o.validationData;
            const v = await timedAsync(whole, 'evaluation', () => this.evaluateWith(trainer, validation, o.batchSize));
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
            clock?.add('evolution', -1, log.evolveSeconds);
          }
          if (o.selectFeatures) {
            const layer = this.plan.stages[0]!.layer;
            log.selectedFeatures = await this.guarded(trainer, 'Sequential feature selection', () => strongestInputs(ctx, layer, o.selectFeatures!.k));
          }
          if (clock) log.profile = clock.take();
          history.epochs.push(log);
          // After evolution: the copy is the state the next epoch starts from. A non-finite
          // loss (stopOnNonFinite: false) means overflowed weights: the last finite copy stays.
          if (ctx && Number.isFinite(log.loss)) await this.keep(ctx, `the model state at the end of epoch ${epoch + 1}`, { initialEpoch: epoch + 1, history: { epochs: [...history.epochs] } });
          await o.onEpochEnd?.(log);
        }
      } catch (e) {
        if (ctx) await this.throwIfLost(e, ctx, 'resumeFit');
        throw e;
      } finally {
        trainer.dispose();
      }
      return history;
    });
  }

  /**
   * Mean loss and accuracy on `data` (no dropout): softmax cross-entropy, or
   * with task 'autoencode' the reconstruction MSE of the clean inputs
   * (accuracy NaN).
   */
  async evaluate(data: Dataset, options: { batchSize?: number; task?: FitTask } = {}): Promise<{ loss: number; accuracy: number }> {
    this.assertLive();
    const task = this.checkTask('options.task', options.task, 'evaluate');
    this.checkData('data', data, task);
    const batchSize = options.batchSize ?? 256;
    assertCount('options.batchSize', batchSize, { min: 1 });
    return this.exclusive(async () => {
      const ctx = this.requireDevice();
      const trainer = this.trainer(sgd(), 1, lossOf(task));
      try {
        const m = await this.evaluateWith(trainer, data, batchSize);
        return { loss: m.loss, accuracy: m.accuracy };
      } catch (e) {
        if (ctx) await this.throwIfLost(e, ctx, 'callAgain');
        throw e;
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
      const ctx = this.requireDevice();
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
      } catch (e) {
        if (ctx) await this.throwIfLost(e, ctx, 'callAgain');
        throw e;
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
      const ctx = this.requireDevice();
      const trainer = data ? this.trainer(sgd(), 1) : undefined;
      try {
        await this.evolveLayers(evolution, evolution.zeta, seed, trainer && data ? { trainer, data, batchSize } : undefined);
        // An update reads back only counters (no copy here): a later loss would undo it, and says so.
        if (ctx) this.unkept = 'the model.evolve() since then';
      } catch (e) {
        if (ctx) await this.throwIfLost(e, ctx, 'callAgain');
        throw e;
      } finally {
        trainer?.dispose();
      }
    });
  }

  /**
   * Connections of every input feature in the first layer (nonzeros per
   * column of W): the SET paper's picture of where the input layer looks.
   */
  async inputConnectivity(): Promise<Uint32Array> {
    this.assertLive();
    // After a device loss: the kept copy's connectivity.
    this.settleLoss();
    return this.plan.stages[0]!.layer.connectionsPerInput();
  }

  /**
   * The model as a file (docs/model-format.md): topology, weights as stored
   * (CSR, N:M, dense) and biases; optimizer state is not saved. After a
   * device loss it saves the state kept on the host (see DeviceLostError).
   */
  async save(metadata: ModelMetadata = {}): Promise<Uint8Array> {
    this.assertLive();
    return this.exclusive(async () => {
      // Saving a copy that silently lacks an evolve() the caller saw succeed would be a quiet loss.
      if (this.lostReason !== undefined && this.unkept !== undefined) throw this.lostError(this.lostReason, 'callAgain');
      return encodeModel({ layers: await snapshotLayers(this.layers), metadata });
    });
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

  private trainer(optimizer: Optimizer, seed: number, loss: TrainerLoss = 'softmax-cross-entropy', corruption?: FitCorruption, clock?: PhaseClock): Trainer {
    const ctx = this.engine.gpuContextForLayers();
    const settings = { plan: this.plan, optimizer, seed, loss, ...(corruption ? { corruption: { ...corruption } } : {}), ...(clock ? { clock } : {}) };
    return ctx ? new GpuTrainer(ctx, settings) : new HostTrainer(settings);
  }

  /**
   * Refreshes the host copy of the whole model (one read-back; nothing when
   * no layer moved past its copy) and records what it is; a state that is not
   * finite is not kept (the previous copy stays).
   */
  private async keep(ctx: GpuContext, description: string, fit: { initialEpoch?: number; history?: History }): Promise<void> {
    if (await keepHostCopies(ctx, this.linearLayers, description)) {
      this.kept = { description, updates: this.updates, ...fit };
      this.unkept = undefined;
    }
  }

  /**
   * When the device was lost, falls back to the kept host copy: every layer
   * leaves the lost device holding it. Idempotent; a no-op while the device works.
   */
  private settleLoss(): void {
    if (this.lostReason !== undefined) return;
    const reason = lossReasonOf(this.current);
    if (reason === undefined) return;
    for (const layer of this.linearLayers) layer.detachAfterLoss();
    this.updates = this.kept.updates;
    this.lostReason = reason;
  }

  /** The GPU context of a working engine (undefined on the CPU); a lost one is a DeviceLostError naming the kept state. */
  private requireDevice(): GpuContext | undefined {
    if (this.lostReason !== undefined) throw this.lostError(this.lostReason, 'callAgain');
    return this.engine.gpuContextForLayers();
  }

  /**
   * A loss reports asynchronously: an operation can fail (a rejected
   * mapping, a validation error from a destroyed device) a moment before
   * device.lost settles. When `error` came from a loss, falls back to the
   * kept copy and throws the DeviceLostError that says what it is.
   */
  private async throwIfLost(error: unknown, ctx: GpuContext, advice: 'resumeFit' | 'callAgain'): Promise<void> {
    if (!ctx.isLost && (error instanceof DeviceLostError || error instanceof GpuError)) await settledWithin(ctx.device.lost, 2000);
    if (!ctx.isLost) return;
    this.settleLoss();
    throw this.lostError(this.lostReason ?? 'unknown', advice);
  }

  private lostError(reason: string, advice: 'resumeFit' | 'callAgain'): DeviceLostError {
    const k = this.kept;
    const attach = 'model.attach(await createEngine())';
    const initialEpoch = advice === 'resumeFit' ? k.initialEpoch : undefined;
    let resume: string;
    if (initialEpoch !== undefined) {
      resume = `${attach}, then model.fit(data, { ...the same options, initialEpoch: ${initialEpoch} }) continues the fit`;
    } else {
      resume = `${attach} (WebGPU or the CPU) continues from it`;
    }
    const lost = this.unkept ? ` (${this.unkept} is lost)` : '';
    const kept: KeptState = {
      description: `${k.description} (weights with their sparse structure, biases and optimizer state)${lost}`,
      resume: `${resume}; model.save() stores it`,
      ...(initialEpoch !== undefined ? { initialEpoch } : {}),
      ...(initialEpoch !== undefined && k.history ? { history: k.history } : {}),
    };
    return new DeviceLostError(reason, kept);
  }

  private guarded<T>(trainer: Trainer, operation: string, body: () => Promise<T>): Promise<T> {
    const ctx = this.engine.gpuContextForLayers();
    return trainer instanceof GpuTrainer && ctx ? ctx.guard(operation, body) : body();
  }

  /** One operation at a time: a second fit() during a fit() would interleave batches and error scopes. */
  private async exclusive<T>(body: () => Promise<T>): Promise<T> {
    this.assertLive();
    if (this.engine.isDisposed) throw new DisposedError('engine');
    this.settleLoss();
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
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object with epochs and batchSize');
    const task = this.checkTask('options.task', options.task, 'fit');
    const corruption = options.corruption;
    if (corruption !== undefined) {
      if (task !== 'autoencode') throw new InvalidArgumentError('options.corruption', "corrupts the inputs of a denoising autoencoder: it needs task: 'autoencode'");
      if (typeof corruption !== 'object' || corruption === null) throw new InvalidArgumentError('options.corruption', 'must be { noiseFactor, seed }');
      if (typeof corruption.noiseFactor !== 'number' || !Number.isFinite(corruption.noiseFactor) || corruption.noiseFactor < 0) {
        throw new InvalidArgumentError('options.corruption.noiseFactor', `must be a finite number ≥ 0, got ${String(corruption.noiseFactor)}`);
      }
      if (!Number.isInteger(corruption.seed) || corruption.seed < 0 || corruption.seed > 0xffffffff) {
        throw new InvalidArgumentError('options.corruption.seed', `must be a u32 integer, got ${String(corruption.seed)}`);
      }
    }
    const select = options.selectFeatures;
    if (select !== undefined) {
      if (task !== 'autoencode') throw new InvalidArgumentError('options.selectFeatures', "ranks an autoencoder's input features (QuickSelection): it needs task: 'autoencode'");
      if (typeof select !== 'object' || select === null) throw new InvalidArgumentError('options.selectFeatures', 'must be { k }');
      const features = this.inputSize;
      if (!Number.isInteger(select.k) || select.k < 1 || select.k > features) {
        throw new InvalidArgumentError('options.selectFeatures.k', `must be an integer in [1, features = ${features}], got ${String(select.k)}`);
      }
    }
    assertCount('options.epochs', options.epochs, { min: 1 });
    assertCount('options.batchSize', options.batchSize, { min: 1 });
    const initialEpoch = options.initialEpoch ?? 0;
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > options.epochs) {
      throw new InvalidArgumentError('options.initialEpoch', `must be an integer in [0, epochs = ${options.epochs}], got ${String(initialEpoch)}`);
    }
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InvalidArgumentError('options.seed', `must be a u32 integer, got ${String(seed)}`);
    const syncEvery = options.syncEvery ?? 4;
    assertCount('options.syncEvery', syncEvery, { min: 1 });
    if (options.signal !== undefined && !(typeof options.signal === 'object' && 'aborted' in options.signal)) throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
    if (options.stopOnNonFinite !== undefined && typeof options.stopOnNonFinite !== 'boolean') {
      throw new InvalidArgumentError('options.stopOnNonFinite', `must be a boolean, got ${String(options.stopOnNonFinite)}`);
    }
    if (options.profile !== undefined && typeof options.profile !== 'boolean') throw new InvalidArgumentError('options.profile', `must be a boolean, got ${String(options.profile)}`);
    if (options.profile && this.engine.gpuContextForLayers()) {
      throw new InvalidArgumentError('options.profile', "times the CPU backend's training phases; on WebGPU a batch is one recorded submission (use createEngine({ backend: 'cpu' }) to profile)");
    }
    this.checkData('data', data, task);
    if (options.validationData !== undefined) this.checkData('options.validationData', options.validationData, task);
    return {
      loss: lossOf(task),
      corruption: corruption ? { noiseFactor: corruption.noiseFactor, seed: corruption.seed } : undefined,
      selectFeatures: select ? { k: select.k } : undefined,
      epochs: options.epochs,
      initialEpoch,
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
      profile: options.profile ?? false,
    };
  }

  private checkData(argument: string, data: Dataset, task: FitTask = 'classify'): void {
    validateDataset(data, argument);
    if (data.count === 0) throw new InvalidArgumentError(`${argument}.count`, 'is 0: there are no samples');
    if (data.features !== this.inputSize) throw new ShapeMismatchError(`${argument}.features`, `is ${data.features} but the model takes ${this.inputSize} inputs`);
    if (task === 'classify' && data.classes > this.outputSize) throw new ShapeMismatchError(`${argument}.classes`, `is ${data.classes} but the model has ${this.outputSize} outputs`);
  }

  /**
   * The task, checked against the model: a classifier ends with softmax();
   * an autoencoder has no softmax(), as many outputs as inputs (`model`) and
   * no dropout after its output layer (a reconstruction is not dropped).
   */
  private checkTask(argument: string, task: FitTask | undefined, what: string): FitTask {
    const t = task ?? 'classify';
    if (t === 'classify') {
      this.requireSoftmax(what);
      return t;
    }
    if (t !== 'autoencode') throw new InvalidArgumentError(argument, `must be 'classify' or 'autoencode', got ${String(task)}`);
    if (this.plan.softmax) throw new InvalidArgumentError('layers', `${what} with task 'autoencode' needs a model without softmax(): its outputs reconstruct the inputs (MSE), they are not class probabilities`);
    checkAutoencoder(this);
    const last = lastStage(this.plan);
    if (last.rate > 0) throw new InvalidArgumentError('layers', `${what} with task 'autoencode': a dropout after the output layer would drop parts of the reconstruction; remove it`);
    return t;
  }

  private requireSoftmax(what: string): void {
    if (!this.plan.softmax) throw new InvalidArgumentError('layers', `${what} needs a model ending with softmax() (softmax cross-entropy)`);
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError('Sequential model');
  }
}


function lossOf(task: FitTask): TrainerLoss {
  return task === 'autoencode' ? 'mse' : 'softmax-cross-entropy';
}

/** Why the engine's device was lost, or undefined while it works (or was disposed). */
function lossReasonOf(engine: Engine): string | undefined {
  if (engine.isDisposed) return undefined;
  try {
    engine.gpuContextForLayers();
    return undefined;
  } catch (e) {
    return e instanceof DeviceLostError ? e.reason : undefined;
  }
}

/** Waits for `promise` at most `ms` (device.lost never settles while the device works). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function now(): number {
  return globalThis.performance.now();
}
