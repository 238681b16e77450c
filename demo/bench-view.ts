// DOM rendering of the benchmark page: device, results tables, floors.
import type { FloorCheck } from '../bench/report.js';
import type { BenchCaseResult } from '../bench/schema.js';
import type { DeviceInfo } from './bench-runner.js';

type Child = Node | string | null | undefined | false;

/** document.createElement with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A page element by id; a missing one is a bug in the page, said loudly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e as T;
}

/** What the backend's products run on, as the device tables name it. */
export function backendLabel(info: Pick<DeviceInfo, 'backend' | 'cpuKernels'>): string {
  if (info.backend === 'webgpu') return 'WebGPU';
  return info.cpuKernels === 'wasm-simd' ? 'CPU, WebAssembly SIMD' : 'CPU, plain JavaScript (typed arrays)';
}

/** The backend and adapter as a definition list (shared by the benchmark and training pages). */
export function adapterList(info: Pick<DeviceInfo, 'backend' | 'adapter' | 'cpuKernels'>, runsIn: string): HTMLDListElement {
  const dl = h('dl', { id: 'adapter' });
  const item = (term: string, value: string) => dl.append(h('dt', {}, term), h('dd', {}, value || '(not reported)'));
  item('Backend', backendLabel(info));
  dl.querySelector('dd')!.dataset.cpuKernels = info.cpuKernels;
  if (info.adapter) {
    item('Vendor', info.adapter.vendor);
    item('Architecture', info.adapter.architecture);
    item('Description', info.adapter.description);
    if (info.adapter.device) item('Device', info.adapter.device);
  }
  item('Runs in', runsIn);
  return dl;
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(digits);
}

export const shapeText = (c: { rows: number; cols: number }): string => `${c.rows}×${c.cols}`;

const EVOLVE_OPS = new Set<string>(['evolve', 'evolve-roundtrip', 'epoch']);
export const isEvolveCase = (c: BenchCaseResult): boolean => EVOLVE_OPS.has(c.op);

/**
 * The configured sparsity a CSR case was drawn at: random CSR layers of small
 * shapes land near, not on, the requested sparsity (64×64 at 0.9 → 0.913).
 */
export function nominalSparsity(c: BenchCaseResult, nominal: readonly number[]): number {
  if (c.format !== 'csr' || nominal.length === 0) return c.sparsity;
  const nearest = nominal.reduce((best, s) => (Math.abs(s - c.sparsity) < Math.abs(best - c.sparsity) ? s : best));
  return Math.abs(nearest - c.sparsity) <= 0.05 ? nearest : c.sparsity;
}

/** dense, csr 90%, 2:4 — or what an evolution case measures. */
export function variantOf(c: BenchCaseResult, nominal: readonly number[] = []): string {
  switch (c.op) {
    case 'evolve':
      return 'SET update, layer resident on the GPU';
    case 'evolve-roundtrip':
      return 'CPU round trip (read back, evolve, upload)';
    case 'epoch':
      return `training epoch (forward + backward, 60,000 samples${c.extrapolatedFromBatches ? `, extrapolated from ${c.extrapolatedFromBatches} batches` : ''})`;
    default:
      return c.format === 'dense' ? 'dense' : c.format === 'nm' ? `${c.n}:${c.m}` : `csr ${percent(nominalSparsity(c, nominal))}`;
  }
}

const percent = (s: number): string => `${Number((s * 100).toFixed(1))}%`;

export interface CaseGroup {
  key: string;
  title: string;
  backend: 'webgpu' | 'cpu';
  op: string;
  cases: BenchCaseResult[];
}

/** Cases per (backend, op, shape), in the order they were measured; the evolution cases form one group. */
export function groupCases(cases: BenchCaseResult[]): CaseGroup[] {
  const groups = new Map<string, CaseGroup>();
  for (const c of cases) {
    const evolve = isEvolveCase(c);
    const op = evolve ? 'topology evolution' : c.op;
    // The evolution cases span backends (the CPU round trip) and batches (the epoch): one group per layer.
    const key = evolve ? `evolve|${c.rows}x${c.cols}` : `${c.backend}|${op}|${c.rows}x${c.cols}x${c.batch}`;
    const title = evolve
      ? `topology evolution (SET) · ${shapeText(c)} layer, ${c.nnz.toLocaleString('en-US')} connections`
      : `${c.backend} · ${c.op} · ${shapeText(c)} weights, batch ${c.batch}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, title, backend: c.backend, op, cases: [] }));
    g.cases.push(c);
  }
  return [...groups.values()];
}

/** speedupVsDense as runSuite fills it in at the end (for the live table while a run is under way). */
export function withSpeedups(cases: BenchCaseResult[]): BenchCaseResult[] {
  return cases.map((c) => {
    if (c.speedupVsDense !== null) return c;
    const dense = cases.find(
      (d) => d.impl === 'wgsparse' && d.format === 'dense' && d.op === c.op && d.backend === c.backend && d.rows === c.rows && d.cols === c.cols && d.batch === c.batch,
    );
    return dense ? { ...c, speedupVsDense: dense.medianMs / c.medianMs } : c;
  });
}

const COLUMNS: Array<{ label: string; abbr?: string; numeric: boolean; cell: (c: BenchCaseResult, nominal: readonly number[]) => string }> = [
  {
    label: 'Variant',
    numeric: false,
    cell: (c, nominal) => {
      const v = variantOf(c, nominal);
      const drawn = percent(c.sparsity);
      return c.format === 'csr' && !isEvolveCase(c) && v !== `csr ${drawn}` ? `${v} (drawn: ${drawn})` : v;
    },
  },
  { label: 'Implementation', numeric: false, cell: (c) => c.impl },
  { label: 'Median ms', numeric: true, cell: (c) => fmt(c.medianMs, 3) },
  { label: 'Min ms', numeric: true, cell: (c) => fmt(c.minMs, 3) },
  { label: 'GFLOP/s', numeric: true, cell: (c) => (isEvolveCase(c) ? '–' : fmt(c.gflops)) },
  { label: 'Dense-equiv. GFLOP/s', abbr: 'Dense-equivalent GFLOP/s: 2·rows·cols·batch / median time', numeric: true, cell: (c) => (isEvolveCase(c) ? '–' : fmt(c.denseEquivalentGflops)) },
  { label: 'GB/s', numeric: true, cell: (c) => (isEvolveCase(c) ? '–' : fmt(c.gbps)) },
  { label: 'Speed-up vs dense', numeric: true, cell: (c) => (c.speedupVsDense === null ? '–' : `${fmt(c.speedupVsDense)}×`) },
  { label: 'Timing', abbr: 'timestamp: GPU timestamp queries; wall: performance.now(); ×N: products per timed run', numeric: false, cell: (c) => `${c.timing}${c.repeatsPerRun > 1 ? ` ×${c.repeatsPerRun}` : ''}` },
  { label: 'Max |error|', numeric: true, cell: (c) => c.maxAbsError.toExponential(1) },
];

/**
 * One table per group; rows carry data-backend/op/format/impl/variant for
 * scripts and tests. `nominal`: the run's configured CSR sparsities.
 */
export function renderResults(container: HTMLElement, cases: BenchCaseResult[], nominal: readonly number[]): void {
  const tables = groupCases(withSpeedups(cases)).map((g) => {
    const head = h('tr', {}, ...COLUMNS.map((col) => h('th', { scope: 'col', class: col.numeric ? 'num' : '', ...(col.abbr ? { title: col.abbr } : {}) }, col.label)));
    const rows = g.cases.map((c) => {
      const tr = h('tr', {
        'data-backend': c.backend,
        'data-op': c.op,
        'data-format': c.format,
        'data-impl': c.impl,
        'data-variant': isEvolveCase(c) ? c.op : variantOf(c, nominal),
      });
      COLUMNS.forEach((col, i) => {
        const cell = h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : { class: col.numeric ? 'num' : '' }, col.cell(c, nominal));
        if (col.label.startsWith('Speed-up') && c.speedupVsDense !== null && c.format !== 'dense') cell.classList.add(c.speedupVsDense >= 1 ? 'faster' : 'slower');
        tr.append(cell);
      });
      return tr;
    });
    return h('div', { class: 'table-wrap' }, h('table', { class: 'results', 'data-group': g.key }, h('caption', {}, g.title), h('thead', {}, head), h('tbody', {}, ...rows)));
  });
  container.replaceChildren(...tables);
}

export function renderFloors(container: HTMLElement, floors: FloorCheck[]): void {
  const rows = floors.map((f) => {
    const status = f.status;
    return h(
      'tr',
      { 'data-status': status },
      h('th', { scope: 'row' }, f.name),
      h('td', { class: 'num' }, f.ratio === null ? '–' : `${fmt(f.ratio)}×`),
      h('td', { class: 'num' }, `≥ ${f.floor}×`),
      h('td', { class: `status ${status.replace(' ', '-')}` }, status === 'pass' ? 'PASS' : status === 'miss' ? 'MISS' : 'not measured'),
      h('td', {}, f.detail),
      // Why a floor was not measured, or why its miss says little (an emulated adapter).
      h('td', { class: 'reason' }, f.reason ?? ''),
    );
  });
  const head = h('tr', {}, ...['Floor', 'Measured', 'Required', 'Result', 'Detail', 'Why'].map((t, i) => h('th', { scope: 'col', class: i === 1 || i === 2 ? 'num' : '' }, t)));
  container.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { id: 'floors-table' }, h('caption', {}, 'Performance floors: ratios of medians measured in this run'), h('thead', {}, head), h('tbody', {}, ...rows))));
}

export function renderDevice(container: HTMLElement, note: HTMLElement, info: DeviceInfo): void {
  const dl = adapterList(info, info.realm === 'worker' ? 'a dedicated worker (the page stays responsive)' : 'the page (main thread)');
  const parts: Node[] = [dl];
  if (info.backend === 'webgpu') {
    parts.push(
      h('h3', {}, `Features (${info.features.length})`),
      info.features.length ? h('ul', { id: 'features', class: 'chips' }, ...info.features.map((f) => h('li', {}, h('code', {}, f)))) : h('p', { id: 'features' }, 'No optional features.'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { id: 'limits' },
          h('caption', {}, 'Key limits of the device'),
          h('tbody', {}, ...Object.entries(info.limits).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), h('td', { class: 'num' }, v.toLocaleString('en-US'))))),
        ),
      ),
    );
    note.className = 'note ok';
    note.dataset.backend = 'webgpu';
    note.textContent = 'WebGPU is available: the GPU cases run on this adapter, the CPU cases on the CPU backend.';
  } else {
    note.className = 'note warning';
    note.dataset.backend = 'cpu';
    note.textContent = `No WebGPU here, so the engine fell back to the CPU (${info.fallbackReason ?? 'no reason given'}). Only the CPU cases run: the GPU shapes, the tfjs-webgpu peer and topology evolution are skipped.`;
  }
  container.replaceChildren(...parts);
}
