// The in-browser training page: parameters from the URL and a form, a
// SET-MLP (CSR, 2:4 or dense) trained in a worker on WebGPU or the CPU
// fallback, progress, live loss/accuracy charts, the first layer's
// connectivity heat map after every epoch, a drawing pad, and model files.
//
// For scripts and tests: window.__trainState ('idle' | 'loading' | 'training'
// | 'done' | 'error' | 'stopped'), window.__trainResults (the latest run),
// window.__trainError (the message, in state 'error'), window.__trainLoaded
// (the latest model loaded from a file, in any of the three formats), window.__trainFileError (why the
// latest file did not load) and window.__trainPrediction (the drawing pad's
// latest probabilities).
import type { AdapterInfo, EpochLog, MlpVariant, ModelMetadata } from '../src/index.js';
import { resetCharts, updateCharts } from './train-charts.js';
import { TrainClient, WorkerError } from './train-client.js';
import { DrawingPad } from './train-pad.js';
import { FILE_ERRORS, FORMAT_LABELS, modelFileName, type ExportFormat, type ModelFileFormat } from './train-files.js';
import { TRAIN_OPTIONS } from '../bench/train-options.js';
import { plural } from '../bench/options-core.js';
import { bindOptionsForm, showErrors, wireOptionsForm } from './params-form.js';
import { checkParams, layerSizes, paramsToSearch, parseParams, toTrainOptions, toTrainParams, type TrainParams } from './train-params.js';
import type { DataInfo, DeviceInfo, Evaluation, ModelSummary, TrainEvent } from './train-protocol.js';
import { InputMapView, shares, type BorderShares } from './train-maps.js';
import {
  h,
  int,
  padHint,
  pct,
  renderData,
  renderDevice,
  renderEpochs,
  renderEvaluation,
  renderModel,
  renderProbabilities,
  variantHint,
} from './train-view.js';
import { byId } from './bench-view.js';

export type TrainState = 'idle' | 'loading' | 'training' | 'done' | 'error' | 'stopped';

export interface TrainResults {
  backend: 'webgpu' | 'cpu';
  fallbackReason: string | null;
  adapter: AdapterInfo | null;
  /** The CPU backend's threads (1 on WebGPU), as the worker's engine reported them. */
  threads: number;
  threadsReason: DeviceInfo['threadsReason'];
  variant: MlpVariant;
  sizes: number[];
  params: TrainParams;
  data: DataInfo | null;
  /** One log per finished epoch. */
  epochs: EpochLog[];
  /** Connections per input pixel (784 numbers) after every finished epoch (after its topology update). */
  heatmaps: number[][];
  /** The same before training. */
  initialHeatmap: number[] | null;
  /** Σ |w| per input pixel of the first layer after every finished epoch, and before training. */
  strengths: number[][];
  initialStrength: number[] | null;
  /** The share of the first layer on the blank border (borderShare) after every finished epoch, and before training. */
  borderShares: BorderShares[];
  initialBorderShare: BorderShares | null;
  /** Test accuracy and loss of the model as it ended (null until the run ends, or if it stopped before training). */
  finalAccuracy: number | null;
  finalLoss: number | null;
  parameters: number;
  denseParameters: number;
  stopped: boolean;
  seconds: number | null;
}

export interface LoadedModel {
  fileName: string;
  /** What the file was read as. */
  format: ModelFileFormat;
  model: ModelSummary;
  metadata: ModelMetadata;
  evaluation: Evaluation;
  heatmap: number[];
  strength: number[];
}

declare global {
  interface Window {
    __trainState?: TrainState;
    __trainResults?: TrainResults;
    __trainError?: string;
    __trainLoaded?: LoadedModel;
    __trainFileError?: string;
    __trainPrediction?: number[];
  }
}

const $ = byId;

const form = $<HTMLFormElement>('params-form');
const trainButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const saveButton = $<HTMLButtonElement>('save');
const exportButtons: Record<ExportFormat, HTMLButtonElement> = { onnx: $<HTMLButtonElement>('export-onnx'), safetensors: $<HTMLButtonElement>('export-safetensors') };
const loadInput = $<HTMLInputElement>('load-file');
const progress = $<HTMLProgressElement>('progress');
const progressCount = $<HTMLOutputElement>('progress-count');
const progressLabel = $('progress-label');
const runError = $('run-error');
const formErrors = $('form-errors');
const fileStatus = $('file-status');
const fileError = $('file-error');
const predictionText = $('prediction');
const probs = $('probs');

const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

let state: TrainState = 'idle';
function setState(next: TrainState, error?: string): void {
  state = next;
  window.__trainState = next;
  document.body.dataset.trainState = next;
  if (next === 'error') window.__trainError = error ?? 'unknown error';
  else delete window.__trainError;
}

// ---------------------------------------------------------------------------
// Parameters: URL ⇄ form

const initial = parseParams(new URLSearchParams(location.search));
let params: TrainParams = initial.params;

// One option module for the page and `npm run train` (bench/train-options.ts):
// the same names, defaults and messages in the URL, the form and on the command line.
const bound = bindOptionsForm(form, TRAIN_OPTIONS);

function fillForm(p: TrainParams): void {
  bound.fill(toTrainOptions(p));
  syncFieldStates();
}

/** ε only matters for CSR, ζ not for dense. */
function syncFieldStates(): void {
  const variant = input('variant').value;
  input('epsilon').disabled = variant !== 'set-csr';
  input('zeta').disabled = variant === 'dense';
  $('d-variant').textContent = variantHint(variant);
}

function readForm(): { params: TrainParams; errors: string[] } {
  const read = bound.read(toTrainOptions(params));
  const errors = read.errors.length ? read.errors : checkParams(read.values);
  return { params: toTrainParams(read.values), errors: errors.map((e) => e.message) };
}

wireOptionsForm(form, bound, {
  current: () => toTrainOptions(params),
  accept: (values) => (params = toTrainParams(values)),
  check: checkParams,
  errors: formErrors,
  toSearch: (values) => paramsToSearch(toTrainParams(values)),
  onChange: syncFieldStates,
  submit: () => void train(params),
});

// ---------------------------------------------------------------------------
// The worker

let device: DeviceInfo | undefined;
const client = new TrainClient((message) => {
  const note = $('backend-note');
  note.className = 'note warning';
  note.textContent = `${message}. Reload the page to train again.`;
});

/** Requests that use the model (predict, save, load) one at a time. */
let modelQueue: Promise<unknown> = Promise.resolve();
function queued<T>(body: () => Promise<T>): Promise<T> {
  const next = modelQueue.then(body, body);
  modelQueue = next.catch(() => {});
  return next;
}

let training = false;
let hasModel = false;
/** Where the worker's model came from: the latest run, or the latest file loaded. */
let modelOrigin: 'trained' | 'loaded' | undefined;
let lastEvaluation: Evaluation | null = null;

function setBusy(busy: boolean): void {
  training = busy;
  trainButton.disabled = busy || !device;
  stopButton.disabled = !busy;
  saveButton.disabled = busy || !hasModel;
  for (const button of Object.values(exportButtons)) button.disabled = busy || !hasModel;
  loadInput.disabled = busy;
  if (pad.isEmpty) predictionText.textContent = padHint(hasModel, busy);
}

// ---------------------------------------------------------------------------
// Heat maps

const maps = new InputMapView();

// ---------------------------------------------------------------------------
// Training

let results: TrainResults | undefined;

function onEvent(event: TrainEvent, p: TrainParams, logs: EpochLog[]): void {
  const r = results!;
  switch (event.kind) {
    case 'status':
      progressLabel.textContent = event.text;
      break;
    case 'data':
      r.data = event.data;
      renderData($('data-info'), event.data);
      break;
    case 'model':
      r.parameters = event.model.parameters;
      r.denseParameters = event.model.denseParameters;
      r.initialHeatmap = Array.from(event.maps.counts);
      r.initialStrength = Array.from(event.maps.strength);
      r.initialBorderShare = shares(event.maps);
      hasModel = true;
      modelOrigin = 'trained';
      renderModel($('model-info'), event.model, 'trained in this tab');
      maps.start(p.variant, event.maps);
      setState('training');
      break;
    case 'batch': {
      const total = p.epochs * event.batches;
      const done = event.epoch * event.batches + event.batch + 1;
      progress.max = total;
      progress.value = done;
      progressCount.value = `${int(done)} / ${int(total)}`;
      progressLabel.textContent = `Epoch ${event.epoch + 1} of ${p.epochs}: batch ${event.batch + 1} of ${event.batches}, ${int(event.samples)} samples so far`;
      break;
    }
    case 'epoch': {
      const log = event.log;
      logs.push(log);
      r.epochs.push(log);
      r.heatmaps.push(Array.from(event.maps.counts));
      r.strengths.push(Array.from(event.maps.strength));
      r.borderShares.push(shares(event.maps));
      renderEpochs($('epochs'), logs);
      updateCharts(logs);
      maps.update(event.maps, `After epoch ${log.epoch + 1}${log.zeta === undefined ? '' : ` and its topology update (ζ = ${log.zeta})`}`);
      progressLabel.textContent = `Epoch ${log.epoch + 1} of ${p.epochs}: test accuracy ${log.valAccuracy === undefined ? '–' : pct(log.valAccuracy)}, loss ${log.loss.toFixed(4)}`;
      break;
    }
  }
}

async function train(p: TrainParams): Promise<void> {
  if (training || !device) return;
  setBusy(true);
  setState('loading');
  runError.hidden = true;
  progress.value = 0;
  progress.removeAttribute('value'); // indeterminate until the first batch
  progressCount.value = '–';
  progressLabel.textContent = 'Preparing…';
  $('evaluation').replaceChildren();
  delete $('evaluation').dataset.accuracy;
  renderEpochs($('epochs'), []);
  resetCharts($('charts'));
  const logs: EpochLog[] = [];
  await modelQueue; // a prediction or save of the previous model finishes first
  results = {
    backend: device.backend,
    fallbackReason: device.fallbackReason,
    adapter: device.adapter,
    threads: device.threads,
    threadsReason: device.threadsReason,
    variant: p.variant,
    sizes: layerSizes(p),
    params: { ...p },
    data: null,
    epochs: [],
    heatmaps: [],
    initialHeatmap: null,
    strengths: [],
    initialStrength: null,
    borderShares: [],
    initialBorderShare: null,
    finalAccuracy: null,
    finalLoss: null,
    parameters: 0,
    denseParameters: 0,
    stopped: false,
    seconds: null,
  };
  window.__trainResults = results;
  const started = performance.now();
  try {
    const reply = await client.request({ type: 'train', params: p }, (event) => onEvent(event, p, logs));
    const r = results;
    r.stopped = reply.stopped;
    r.seconds = reply.seconds;
    lastEvaluation = reply.evaluation;
    if (reply.evaluation) {
      r.finalAccuracy = reply.evaluation.accuracy;
      r.finalLoss = reply.evaluation.loss;
      renderEvaluation($('evaluation'), `Test set (${int(p.test)} samples):`, reply.evaluation);
    }
    const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (reply.stopped) {
      progressLabel.textContent = `Stopped after ${reply.epochs} of ${plural(p.epochs, 'epoch')} (${took}).${reply.evaluation ? ` Test accuracy ${pct(reply.evaluation.accuracy)}.` : ''}`;
      setState('stopped');
    } else {
      progress.max = 1;
      progress.value = 1;
      progressLabel.textContent = `Done: ${plural(p.epochs, 'epoch')} in ${took}, test accuracy ${pct(reply.evaluation!.accuracy)}.`;
      setState('done');
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    runError.textContent = `Error: ${message}`;
    runError.hidden = false;
    progressLabel.textContent = 'Training failed.';
    setState('error', message);
  } finally {
    setBusy(false);
  }
  if (hasModel && !pad.isEmpty) void predict(pad.pixels());
}

stopButton.addEventListener('click', () => {
  client.stop();
  stopButton.disabled = true;
  progressLabel.textContent = 'Stopping after the current batch…';
});

// ---------------------------------------------------------------------------
// Drawing pad

function predict(pixels: Float32Array | null): Promise<void> {
  if (!pixels) {
    probs.replaceChildren();
    predictionText.textContent = padHint(hasModel, training);
    delete window.__trainPrediction;
    return Promise.resolve();
  }
  if (!hasModel) {
    predictionText.textContent = 'Train or load a model first; the prediction appears here.';
    return Promise.resolve();
  }
  if (training) {
    predictionText.textContent = 'The prediction appears when training ends.';
    return Promise.resolve();
  }
  return queued(async () => {
    try {
      const reply = await client.request({ type: 'predict', pixels });
      renderProbabilities(probs, predictionText, reply.probabilities);
      window.__trainPrediction = reply.probabilities;
    } catch (e) {
      predictionText.textContent = `No prediction: ${e instanceof Error ? e.message : String(e)}`;
    }
  });
}

const pad = new DrawingPad($<HTMLCanvasElement>('pad'), $<HTMLCanvasElement>('pad-preview'), (pixels) => void predict(pixels));
$('clear').addEventListener('click', () => {
  pad.clear();
  void predict(null);
});

// ---------------------------------------------------------------------------
// Model files

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: '' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The current model's file name: the trained run's variant and widths, or the loaded model's. */
function fileNameFor(format: ModelFileFormat): string {
  const source = modelOrigin === 'loaded' ? window.__trainLoaded?.model : results;
  return modelFileName(source?.variant, source?.sizes, format);
}

for (const [format, button] of Object.entries(exportButtons) as [ExportFormat, HTMLButtonElement][]) {
  button.addEventListener('click', () => {
    void queued(async () => {
      fileError.hidden = true;
      const label = FORMAT_LABELS[format];
      fileStatus.textContent = `Exporting the model as ${label}…`;
      try {
        const reply = await client.request({ type: 'export', format });
        const name = fileNameFor(format);
        download(new Blob([reply.bytes], { type: 'application/octet-stream' }), name);
        fileStatus.textContent = `Downloaded ${name} (${label}, ${int(reply.bytes.byteLength)} bytes).`;
      } catch (e) {
        fileStatus.textContent = '';
        fileError.textContent = `Could not export the model as ${label}: ${e instanceof Error ? e.message : String(e)}`;
        fileError.hidden = false;
      }
    });
  });
}

saveButton.addEventListener('click', () => {
  void queued(async () => {
    fileError.hidden = true;
    try {
      const metadata: ModelMetadata = { app: 'wgsparse training demo', savedAt: new Date().toISOString() };
      if (results) {
        metadata.data = results.params.data;
        metadata.trainSamples = results.params.train;
        metadata.epochs = results.epochs.length;
      }
      if (lastEvaluation) metadata.testAccuracy = lastEvaluation.accuracy;
      const reply = await client.request({ type: 'save', metadata });
      const name = fileNameFor('wgsparse');
      download(new Blob([reply.bytes], { type: 'application/octet-stream' }), name);
      fileStatus.textContent = `Saved ${name} (${int(reply.bytes.byteLength)} bytes).`;
    } catch (e) {
      fileError.textContent = `Could not save the model: ${e instanceof Error ? e.message : String(e)}`;
      fileError.hidden = false;
    }
  });
});

loadInput.addEventListener('change', () => {
  const file = loadInput.files?.[0];
  if (!file || training) return;
  const before = state;
  const read = readForm();
  const p = read.errors.length ? params : read.params;
  void queued(async () => {
    fileError.hidden = true;
    delete window.__trainFileError;
    fileStatus.textContent = `Loading ${file.name} and evaluating it on the test set…`;
    setState('loading');
    setBusy(true);
    stopButton.disabled = true;
    try {
      const bytes = await file.arrayBuffer();
      const reply = await client.request({ type: 'load', bytes, fileName: file.name, params: p }, (event) => {
        if (event.kind === 'status') fileStatus.textContent = event.text;
      }, [bytes]);
      hasModel = true;
      modelOrigin = 'loaded';
      lastEvaluation = reply.evaluation;
      const format = FORMAT_LABELS[reply.format];
      const loaded: LoadedModel = { fileName: file.name, format: reply.format, model: reply.model, metadata: reply.metadata, evaluation: reply.evaluation, heatmap: Array.from(reply.maps.counts), strength: Array.from(reply.maps.strength) };
      window.__trainLoaded = loaded;
      renderModel($('model-info'), reply.model, `loaded from ${file.name} (${format})`);
      renderEvaluation($('evaluation'), `Loaded model on the test set (${int(reply.data.test)} samples, ${reply.data.source}):`, reply.evaluation);
      maps.loaded(reply.model.variant, reply.maps, `Loaded from ${file.name}`);
      fileStatus.textContent = `Loaded ${file.name} (${format}): ${int(reply.model.parameters)} parameters, test accuracy ${pct(reply.evaluation.accuracy)}.`;
      setState('done');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // ModelFormatError (wgsparse's format), InteropFormatError and UnsupportedOperatorError (ONNX, safetensors): the file is at fault.
      const kind = e instanceof WorkerError && FILE_ERRORS.has(e.errorName) ? 'not a usable model file' : 'could not load it';
      window.__trainFileError = message;
      fileError.textContent = `${file.name}: ${kind}. ${message}`;
      fileError.hidden = false;
      fileStatus.textContent = '';
      setState(before, window.__trainError);
    } finally {
      setBusy(false);
      loadInput.value = '';
    }
    if (!pad.isEmpty) void predict(pad.pixels()); // queued after this load
  });
});

// ---------------------------------------------------------------------------
// Start

setState('idle');
fillForm(params);
showErrors(formErrors, initial.errors);
renderEpochs($('epochs'), []);
setBusy(false);
client.ready.then(
  (info) => {
    device = info;
    renderDevice($('device'), $('backend-note'), info);
    setBusy(false);
    if (params.autorun) {
      if (initial.errors.length) setState('error', `bad URL parameters: ${initial.errors.map((e) => e.message).join('; ')}`);
      else void train(params);
    }
  },
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    $('backend-note').className = 'note warning';
    $('backend-note').textContent = `The training worker could not start: ${message}`;
    setState('error', message);
  },
);
