import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine } from '../src/index.js';
import { createMathjsPeer, createTfjsCpuPeer, createTfjsWebgpuPeer, type Peer } from './peers.js';
import { BENCH_USAGE, parseBenchArgv, toSuiteConfig, type BenchOptions } from './bench-options.js';
import { readCommandLine } from './options-core.js';
import { emulatedAdapter, finishReport, formatFloors, formatSkipped, formatTable, toCsv } from './report.js';
import { BENCH_SCHEMA, validateReport, type BenchReport } from './schema.js';
import { runSuite } from './suite.js';
import { DEFAULT_MODEL_WORKGROUPS, formatModelTable, runModel } from './model/run.js';
import { formatTrainSteps, modelTrainSteps } from './model/train-step.js';
import { measureTrainEpoch } from './train-epoch.js';

/**
 * `npm run bench`: options from bench/bench-options.ts (the page's too).
 * Exit status: 0 after a run (floors are reported, not enforced), 2 for bad
 * options (the message names the option), 1 when the report is off its schema.
 */
export async function main(argv: string[]): Promise<number> {
  const read = readCommandLine(argv, parseBenchArgv, BENCH_USAGE);
  if ('exit' in read) return read.exit;
  const options = read.options;
  if (options.model) return await modelOnly(options);
  if (options.trainEpoch > 0) return trainEpochOnly(options);
  const config = toSuiteConfig(options);

  const gpu: Engine = await createEngine({ backend: 'auto' });
  const cpu = await createEngine({ backend: 'cpu' });
  if (gpu.backend === 'webgpu') {
    const a = gpu.adapterInfo!;
    console.log(`WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}`.trim());
  } else {
    console.log(`No WebGPU (${gpu.fallbackReason}); measuring the CPU backend only.`);
  }
  const peers: Peer[] = [];
  if (options.peers) {
    if (gpu.device) peers.push(await createTfjsWebgpuPeer(gpu.device));
    peers.push(await createTfjsCpuPeer(), createMathjsPeer());
  }

  const started = performance.now();
  const report = await runSuite(config, {
    gpu: gpu.backend === 'webgpu' ? gpu : undefined,
    ...(gpu.fallbackReason ? { gpuUnavailable: gpu.fallbackReason } : {}),
    cpu,
    peers,
    environment: { runtime: `node ${process.versions.node}`, platform: `${process.platform}-${process.arch}` },
    onProgress: ({ done, total, label, result }) => {
      if (result) {
        const speed = result.speedupVsDense === null ? '' : `  ${result.speedupVsDense.toFixed(2)}× vs dense`;
        console.log(`[${String(done).padStart(3)}/${total}] ${label}: ${result.medianMs.toFixed(3)} ms${speed}`);
      }
    },
  });
  for (const p of peers) p.dispose?.();
  gpu.dispose();
  cpu.dispose();

  const problems = validateReport(report);
  if (problems.length) {
    console.error(`report does not match the schema:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(formatTable(report));
  const finished = finishReport(report);
  const emulated = emulatedAdapter(report.adapter);
  console.log(`\nFloors (ratios of medians measured in this run${emulated ? `; the adapter is ${emulated}, so the GPU floors need a real GPU` : ''}):`);
  console.log(formatFloors(finished.floors));
  const cases = finished.skipped.filter((s) => s.kind === 'case');
  if (cases.length) console.log(`\nSkipped cases:\n${formatSkipped(cases)}`);

  const root = resolveRoot();
  const adapter = (report.adapter ? `${report.adapter.vendor}-${report.adapter.architecture}` : 'cpu').replace(/[^a-zA-Z0-9_-]+/g, '-') || 'unknown';
  const out = options.out || join(root, 'bench', 'results', `${report.date.slice(0, 10)}-${adapter}${options.preset === 'quick' ? '-quick' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(finished, null, 2) + '\n');
  writeFileSync(out.replace(/\.json$/, '') + '.csv', toCsv(report));
  console.log(`\nwrote ${out} (+ .csv) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

const resolveRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `--model`: the GPU execution model of the products (bench/model), printed
 * and written as the report's `model`; nothing is timed, so the report has no
 * cases, no adapter and no floors.
 */
async function modelOnly(options: BenchOptions): Promise<number> {
  const started = performance.now();
  const { model, analyses } = runModel({
    profile: options.modelProfile,
    shapes: options.modelShapes,
    sparsities: options.modelSparsities,
    maxWorkgroups: DEFAULT_MODEL_WORKGROUPS,
  });
  console.log(formatModelTable(model, analyses));
  // The training step is counted from the trainer's own recording, which needs a device (SwiftShader will do).
  const gpu = await createEngine({ backend: 'auto' });
  try {
    if (gpu.backend === 'webgpu') {
      model.trainSteps = await modelTrainSteps(gpu.device!);
      console.log(`\n${formatTrainSteps(model.trainSteps)}`);
    } else console.log(`\ntrain step: not counted (no WebGPU device: ${gpu.fallbackReason})`);
  } finally {
    gpu.dispose();
  }
  const report: BenchReport = {
    ...reportWithoutProducts(options, options.runs, [{ kind: 'case', label: 'timing suite', reason: '--model alone times nothing: the model reads traces of the shaders, it needs no GPU' }]),
    cases: [],
    model,
  };
  const problems = validateReport(report);
  if (problems.length) {
    console.error(`report does not match the schema:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  const out = options.out || join(resolveRoot(), 'bench', 'results', `${report.date.slice(0, 10)}-model-${model.profile.name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/**
 * `--train-epoch N`: N pairs of MNIST epochs on the CPU backend (threads 1 and
 * all, taking turns), written as the report's train-epoch cases with their
 * floor; no product is timed.
 */
async function trainEpochOnly(options: BenchOptions): Promise<number> {
  const started = performance.now();
  console.log(`train-epoch: ${options.trainEpoch} pair(s) of MNIST epochs, threads 1 and all, taking turns`);
  const { cases, skipped, floors } = await measureTrainEpoch(options.trainEpoch, (line) => console.log(line));
  const report: BenchReport = {
    ...reportWithoutProducts(options, options.trainEpoch, [{ kind: 'case', label: 'products', reason: '--train-epoch times training epochs only' }, ...skipped]),
    cases,
    floors,
  };
  // A SKIP (MNIST absent) has no case: the report is then its skips and the unmeasured floor.
  const problems = cases.length ? validateReport(report) : [];
  if (problems.length) {
    console.error(`report does not match the schema:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  for (const c of cases) console.log(`threads ${String(c.threads).padStart(3)}: epoch ${(c.medianMs / 1000).toFixed(2)} s median of ${c.runs} (min ${(c.minMs / 1000).toFixed(2)} s), products ${c.gflops.toFixed(1)} GFLOP/s, ${c.speedupVsOneThread!.toFixed(2)}× threads 1`);
  console.log(`\nFloor:\n${formatFloors(floors)}`);
  const out = options.out || join(resolveRoot(), 'bench', 'results', `${report.date.slice(0, 10)}-cpu-train-epoch.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** The fields of a report that times no product (--model, --train-epoch): no adapter, an empty product config, what it skipped. */
function reportWithoutProducts(options: BenchOptions, runs: number, skipped: BenchReport['skipped']): Omit<BenchReport, 'cases'> {
  return {
    schema: BENCH_SCHEMA,
    date: new Date().toISOString(),
    adapter: null,
    features: [],
    limits: {},
    environment: { runtime: `node ${process.versions.node}`, platform: `${process.platform}-${process.arch}` },
    config: { quick: options.preset === 'quick', runs, shapes: [], cpuShape: options.cpuShape, ops: [], sparsities: [], nm: [], evolve: [], peers: [] },
    skipped,
  };
}
