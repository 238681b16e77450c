// The in-browser benchmark page: parameters from the URL and a form, the
// suite of bench/suite.ts on this browser's GPU (or its CPU), a progress bar,
// results tables, floors, charts and JSON/CSV export.
//
// For scripts and tests: window.__benchState ('idle' | 'running' | 'done' |
// 'error'), window.__benchResults (the latest BenchReport) and
// window.__benchError (the message, in state 'error').
import { finishReport, toCsv } from '../bench/report.js';
import { validateReport, type BenchCaseResult, type BenchReport } from '../bench/schema.js';
import type { SuiteProgress } from '../bench/suite.js';
import { renderCharts } from './bench-charts.js';
import { createHost, StoppedError } from './bench-host.js';
import { BENCH_OPTIONS, benchOptionsToSearch, defaultOptions, parseBenchSearch, type BenchOptions, type BenchPreset } from '../bench/bench-options.js';
import { plural } from '../bench/options-core.js';
import { bindOptionsForm, showErrors, wireOptionsForm } from './params-form.js';
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

function setState(state: BenchState, error?: string): void {
  window.__benchState = state;
  document.body.dataset.benchState = state;
  if (state === 'error') window.__benchError = error ?? 'unknown error';
  else delete window.__benchError;
}

// ---------------------------------------------------------------------------
// Parameters: URL ⇄ form

// One option module for the page and `npm run bench` (bench/bench-options.ts):
// the same names, defaults and messages in the URL, the form and on the command line.
const initial = parseBenchSearch(new URLSearchParams(location.search));
let params: BenchOptions = initial.options;
const bound = bindOptionsForm(form, BENCH_OPTIONS);

wireOptionsForm(form, bound, {
  current: () => params,
  accept: (values) => (params = values),
  errors: formErrors,
  toSearch: benchOptionsToSearch,
  onChange: (event) => {
    // Choosing a preset resets the fields to its defaults.
    const target = event.target as HTMLSelectElement;
    if (target.getAttribute('name') !== 'preset') return;
    bound.fill({ ...defaultOptions(target.value as BenchPreset), autorun: params.autorun, worker: params.worker });
  },
  submit: (values) => void run(values),
});

// ---------------------------------------------------------------------------
// Running

const host = createHost(params.worker, (message) => {
  const note = $('backend-note');
  note.className = 'note warning';
  note.textContent = `${message}. Reload the page to measure again.`;
});
let running = false;
let latest: ReturnType<typeof finishReport> | undefined;

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

async function run(p: BenchOptions): Promise<void> {
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
    const report = finishReport(await host.run(p, (progressEvent) => showProgress(progressEvent, live, p.sparsities)));
    latest = report;
    window.__benchResults = report;
    showReport(report, p.sparsities);
    progress.max = 1;
    progress.value = 1;
    progressLabel.textContent = `Done: ${plural(report.cases.length, 'case')} in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
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

function showReport(report: ReturnType<typeof finishReport>, nominal: readonly number[]): void {
  renderResults($('results'), report.cases, nominal);
  // Cases that could not run (e.g. every GPU case without an adapter), each with its reason; floors say theirs in their table.
  const cases = report.skipped.filter((s) => s.kind === 'case');
  $('skipped').replaceChildren(
    ...(cases.length ? [h('h3', {}, 'Skipped'), h('ul', { id: 'skipped-list' }, ...cases.map((s) => h('li', { 'data-kind': s.kind }, `${s.label}: ${s.reason}`)))] : []),
  );
  renderFloors($('floors'), report.floors);
  renderCharts($('charts'), report.cases, nominal);
}

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
  if (latest) download(JSON.stringify(latest, null, 2) + '\n', 'application/json', `${fileStem(latest)}.json`);
});
csvButton.addEventListener('click', () => {
  if (latest) download(toCsv(latest), 'text/csv', `${fileStem(latest)}.csv`);
});

// ---------------------------------------------------------------------------
// Start

setState('idle');
bound.fill(params);
showErrors(formErrors, initial.errors);
host.ready().then(
  (info) => {
    renderDevice($('device'), $('backend-note'), info);
    runButton.disabled = false;
    if (params.autorun) {
      if (initial.errors.length) setState('error', `bad URL parameters: ${initial.errors.map((e) => e.message).join('; ')}`);
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
