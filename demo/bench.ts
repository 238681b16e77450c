// The in-browser benchmark page: parameters from the URL and a form, the
// suite of bench/suite.ts on this browser's GPU (or its CPU), a progress bar,
// results tables, floors, charts and JSON/CSV export.
//
// For scripts and tests: window.__benchState ('idle' | 'running' | 'done' |
// 'error'), window.__benchResults (the latest BenchReport) and
// window.__benchError (the message, in state 'error').
import { checkFloors, toCsv } from '../bench/report.js';
import { validateReport, type BenchCaseResult, type BenchReport } from '../bench/schema.js';
import type { SuiteProgress } from '../bench/suite.js';
import { renderCharts } from './bench-charts.js';
import { createHost, StoppedError } from './bench-host.js';
import {
  ALL_OPS,
  defaultParams,
  formatNm,
  formatShape,
  formatShapes,
  formatSparsities,
  paramsToSearch,
  parseNm,
  parseParams,
  parseShape,
  parseShapes,
  parseSparsities,
  type BenchParams,
  type Preset,
} from './bench-params.js';
import { byId, fmt, h, renderDevice, renderFloors, renderResults } from './bench-view.js';

export type BenchState = 'idle' | 'running' | 'done' | 'error';

declare global {
  interface Window {
    __benchState?: BenchState;
    __benchResults?: BenchReport;
    __benchError?: string;
  }
}

const $ = byId;

const form = $<HTMLFormElement>('params-form');
const runButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const jsonButton = $<HTMLButtonElement>('export-json');
const csvButton = $<HTMLButtonElement>('export-csv');
const progress = $<HTMLProgressElement>('progress');
const progressCount = $<HTMLOutputElement>('progress-count');
const progressLabel = $('progress-label');
const runError = $('run-error');
const formErrors = $('form-errors');

const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const opBoxes = () => Array.from(form.querySelectorAll<HTMLInputElement>('input[name="ops"]'));

function setState(state: BenchState, error?: string): void {
  window.__benchState = state;
  document.body.dataset.benchState = state;
  if (state === 'error') window.__benchError = error ?? 'unknown error';
  else delete window.__benchError;
}

// ---------------------------------------------------------------------------
// Parameters: URL ⇄ form

const initial = parseParams(new URLSearchParams(location.search));
let params: BenchParams = initial.params;
/** ?worker=0 runs the suite on the page's main thread instead of a worker (read once, kept in the URL). */
const inWorker = new URLSearchParams(location.search).get('worker') !== '0';

function fillForm(p: BenchParams): void {
  input('preset').value = p.preset;
  input('shapes').value = formatShapes(p.shapes);
  input('cpuShape').value = formatShape(p.cpuShape);
  input('sparsities').value = formatSparsities(p.sparsities);
  input('nm').value = formatNm(p.nm);
  for (const box of opBoxes()) box.checked = p.ops.includes(box.value as BenchParams['ops'][number]);
  input('runs').value = String(p.runs);
  input('warmups').value = String(p.warmups);
  input('targetMs').value = String(p.targetMs);
  (input('peers') as HTMLInputElement).checked = p.peers;
  (input('evolve') as HTMLInputElement).checked = p.evolve;
}

/** The form's parameters, or the problems with them (each field marked aria-invalid). */
function readForm(): { params: BenchParams; errors: string[] } {
  const errors: string[] = [];
  const p = defaultParams(input('preset').value as Preset);
  p.autorun = params.autorun;
  const field = <T>(name: string, parse: (text: string) => T, set: (v: T) => void) => {
    const el = input(name);
    try {
      set(parse(el.value));
      el.removeAttribute('aria-invalid');
    } catch (e) {
      el.setAttribute('aria-invalid', 'true');
      errors.push(e instanceof Error ? e.message : String(e));
    }
  };
  const integer = (min: number, label: string) => (text: string) => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isInteger(v) || v < min) throw new Error(`${label} must be an integer ≥ ${min}`);
    return v;
  };
  field('shapes', parseShapes, (v) => (p.shapes = v));
  field('cpuShape', parseShape, (v) => (p.cpuShape = v));
  field('sparsities', parseSparsities, (v) => (p.sparsities = v));
  field('nm', parseNm, (v) => (p.nm = v));
  field('runs', integer(10, 'Timed runs'), (v) => (p.runs = v));
  field('warmups', integer(0, 'Warm-up runs'), (v) => (p.warmups = v));
  field(
    'targetMs',
    (text) => {
      const v = Number(text);
      if (!(v > 0 && v <= 10_000)) throw new Error('Target ms must be a number in (0, 10000]');
      return v;
    },
    (v) => (p.targetMs = v),
  );
  p.ops = ALL_OPS.filter((op) => opBoxes().some((b) => b.checked && b.value === op));
  if (p.ops.length === 0 && p.shapes.length > 0) errors.push('Choose at least one operation.');
  p.peers = (input('peers') as HTMLInputElement).checked;
  p.evolve = (input('evolve') as HTMLInputElement).checked;
  return { params: p, errors };
}

function showFormErrors(errors: string[]): void {
  formErrors.replaceChildren(...(errors.length ? [h('ul', {}, ...errors.map((e) => h('li', {}, e)))] : []));
}

function writeUrl(p: BenchParams): void {
  const search = paramsToSearch(p);
  if (!inWorker) search.set('worker', '0');
  const query = search.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}

form.addEventListener('change', (event) => {
  if ((event.target as HTMLElement).getAttribute('name') === 'preset') {
    const fresh = defaultParams(input('preset').value as Preset);
    fresh.autorun = params.autorun;
    fillForm(fresh);
  }
  const read = readForm();
  showFormErrors(read.errors);
  if (read.errors.length === 0) {
    params = read.params;
    writeUrl(params);
  }
});

form.addEventListener('input', () => {
  const read = readForm();
  if (read.errors.length === 0) {
    showFormErrors([]);
    params = read.params;
    writeUrl(params);
  }
});

// ---------------------------------------------------------------------------
// Running

const host = createHost(inWorker, (message) => {
  const note = $('backend-note');
  note.className = 'note warning';
  note.textContent = `${message}. Reload the page to measure again.`;
});
let running = false;
let latest: BenchReport | undefined;

function showProgress(p: SuiteProgress, live: BenchCaseResult[], nominal: readonly number[]): void {
  progress.max = Math.max(1, p.total);
  progress.value = p.done;
  progressCount.value = `${p.done} / ${p.total}`;
  if (p.result) {
    live.push(p.result);
    const r = p.result;
    progressLabel.textContent = `${p.label}: ${fmt(r.medianMs, 3)} ms${r.speedupVsDense === null ? '' : ` (${fmt(r.speedupVsDense)}× vs dense)`}`;
    renderResults($('results'), live, nominal);
  } else {
    progressLabel.textContent = `Measuring ${p.label}…`;
  }
}

async function run(p: BenchParams): Promise<void> {
  if (running) return;
  running = true;
  setState('running');
  runButton.disabled = true;
  stopButton.disabled = false;
  jsonButton.disabled = true;
  csvButton.disabled = true;
  runError.hidden = true;
  progress.value = 0;
  progress.removeAttribute('value'); // indeterminate until the suite counts its cases
  progressCount.value = '–';
  progressLabel.textContent = 'Preparing operands and peers…';
  $('results').replaceChildren(h('p', {}, 'Running…'));
  $('skipped').replaceChildren();
  $('floors').replaceChildren(h('p', {}, 'Computed when the run finishes.'));
  $('charts').replaceChildren(h('p', {}, 'Drawn when the run finishes.'));
  const live: BenchCaseResult[] = [];
  const started = performance.now();
  try {
    const report = await host.run(p, (progressEvent) => showProgress(progressEvent, live, p.sparsities));
    latest = report;
    window.__benchResults = report;
    showReport(report, p.sparsities);
    progress.max = 1;
    progress.value = 1;
    progressLabel.textContent = `Done: ${report.cases.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
    jsonButton.disabled = false;
    csvButton.disabled = false;
    // Shown and exportable either way, but a report off the schema is a failed run.
    const problems = validateReport(report);
    if (problems.length) {
      const zero = report.cases.some((c) => c.medianMs === 0);
      const message = `the report does not match the schema: ${problems.join('; ')}${zero ? ' (a median of 0 ms: the browser timer is too coarse for cases this small; raise “Target ms per timed run” or the shapes)' : ''}`;
      runError.textContent = `Error: ${message}`;
      runError.hidden = false;
      setState('error', message);
    } else {
      setState('done');
    }
  } catch (e) {
    const message = e instanceof StoppedError ? 'Stopped before the run finished.' : e instanceof Error ? e.message : String(e);
    progressLabel.textContent = e instanceof StoppedError ? message : 'The run failed.';
    if (!(e instanceof StoppedError)) {
      runError.textContent = `Error: ${message}`;
      runError.hidden = false;
    }
    if (live.length) renderResults($('results'), live, p.sparsities);
    else $('results').replaceChildren(h('p', {}, 'No results.'));
    if (e instanceof StoppedError) setState('idle');
    else setState('error', message);
  } finally {
    running = false;
    runButton.disabled = false;
    stopButton.disabled = true;
  }
}

function showReport(report: BenchReport, nominal: readonly number[]): void {
  renderResults($('results'), report.cases, nominal);
  $('skipped').replaceChildren(
    ...(report.skipped.length
      ? [h('h3', {}, 'Skipped'), h('ul', {}, ...report.skipped.map((s) => h('li', {}, `${s.label}: ${s.reason}`)))]
      : []),
  );
  renderFloors($('floors'), checkFloors(report));
  renderCharts($('charts'), report.cases, nominal);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const read = readForm();
  showFormErrors(read.errors);
  if (read.errors.length) {
    form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    return;
  }
  params = read.params;
  writeUrl(params);
  void run(params);
});

stopButton.addEventListener('click', () => host.stop());

// ---------------------------------------------------------------------------
// Export

function fileStem(report: BenchReport): string {
  const adapter = (report.adapter ? `${report.adapter.vendor}-${report.adapter.architecture}` : 'cpu').replace(/[^a-zA-Z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown';
  return `wgsparse-bench-${report.date.slice(0, 10)}-${adapter}`;
}

/** Downloads `text` through a temporary link to a Blob URL. */
function download(text: string, type: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: name, hidden: '' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

jsonButton.addEventListener('click', () => {
  if (latest) download(JSON.stringify({ ...latest, floors: checkFloors(latest) }, null, 2) + '\n', 'application/json', `${fileStem(latest)}.json`);
});
csvButton.addEventListener('click', () => {
  if (latest) download(toCsv(latest), 'text/csv', `${fileStem(latest)}.csv`);
});

// ---------------------------------------------------------------------------
// Start

setState('idle');
fillForm(params);
showFormErrors(initial.errors);
host.ready().then(
  (info) => {
    renderDevice($('device'), $('backend-note'), info);
    runButton.disabled = false;
    if (params.autorun) {
      if (initial.errors.length) setState('error', `bad URL parameters: ${initial.errors.join('; ')}`);
      else void run(params);
    }
  },
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    $('backend-note').className = 'note warning';
    $('backend-note').textContent = `The benchmark could not start: ${message}`;
    setState('error', message);
  },
);
