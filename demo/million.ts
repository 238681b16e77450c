// The million-neuron page: the run of bench/million.ts in a browser tab, on
// the main thread (the trainer yields after every batch, so progress
// repaints), with its options from the URL.
//
// For scripts and tests: window.__millionState ('idle' | 'generating' |
// 'building' | 'training' | 'done' | 'error' | 'stopped'), window.__millionResults
// (the run so far) and window.__millionError (the message, in state 'error').
import { createEngine, type Engine } from '../src/index.js';
import { millionData, trainMillion, type MillionEpoch, type ModelRun } from '../bench/million-run.js';
import { parseMillionSearch, type MillionOptions } from '../bench/million-options.js';
import { byId } from './bench-view.js';

export type MillionState = 'idle' | 'generating' | 'building' | 'training' | 'done' | 'error' | 'stopped';

export interface MillionResults {
  backend: 'webgpu' | 'cpu';
  fallbackReason: string | null;
  options: MillionOptions;
  /** Batch-progress updates the page drew (at least one per batch). */
  progressUpdates: number;
  model: ModelRun | null;
  totalSeconds: number;
}

declare global {
  interface Window {
    __millionState?: MillionState;
    __millionResults?: MillionResults;
    __millionError?: string;
  }
}

const { options, errors } = parseMillionSearch(new URLSearchParams(location.search));
const run = byId<HTMLButtonElement>('run');
const stop = byId<HTMLButtonElement>('stop');
const progress = byId<HTMLProgressElement>('progress');
const count = byId<HTMLOutputElement>('progress-count');
const label = byId('progress-label');
const runError = byId('run-error');
let controller: AbortController | undefined;

const int = (n: number): string => n.toLocaleString('en');
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

function setState(state: MillionState): void {
  window.__millionState = state;
  document.body.dataset.state = state;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function pairs(target: HTMLElement, entries: Array<[string, string]>): void {
  target.replaceChildren(...entries.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

function showSetup(): void {
  const o = options;
  pairs(byId('setup'), [
    ['Data', `${int(o.samples)} samples × ${int(o.features)} features, ${o.classes} classes, ${int(o.informative)} informative (±${o.signal}), ${int(o.samples - o.test)} / ${int(o.test)} split`],
    ['Network', `${[o.features, ...o.hidden, o.classes].map(int).join('-')} (${int(o.hidden.reduce((a, b) => a + b, 0))} hidden neurons), ε = ${o.epsilon}`],
    ['Training', `${o.epochs} epoch${o.epochs === 1 ? '' : 's'}, batch ${o.batch}, SGD lr ${o.lr}, momentum ${o.momentum}, dropout ${o.dropout}, SET ζ = ${o.zeta}`],
    ['Backend', o.backend],
  ]);
  const list = byId('option-errors');
  list.replaceChildren(...errors.map((e) => el('p', e.message)));
}

function showModel(m: ModelRun, backend: string): void {
  const connections = m.layerSummaries.reduce((n, l) => n + l.connections, 0);
  pairs(byId('model-info'), [
    ['Backend', backend],
    ['Hidden neurons', int(m.hiddenNeurons)],
    ['Connections', `${int(connections)} (${m.layerSummaries.map((l) => `${int(l.in)}→${int(l.out)}: ${int(l.connections)}`).join('; ')})`],
    ['Dense equivalent', `${int(m.denseParameters)} parameters; stored ${int(m.parameters)} (${((100 * m.parameters) / m.denseParameters).toPrecision(2)} %)`],
    ['Built in', `${m.buildSeconds.toFixed(1)} s`],
  ]);
  byId('model-info').setAttribute('data-hidden-neurons', String(m.hiddenNeurons));
}

function showEpochs(epochs: readonly MillionEpoch[]): void {
  const table = el('table');
  const head = el('tr');
  for (const t of ['Epoch', 'Train loss', 'Train acc.', 'Test acc.', 'Seconds (train + test + evolve)', 'Connections per informative / other input']) head.append(el('th', t, { scope: 'col' }));
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  for (const e of epochs) {
    const row = el('tr');
    for (const t of [
      String(e.epoch),
      e.trainLoss.toFixed(4),
      pct(e.trainAccuracy),
      pct(e.testAccuracy),
      `${e.seconds.toFixed(1)} + ${e.evaluateSeconds.toFixed(1)} + ${e.evolveSeconds.toFixed(1)}`,
      `${e.inputFocus.informativeMean.toFixed(1)} / ${e.inputFocus.otherMean.toFixed(1)}`,
    ])
      row.append(el('td', t));
    table.tBodies[0]!.append(row);
  }
  byId('epochs').replaceChildren(table);
}

/** Lets the browser paint before a long synchronous stretch (generation, building). */
const paint = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function train(): Promise<void> {
  run.disabled = true;
  stop.disabled = false;
  runError.hidden = true;
  controller = new AbortController();
  const started = performance.now();
  let engine: Engine | undefined;
  const results: MillionResults = { backend: 'cpu', fallbackReason: null, options, progressUpdates: 0, model: null, totalSeconds: 0 };
  window.__millionResults = results;
  try {
    setState('generating');
    label.textContent = `Generating ${int(options.samples)} × ${int(options.features)} values…`;
    await paint();
    const data = millionData(options);
    setState('building');
    label.textContent = `Data generated in ${data.seconds.toFixed(1)} s; building ${int(options.hidden.reduce((a, b) => a + b, 0))} hidden neurons…`;
    await paint();
    engine = await createEngine({ backend: options.backend });
    results.backend = engine.backend;
    results.fallbackReason = engine.fallbackReason ?? null;
    const backend = engine.backend === 'webgpu' ? `WebGPU (${engine.adapterInfo?.vendor ?? ''} ${engine.adapterInfo?.architecture ?? ''})` : `CPU${engine.fallbackReason ? ` — ${engine.fallbackReason}` : ''}`;
    results.model = await trainMillion(engine, options, data, { variant: 'set-csr', hidden: options.hidden, epochs: options.epochs, lr: options.lr }, {
      signal: controller.signal,
      onBuilt: async (m) => {
        results.model = m;
        showModel(m, backend);
        setState('training');
        label.textContent = 'Training…';
        await paint();
      },
      onBatch: (epoch, batch, batches) => {
        progress.max = batches * options.epochs;
        progress.value = epoch * batches + batch + 1;
        count.value = `${int(progress.value)} / ${int(progress.max)}`;
        label.textContent = `Epoch ${epoch + 1} of ${options.epochs}: batch ${batch + 1} of ${batches} (${((performance.now() - started) / 1000).toFixed(0)} s)`;
        results.progressUpdates++;
      },
      onEpoch: (m, e) => {
        results.model = m;
        showEpochs(m.epochs);
        label.textContent = `Epoch ${e.epoch} of ${options.epochs} done: test accuracy ${pct(e.testAccuracy)}.`;
      },
    });
    results.totalSeconds = (performance.now() - started) / 1000;
    label.textContent = `Done: ${options.epochs} epoch${options.epochs === 1 ? '' : 's'} in ${results.totalSeconds.toFixed(0)} s, test accuracy ${pct(results.model.finalTestAccuracy ?? Number.NaN)} (chance ≈ ${pct(1 / options.classes)}).`;
    setState('done');
  } catch (e) {
    results.totalSeconds = (performance.now() - started) / 1000;
    if (controller.signal.aborted) {
      label.textContent = 'Stopped.';
      setState('stopped');
    } else {
      const message = e instanceof Error ? e.message : String(e);
      window.__millionError = message;
      runError.textContent = message;
      runError.hidden = false;
      setState('error');
    }
  } finally {
    engine?.dispose();
    run.disabled = false;
    stop.disabled = true;
  }
}

run.addEventListener('click', () => void train());
stop.addEventListener('click', () => controller?.abort(new Error('stopped')));
showSetup();
setState('idle');
if (options.autorun) void train();
