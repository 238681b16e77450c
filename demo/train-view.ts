// DOM rendering of the training page: device, model size, epoch table,
// connectivity heat maps and the prediction bars.
import type { EpochLog } from '../src/index.js';
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
    note.textContent = `CPU fallback: ${info.fallbackReason ?? 'no reason given'}. Training runs on the CPU backend with ${kernels} (slower than a GPU; keep the network small).`;
  }
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

// viridis, 9 stops
const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

export const gradientCss = (): string => `linear-gradient(to right, ${STOPS.map(([r, g, b]) => `rgb(${r} ${g} ${b})`).join(', ')})`;

/** A side × side map of counts onto a canvas of that many pixels (CSS scales it up, pixelated), 0 … max. */
export function drawHeatmap(canvas: HTMLCanvasElement, counts: ArrayLike<number>, max: number, side = 28): void {
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const [r, g, b] = colour(max > 0 ? (counts[i] ?? 0) / max : 0);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

export function heatmapStats(counts: ArrayLike<number>): { min: number; max: number; total: number } {
  let min = Infinity;
  let max = 0;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    min = Math.min(min, c);
    max = Math.max(max, c);
    total += c;
  }
  return { min: Number.isFinite(min) ? min : 0, max, total };
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
