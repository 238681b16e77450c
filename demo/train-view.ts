// DOM rendering of the training page: device, model size, epoch table and
// the prediction bars (the heat maps are train-maps.ts).
import type { EpochLog, MlpVariant } from '../src/index.js';
import { adapterList, fmt, h } from './bench-view.js';
import { VARIANT_LABELS } from './train-params.js';
import type { DataInfo, DeviceInfo, Evaluation, ModelSummary } from './train-protocol.js';

export { fmt, h };

export const int = (n: number): string => n.toLocaleString('en-US');
export const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)} %`;

export function renderDevice(container: HTMLElement, note: HTMLElement, info: DeviceInfo): void {
  container.replaceChildren(adapterList(info, 'a dedicated worker (the page stays responsive)'));
  note.dataset.backend = info.backend;
  if (info.backend === 'webgpu') {
    const a = info.adapter;
    const name = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') : '';
    note.className = 'note ok';
    note.textContent = `Training on WebGPU${name ? `: ${name}` : ''}.`;
  } else {
    note.className = 'note warning';
    const kernels = info.cpuKernels === 'wasm-simd' ? 'WebAssembly SIMD kernels' : 'plain JavaScript kernels (no WebAssembly SIMD here)';
    const threads = info.threads > 1 ? `on ${info.threads} threads` : `on one thread${info.threadsReason ? ` (${info.threadsReason})` : ''}`;
    note.dataset.threads = String(info.threads);
    note.textContent = `CPU fallback: ${info.fallbackReason ?? 'no reason given'}. Training runs on the CPU backend with ${kernels} ${threads} (slower than a GPU; keep the network small).`;
  }
}

const VARIANT_HINTS: Record<MlpVariant, string> = {
  'set-csr': 'SET drops the weakest connections after each epoch and regrows as many at random.',
  'nm-2:4': 'Every group of 4 consecutive inputs keeps 2 weights per unit; after each epoch the weakest move to a free slot of their group.',
  dense: 'Every input connects to every unit: the baseline the sparse variants are measured against.',
};

/** The Weights field's description for the chosen variant. */
export const variantHint = (variant: string): string => VARIANT_HINTS[variant as MlpVariant] ?? '';

/** What the drawing pad says while nothing is drawn. */
export function padHint(hasModel: boolean, training: boolean): string {
  if (training) return 'Training… draw a digit; the prediction appears when training ends.';
  return hasModel ? 'Draw a digit: the model’s ten probabilities appear here.' : 'Train or load a model, then draw a digit.';
}

export function renderData(container: HTMLElement, info: DataInfo): void {
  container.textContent = `${info.description}; ${int(info.train)} training and ${int(info.test)} test samples (ready in ${fmt(info.seconds)} s).`;
}

export function renderModel(container: HTMLElement, m: ModelSummary, origin: string): void {
  const share = m.parameters / m.denseParameters;
  const dl = h('dl', { id: 'model-size', class: 'pairs' });
  const item = (term: string, value: Node | string, attrs: Record<string, string> = {}) => dl.append(h('dt', {}, term), h('dd', attrs, value));
  item('Model', origin);
  item('Variant', m.variant ? VARIANT_LABELS[m.variant] : 'unknown');
  item('Layers', m.sizes.join(' → '));
  item('Parameters', `${int(m.parameters)} (weights and biases)`, { 'data-parameters': String(m.parameters) });
  item('Dense equivalent', `${int(m.denseParameters)}: this network stores ${pct(share, 1)} of them (${fmt(1 / share, 1)}× fewer)`, {
    'data-dense-parameters': String(m.denseParameters),
  });
  container.replaceChildren(dl, h('ul', { class: 'layers' }, ...m.layers.map((l) => h('li', {}, l))));
}

export function renderEvaluation(container: HTMLElement, label: string, e: Evaluation): void {
  container.replaceChildren(h('strong', {}, label), ` accuracy ${pct(e.accuracy)}, loss ${e.loss.toFixed(4)}`);
  container.dataset.accuracy = String(e.accuracy);
  container.dataset.loss = String(e.loss);
}

const COLUMNS: Array<{ label: string; cell: (l: EpochLog) => string }> = [
  { label: 'Loss', cell: (l) => l.loss.toFixed(4) },
  { label: 'Accuracy', cell: (l) => pct(l.accuracy) },
  { label: 'Test loss', cell: (l) => (l.valLoss === undefined ? '–' : l.valLoss.toFixed(4)) },
  { label: 'Test accuracy', cell: (l) => (l.valAccuracy === undefined ? '–' : pct(l.valAccuracy)) },
  { label: 'ζ after', cell: (l) => (l.zeta === undefined ? '–' : String(l.zeta)) },
  { label: 'Train s', cell: (l) => fmt(l.seconds) },
  { label: 'Evolve s', cell: (l) => fmt(l.evolveSeconds, 3) },
];

/** One row per epoch; rows carry data-epoch. */
export function renderEpochs(container: HTMLElement, logs: readonly EpochLog[]): void {
  if (logs.length === 0) {
    container.replaceChildren(h('p', {}, 'No epochs yet.'));
    return;
  }
  const head = h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Epoch'), ...COLUMNS.map((c) => h('th', { scope: 'col', class: 'num' }, c.label)));
  const rows = logs.map((l) => h('tr', { 'data-epoch': String(l.epoch + 1) }, h('th', { scope: 'row', class: 'num' }, String(l.epoch + 1)), ...COLUMNS.map((c) => h('td', { class: 'num' }, c.cell(l)))));
  container.replaceChildren(
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { id: 'epochs-table' }, h('caption', {}, 'Per epoch: training metrics with dropout, test metrics without'), h('thead', {}, head), h('tbody', {}, ...rows)),
    ),
  );
}

/** Ten bars, the most probable marked; items carry data-digit and data-probability. */
export function renderProbabilities(list: HTMLElement, summary: HTMLElement, probabilities: readonly number[]): void {
  const best = probabilities.reduce((b, p, i) => (p > probabilities[b]! ? i : b), 0);
  list.replaceChildren(
    ...probabilities.map((p, digit) =>
      h(
        'li',
        { 'data-digit': String(digit), 'data-probability': String(p), class: digit === best ? 'best' : '' },
        h('span', { class: 'digit' }, String(digit)),
        h('span', { class: 'bar', role: 'presentation', style: `--p: ${Math.max(0, Math.min(1, p))}` }),
        h('span', { class: 'p' }, pct(p, 1)),
      ),
    ),
  );
  summary.textContent = `The model reads a ${best} (${pct(probabilities[best]!, 1)}).`;
  summary.dataset.digit = String(best);
}
