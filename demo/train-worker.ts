// The training page's engine, data and model, in a dedicated worker so that
// training (on the CPU fallback especially) never freezes the page.
// Protocol: see train-protocol.ts.
import {
  createEngine,
  DenseLinear,
  DenseMatrix,
  MLP_VARIANTS,
  NMLinear,
  Sequential,
  setMlpLayers,
  sgd,
  SparseLinear,
  variantEvolution,
  type Engine,
  type MlpVariant,
  type ModelMetadata,
} from '../src/index.js';
import { DataCache } from './train-data.js';
import { detectFormat, type ExportFormat, type ModelFileFormat } from './train-files.js';
import { layerSizes, type TrainParams } from './train-params.js';
import type { FirstLayerMaps, FromWorker, ModelSummary, Reply, Request, ToWorker, TrainEvent } from './train-protocol.js';

const post = (message: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(message, transfer);

const enginePromise = createEngine({ backend: 'auto' });
enginePromise.then(
  (engine) => {
    post({
      type: 'ready',
      info: { backend: engine.backend, fallbackReason: engine.fallbackReason ?? null, adapter: engine.adapterInfo ? { ...engine.adapterInfo } : null, cpuKernels: engine.cpuKernels, threads: engine.threads, threadsReason: engine.threadsReason ?? null },
    });
    void engine.device?.lost.then((info) => post({ type: 'device-lost', message: `the GPU device was lost (${info.reason}): ${info.message}` }));
  },
  (e: unknown) => post({ type: 'start-failed', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
);

type Interop = typeof import('../src/interop.js');
let interopModule: Promise<Interop> | undefined;
/**
 * wgsparse/interop (ONNX, safetensors), imported on first use: the page and
 * this worker start without its protobuf codec. A failed import is retried
 * on the next request.
 */
function interop(): Promise<Interop> {
  interopModule ??= import('../src/interop.js').catch((e: unknown) => {
    interopModule = undefined;
    throw e;
  });
  return interopModule;
}

/** A model from a file's bytes, in the format detectFormat named. Each reader validates the whole file before anything reaches the GPU. */
async function readModel(engine: Engine, bytes: Uint8Array, format: ModelFileFormat): Promise<Sequential> {
  switch (format) {
    case 'wgsparse':
      return Sequential.load(engine, bytes); // ModelFormatError
    case 'onnx':
      return (await interop()).importOnnx(engine, bytes); // InteropFormatError, UnsupportedOperatorError
    case 'safetensors':
      return (await interop()).importSafetensors(engine, bytes); // InteropFormatError
  }
}

async function exportModel(m: Sequential, format: ExportFormat): Promise<Uint8Array> {
  const io = await interop();
  return format === 'onnx' ? io.exportOnnx(m) : io.exportSafetensors(m);
}

/** The bytes' own buffer when they fill it (no copy), else a copy: something to transfer to the page. */
function transferable(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

const data = new DataCache();
let model: Sequential | undefined;
let summary: ModelSummary | undefined;
/** Set while a request that uses the model (train, load) is under way; 'stop' aborts it. */
let controller: AbortController | undefined;

/** Lets queued messages ('stop') in between batches: a MessageChannel round trip, not a clamped timer. */
const channel = new MessageChannel();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function layerKind(layer: unknown): string {
  if (layer instanceof SparseLinear) return 'CSR';
  if (layer instanceof NMLinear) return `${layer.n}:${layer.m}`;
  if (layer instanceof DenseLinear) return 'dense';
  return 'linear';
}

function summarize(m: Sequential, variant: MlpVariant | null): ModelSummary {
  const linear = m.linearLayers;
  return {
    variant,
    sizes: [m.inputSize, ...linear.map((l) => l.out)],
    layers: linear.map((l) => `${l.in} → ${l.out}: ${layerKind(l)}, ${(l.parameterCount - l.out).toLocaleString('en-US')} of ${(l.in * l.out).toLocaleString('en-US')} weights`),
    parameters: m.parameterCount,
    denseParameters: m.denseParameterCount,
  };
}

/** The variant a loaded file says it is, or the one its layers show. */
function variantOf(m: Sequential, metadata: ModelMetadata): MlpVariant | null {
  const stated = metadata.variant;
  if (typeof stated === 'string' && (MLP_VARIANTS as readonly string[]).includes(stated)) return stated as MlpVariant;
  const layers = m.linearLayers;
  if (layers.some((l) => l instanceof SparseLinear)) return 'set-csr';
  if (layers.some((l) => l instanceof NMLinear)) return 'nm-2:4';
  if (layers.every((l) => l instanceof DenseLinear)) return 'dense';
  return null;
}

/** Connections and Σ |w| per input of the first layer (a weight read-back on WebGPU). */
async function firstLayerMaps(m: Sequential): Promise<FirstLayerMaps> {
  const layer = m.linearLayers[0]!;
  const strength = new Float32Array(layer.in);
  if (layer instanceof SparseLinear) {
    const { W } = await layer.weights();
    for (let k = 0; k < W.nnz; k++) strength[W.colIdx[k]!]! += Math.abs(W.values[k]!);
  } else if (layer instanceof NMLinear) {
    const W = await layer.weights();
    const columns = W.slotColumns();
    for (let k = 0; k < columns.length; k++) strength[columns[k]!]! += Math.abs(W.values[k]!);
  } else if (layer instanceof DenseLinear) {
    const W = await layer.weights();
    for (let r = 0; r < W.rows; r++) for (let c = 0; c < W.cols; c++) strength[c]! += Math.abs(W.data[r * W.cols + c]!);
  }
  return { counts: await m.inputConnectivity(), strength };
}

function assertIdle(what: string): void {
  if (controller) throw new Error(`cannot ${what} while the model is training or loading; stop it first`);
}

async function train(engine: Engine, p: TrainParams, emit: (e: TrainEvent) => void): Promise<Reply> {
  assertIdle('train');
  const ctrl = new AbortController();
  controller = ctrl;
  const signal = ctrl.signal;
  const started = performance.now();
  let trained: Sequential | undefined;
  let epochs = 0;
  try {
    const loaded = await data.load(p, true, signal, (text) => emit({ kind: 'status', text }));
    emit({ kind: 'data', data: loaded.info });
    signal.throwIfAborted();
    model?.dispose();
    model = summary = undefined;
    emit({ kind: 'status', text: 'Building the network…' });
    trained = new Sequential(engine, setMlpLayers({ sizes: layerSizes(p), variant: p.variant, epsilon: p.epsilon, dropoutRate: p.dropout, seed: p.seed }));
    model = trained;
    summary = summarize(trained, p.variant);
    emit({ kind: 'model', model: summary, maps: await firstLayerMaps(trained) });
    emit({ kind: 'status', text: 'Training…' });
    let lastPost = 0;
    let lastYield = performance.now();
    const m = trained;
    await m.fit(loaded.train!, {
      epochs: p.epochs,
      batchSize: p.batch,
      optimizer: sgd({ lr: p.lr }),
      ...(p.variant === 'dense' ? {} : { evolution: variantEvolution(p.variant, p.zeta)! }),
      seed: p.seed,
      validationData: loaded.test,
      signal,
      onBatchEnd: async (b) => {
        const now = performance.now();
        if (now - lastPost > 100 || b.batch === b.batches - 1) {
          lastPost = now;
          emit({ kind: 'batch', ...b });
        }
        if (now - lastYield > 40) {
          await yieldToEvents();
          lastYield = performance.now();
        }
      },
      onEpochEnd: async (log) => {
        epochs++;
        emit({ kind: 'epoch', log, maps: await firstLayerMaps(m) });
      },
    });
    return { type: 'trained', stopped: false, epochs, evaluation: await m.evaluate(loaded.test, { batchSize: 256 }), seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    if (!signal.aborted) throw e;
    // Stopped: the model keeps what it learnt so far (it can still predict and be saved).
    let evaluation = null;
    if (trained) {
      const loaded = await data.load(p, true, new AbortController().signal, () => {});
      evaluation = await trained.evaluate(loaded.test, { batchSize: 256 });
    }
    return { type: 'trained', stopped: true, epochs, evaluation, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (controller === ctrl) controller = undefined;
  }
}

async function load(engine: Engine, request: Extract<Request, { type: 'load' }>, emit: (e: TrainEvent) => void): Promise<Reply> {
  assertIdle('load a model');
  const bytes = new Uint8Array(request.bytes);
  const ctrl = new AbortController();
  controller = ctrl;
  let loaded: Sequential | undefined;
  try {
    const format = detectFormat(bytes, request.fileName);
    // Throws the reader's typed error for anything but a sound file, before any GPU allocation.
    loaded = await readModel(engine, bytes, format);
    if (loaded.inputSize !== 784 || loaded.outputSize < 10) {
      throw new Error(`this model takes ${loaded.inputSize} inputs and gives ${loaded.outputSize} outputs; the page needs 28 × 28 = 784 inputs and 10 classes`);
    }
    const metadata: ModelMetadata = format === 'wgsparse' ? Sequential.metadataOf(bytes) : {};
    const d = await data.load(request.params, false, ctrl.signal, (text) => emit({ kind: 'status', text }));
    const evaluation = await loaded.evaluate(d.test, { batchSize: 256 });
    const maps = await firstLayerMaps(loaded);
    model?.dispose();
    model = loaded;
    summary = summarize(loaded, variantOf(loaded, metadata));
    return { type: 'loaded', format, model: summary, metadata, maps, evaluation, data: d.info };
  } catch (e) {
    if (loaded && model !== loaded) loaded.dispose();
    throw e;
  } finally {
    if (controller === ctrl) controller = undefined;
  }
}

async function handle(id: number, request: Request): Promise<void> {
  const emit = (event: TrainEvent) => post({ type: 'event', id, event });
  try {
    const engine = await enginePromise;
    let reply: Reply;
    const transfer: Transferable[] = [];
    switch (request.type) {
      case 'train':
        reply = await train(engine, request.params, emit);
        break;
      case 'load':
        reply = await load(engine, request, emit);
        break;
      case 'predict': {
        assertIdle('predict');
        if (!model) throw new Error('there is no model yet: train one or load a file');
        const probabilities = await model.predict(new DenseMatrix(model.inputSize, 1, request.pixels));
        reply = { type: 'prediction', probabilities: Array.from(probabilities.data) };
        break;
      }
      case 'save': {
        assertIdle('save');
        if (!model || !summary) throw new Error('there is no model yet: train one or load a file');
        const metadata: ModelMetadata = { ...request.metadata, sizes: summary.sizes.join('-') };
        if (summary.variant) metadata.variant = summary.variant;
        const buffer = transferable(await model.save(metadata));
        reply = { type: 'saved', bytes: buffer };
        transfer.push(buffer);
        break;
      }
      case 'export': {
        assertIdle('export');
        if (!model) throw new Error('there is no model yet: train one or load a file');
        const buffer = transferable(await exportModel(model, request.format));
        reply = { type: 'exported', format: request.format, bytes: buffer };
        transfer.push(buffer);
        break;
      }
    }
    post({ type: 'reply', id, reply }, transfer);
  } catch (e) {
    post({ type: 'failed', id, name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
  }
}

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') controller?.abort();
  else void handle(message.id, message.request);
});
