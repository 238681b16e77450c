// The million-neuron run in Node (issue 15, item 5):
//   node bench/launch.mjs --entry=/bench/million.ts [--backend cpu|webgpu] [options]
// A dense baseline MLP first, then the SET-MLP (54,675-500,000-500,000-18 by
// default) on the synthetic microarray set; prints every epoch, samples the
// process's memory at every batch and writes
// bench/results/million-neuron-<backend>-<date>.json after every epoch.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine } from '../src/index.js';
import { plural, readCommandLine } from './options-core.js';
import { millionData, nearestCentroidAccuracy, trainMillion, type MemorySample, type ModelRun } from './million-run.js';
import { MILLION_USAGE, parseMillionArgv, type MillionOptions } from './million-options.js';
import { adapterRecord, type AdapterRecord } from './run-record.js';

/** The results file; documented in bench/README.md. */
export interface MillionReport {
  schema: 'wgsparse-million/1';
  date: string;
  backend: 'webgpu' | 'cpu';
  adapter: AdapterRecord;
  backendNote?: string;
  machine: { cpus: number; loadAverage: number[]; node: string; platform: string };
  /** Threads the CPU backend ran its products on (engine.threads). */
  threads: number;
  options: Omit<MillionOptions, 'out' | 'autorun' | 'note' | 'baselineOnly'>;
  data: {
    samples: number;
    features: number;
    classes: number;
    trainSamples: number;
    testSamples: number;
    informativeFeatures: number[];
    generateSeconds: number;
    /** The most frequent test class's share. */
    chanceAccuracy: number;
    /** Nearest centroid over every feature: no network, whether the set is learnable from its training samples. */
    nearestCentroidAccuracy: number;
  };
  baseline: ModelRun | null;
  model: ModelRun | null;
  memory: {
    /** Resident set size: the process's own high-water mark (Linux VmHWM) and the highest sampled value. */
    peakRssBytes: number;
    peakRssSampledBytes: number;
    peakHeapUsedBytes: number;
    /** Typed arrays and WebAssembly memory live outside the JS heap: the bulk of a model. */
    peakExternalBytes: number;
    /** RSS at stages of the run, to show what each part costs. */
    stages: Array<{ stage: string; memory: MemorySample }>;
  };
  /** Where the run is (rewritten every minute inside an epoch): a long epoch that never ends still says how far it got. */
  progress?: { stage: 'baseline' | 'model'; epoch: number; batch: number; batches: number; seconds: number };
  totalSeconds: number;
  complete: boolean;
  notes: string[];
}

function sample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The kernel's high-water mark of this process's resident memory (Linux), or 0. */
function rssHighWaterMark(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function pickEngine(backend: MillionOptions['backend']): Promise<{ engine: Engine; note?: string }> {
  if (backend === 'cpu') return { engine: await createEngine({ backend: 'cpu' }) };
  const engine = await createEngine({ backend });
  const a = engine.adapterInfo;
  const emulated = /swiftshader/i.test(`${a?.vendor} ${a?.architecture} ${a?.description}`);
  if (backend === 'auto' && engine.backend === 'webgpu' && emulated) {
    engine.dispose();
    return { engine: await createEngine({ backend: 'cpu' }), note: 'the only WebGPU adapter is SwiftShader (a CPU emulation): trained on the CPU backend (--backend webgpu forces it)' };
  }
  if (engine.backend === 'webgpu' && emulated) return { engine, note: 'WebGPU on SwiftShader: a CPU emulation of a GPU, on the same 2 cores' };
  return engine.fallbackReason ? { engine, note: `CPU fallback: ${engine.fallbackReason}` } : { engine };
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export async function main(argv: string[]): Promise<number> {
  const read = readCommandLine(argv, parseMillionArgv, MILLION_USAGE);
  if ('exit' in read) return read.exit;
  const o = read.options;
  const started = performance.now();
  const peaks = { rss: 0, heapUsed: 0, external: 0 };
  const memory = (): MemorySample => {
    const m = sample();
    peaks.rss = Math.max(peaks.rss, m.rss);
    peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
    peaks.external = Math.max(peaks.external, m.external);
    return m;
  };
  // Between batches the CPU backend yields (syncEvery 1), so the timer also samples evaluation and evolution's gaps.
  const timer = setInterval(memory, 250);
  const stages: MillionReport['memory']['stages'] = [{ stage: 'start', memory: memory() }];

  console.log(`generating the synthetic microarray set: ${o.samples.toLocaleString('en')} samples × ${o.features.toLocaleString('en')} features, ${o.classes} classes, ${o.informative} informative …`);
  const data = millionData(o);
  stages.push({ stage: 'data generated', memory: memory() });
  console.log(`  ${data.seconds.toFixed(1)} s; ${data.train.count} training / ${data.test.count} test samples; ${mb(data.all.inputs.byteLength)} of inputs`);

  const { engine, note } = await pickEngine(o.backend);
  const a = engine.adapterInfo;
  console.log(`backend: ${engine.backend}${a ? ` (${a.vendor} ${a.architecture} ${a.description})`.replace(/\s+\)/, ')') : ''}${note ? ` — ${note}` : ''}`);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const out = o.out || join(root, 'bench', 'results', `million-neuron-${o.baselineOnly ? 'baseline-' : ''}${engine.backend}-${new Date().toISOString().slice(0, 10)}.json`);
  const { cpus, loadavg } = await import('node:os');
  const { out: _out, autorun: _autorun, note: notes, baselineOnly, ...options } = o;
  const centroid = nearestCentroidAccuracy(data.train, data.test);
  console.log(`  nearest centroid over all features (no network): ${(100 * centroid).toFixed(1)} % test accuracy`);
  const report: MillionReport = {
    schema: 'wgsparse-million/1',
    date: new Date().toISOString(),
    backend: engine.backend,
    adapter: adapterRecord(engine),
    ...(note ? { backendNote: note } : {}),
    machine: { cpus: cpus().length, loadAverage: loadavg(), node: process.version, platform: process.platform },
    threads: engine.threads,
    options,
    data: {
      samples: o.samples,
      features: o.features,
      classes: o.classes,
      trainSamples: data.train.count,
      testSamples: data.test.count,
      informativeFeatures: Array.from(data.all.informative),
      generateSeconds: data.seconds,
      chanceAccuracy: majorityShare(data.test.labels, o.classes),
      nearestCentroidAccuracy: centroid,
    },
    baseline: null,
    model: null,
    memory: { peakRssBytes: 0, peakRssSampledBytes: 0, peakHeapUsedBytes: 0, peakExternalBytes: 0, stages },
    totalSeconds: 0,
    complete: false,
    notes: [...notes],
  };
  const write = () => {
    report.memory.peakRssSampledBytes = peaks.rss;
    report.memory.peakRssBytes = Math.max(rssHighWaterMark(), peaks.rss);
    report.memory.peakHeapUsedBytes = peaks.heapUsed;
    report.memory.peakExternalBytes = peaks.external;
    report.totalSeconds = (performance.now() - started) / 1000;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  };
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\ninterrupted: stopping after this batch; the results file holds the epochs done');
    controller.abort(new Error('interrupted'));
  });
  let lastLine = performance.now();
  let lastWrite = performance.now();
  let stage: 'baseline' | 'model' = 'baseline';
  const hooks = {
    memory,
    signal: controller.signal,
    onBatch: (epoch: number, batch: number, batches: number) => {
      memory();
      // One line every half minute inside a long epoch (a log file has no progress bar).
      if (performance.now() - lastLine > 30_000) {
        lastLine = performance.now();
        console.log(`    epoch ${epoch + 1}: batch ${batch + 1}/${batches}  rss ${mb(peaks.rss)} peak`);
      }
      if (performance.now() - lastWrite > 60_000) {
        lastWrite = performance.now();
        report.progress = { stage, epoch: epoch + 1, batch: batch + 1, batches, seconds: (performance.now() - started) / 1000 };
        write();
      }
    },
    onEpoch: (run: ModelRun, e: ModelRun['epochs'][number]) => {
      lastLine = performance.now();
      const f = e.inputFocus;
      console.log(
        `  epoch ${String(e.epoch).padStart(3)}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(1)} %  test acc ${(100 * e.testAccuracy).toFixed(1)} %  ` +
          `${e.seconds.toFixed(1)} s train + ${e.evaluateSeconds.toFixed(1)} s test + ${e.evolveSeconds.toFixed(1)} s evolve  ` +
          `inputs: ${f.informativeMean.toFixed(1)} connections per informative feature vs ${f.otherMean.toFixed(1)}  rss ${mb(e.memory?.rss ?? 0)} (peak ${mb(peaks.rss)})`,
      );
      write();
      void run;
    },
  };
  let failed = false;
  try {
    if (o.baseline.length > 0) {
      console.log(`\nbaseline: dense ${[o.features, ...o.baseline, o.classes].join('-')}, ${plural(o.baselineEpochs, 'epoch')}, batch ${o.batch}, lr ${o.baselineLr}`);
      report.baseline = await trainMillion(engine, o, data, { variant: 'dense', hidden: o.baseline, epochs: o.baselineEpochs, lr: o.baselineLr }, {
        ...hooks,
        onBuilt: (run) => {
          report.baseline = run;
          console.log(`  ${run.parameters.toLocaleString('en')} parameters`);
        },
      });
      write();
      stages.push({ stage: 'baseline trained and disposed', memory: memory() });
    }
    if (!baselineOnly) {
      stage = 'model';
      const hidden = o.hidden.reduce((x, y) => x + y, 0);
      console.log(`\nSET-MLP: ${[o.features, ...o.hidden, o.classes].join('-')} (${hidden.toLocaleString('en')} hidden neurons), ε = ${o.epsilon}, ζ = ${o.zeta}, ${plural(o.epochs, 'epoch')}, batch ${o.batch}, lr ${o.lr}`);
      report.model = await trainMillion(engine, o, data, { variant: 'set-csr', hidden: o.hidden, epochs: o.epochs, lr: o.lr }, {
        ...hooks,
        onBuilt: (run) => {
          report.model = run;
          stages.push({ stage: 'SET-MLP built', memory: memory() });
          const connections = run.layerSummaries.reduce((n, l) => n + l.connections, 0);
          console.log(
            `  built in ${run.buildSeconds.toFixed(1)} s: ${connections.toLocaleString('en')} connections (${run.layerSummaries.map((l) => `${l.connections.toLocaleString('en')} = ${(100 * l.density).toPrecision(2)} %`).join(', ')}), ` +
              `${((100 * run.parameters) / run.denseParameters).toPrecision(2)} % of the dense ${run.denseParameters.toLocaleString('en')}; rss ${mb(sample().rss)}`,
          );
          write();
        },
      });
      stages.push({ stage: 'SET-MLP trained and disposed', memory: memory() });
    }
    report.complete = true;
  } catch (e) {
    failed = true;
    if (controller.signal.aborted) console.error('stopped; the results file holds the completed epochs');
    else console.error(e instanceof Error ? e.stack : e);
  } finally {
    clearInterval(timer);
    engine.dispose();
    write();
  }
  const m = report.model;
  const b = report.baseline;
  console.log(
    `\n${baselineOnly ? '' : `SET-MLP test accuracy ${m?.finalTestAccuracy == null ? '—' : `${(100 * m.finalTestAccuracy).toFixed(1)} %`}, `}` +
      `${b?.finalTestAccuracy == null ? '' : `dense baseline ${(100 * b.finalTestAccuracy).toFixed(1)} %, `}largest test class ${(100 * report.data.chanceAccuracy).toFixed(1)} %; ` +
      `peak rss ${mb(report.memory.peakRssBytes)}; ${(report.totalSeconds / 60).toFixed(1)} min → ${out}`,
  );
  return failed ? 1 : 0;
}

/** The accuracy of always answering the most frequent test class. */
function majorityShare(labels: Uint8Array, classes: number): number {
  const counts = new Uint32Array(classes);
  for (const l of labels) counts[l]!++;
  return labels.length ? Math.max(...counts) / labels.length : 0;
}
