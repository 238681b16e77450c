import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, featureStatistics, QUICK_SELECTION_SETTINGS, standardize, subset, syntheticImages, TrainingDivergedError, type Dataset, type Engine } from '../src/index.js';
import { loadIdxPair, loadMnist, MNIST_FILES } from '../src/data/mnist.js';
import { plural, readCommandLine } from './options-core.js';
import { createEpochProgress, type ProgressStream } from './progress.js';
import { runQuickSelection, runTraining, type SelectConfig, type SelectEpoch, type SelectReport, type SetRunSettings, type TrainConfig, type TrainReport } from './train.js';
import { EVALUATION_CLASSIFIER, evaluatePixels } from './quick-selection.js';
import { parseTrainArgv, TRAIN_USAGE, type TrainOptions } from './train-options.js';
import { exportOnnx, exportSafetensors } from '../src/interop.js';
import { profileTable } from './profile-table.js';

async function loadData(args: TrainOptions, raw?: { train: Dataset; test: Dataset }): Promise<{ train: Dataset; test: Dataset }> {
  const data = raw ?? (await loadRaw(args));
  if (args.inputs === 'unit') return data;
  const statistics = featureStatistics(data.train);
  return { train: standardize(data.train, statistics), test: standardize(data.test, statistics) };
}

/** Seeds the synthetic images (the same problem as the training page's ?data=synthetic). */
const SYNTHETIC_SEED = 28;

async function loadRaw(args: TrainOptions): Promise<{ train: Dataset; test: Dataset }> {
  if (args.data === 'synthetic') {
    const all = syntheticImages({ count: args.train + args.test, side: 28, classes: 10, seed: SYNTHETIC_SEED });
    return { train: subset(all, 0, args.train), test: subset(all, args.train, args.test) };
  }
  if (args.data === 'mnist' && !args.dataDir) return loadMnist();
  if (!args.dataDir) throw new Error(`--data ${args.data} needs --data-dir with the four IDX files (${Object.values(MNIST_FILES).join(', ')}, optionally .gz)`);
  const { existsSync } = await import('node:fs');
  const file = (name: string) => {
    const plain = join(args.dataDir, name);
    return existsSync(plain) ? plain : `${plain}.gz`;
  };
  return {
    train: await loadIdxPair(file(MNIST_FILES.trainImages), file(MNIST_FILES.trainLabels)),
    test: await loadIdxPair(file(MNIST_FILES.testImages), file(MNIST_FILES.testLabels)),
  };
}

/** The options both tasks train with, under the names of the runs' settings. */
function setRunSettings(args: TrainOptions): SetRunSettings {
  return { epochs: args.epochs, batchSize: args.batch, epsilon: args.epsilon, zeta: args.zeta, dropoutRate: args.dropout, lr: args.lr, momentum: args.momentum, weightDecay: args.weightDecay, seed: args.seed };
}

/** The engine to train on: SwiftShader emulates a GPU on the CPU, far slower here than the CPU backend, so auto skips it. */
async function pickEngine(backend: TrainOptions['backend'], threads: number): Promise<{ engine: Engine; note?: string }> {
  if (backend === 'cpu') return { engine: await createEngine({ backend: 'cpu', ...(threads > 0 ? { threads } : {}) }) };
  const engine = await createEngine({ backend });
  const emulated = /swiftshader/i.test(`${engine.adapterInfo?.vendor} ${engine.adapterInfo?.architecture} ${engine.adapterInfo?.description}`);
  if (backend === 'auto' && engine.backend === 'webgpu' && emulated) {
    engine.dispose();
    return { engine: await createEngine({ backend: 'cpu', ...(threads > 0 ? { threads } : {}) }), note: 'the only WebGPU adapter is SwiftShader (a CPU emulation), slower than the CPU backend: trained on the CPU (--backend webgpu forces it)' };
  }
  return engine.fallbackReason ? { engine, note: `CPU fallback: ${engine.fallbackReason}` } : { engine };
}

export async function main(argv: string[], output: ProgressStream = process.stdout): Promise<number> {
  const read = readCommandLine(argv, parseTrainArgv, TRAIN_USAGE);
  if ('exit' in read) return read.exit;
  const args = read.options;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  console.log(`loading ${args.data} …`);
  const raw = await loadRaw(args);
  const data = await loadData(args, raw);
  console.log(`  ${data.train.count} training and ${data.test.count} test samples, ${data.train.features} features, ${data.train.classes} classes`);
  const { engine, note } = await pickEngine(args.backend, args.threads);
  if (args.profile && engine.backend !== 'cpu') {
    engine.dispose();
    console.error("--profile: times the CPU backend's training phases, but this run picked WebGPU (add --backend cpu)");
    return 2;
  }
  const a = engine.adapterInfo;
  console.log(`backend: ${engine.backend}${a ? ` (${a.vendor} ${a.architecture} ${a.description})`.replace(/\s+\)/, ')') : ''}${note ? ` — ${note}` : ''}`);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\ninterrupted: stopping after this batch and keeping the epochs done so far');
    controller.abort(new Error('interrupted'));
  });
  let failed = false;
  try {
    if (args.task === 'select') {
      await select(args, root, engine, note, raw, data, controller.signal, output);
      return 0;
    }
    for (const variant of args.variant) {
      const config: TrainConfig = {
        dataset: args.data,
        variant,
        sizes: [data.train.features, ...args.hidden, data.train.classes],
        ...setRunSettings(args),
        inputs: args.inputs,
        ...(args.train < data.train.count ? { trainSamples: args.train } : {}),
        ...(args.test < data.test.count ? { testSamples: args.test } : {}),
        ...(args.profile ? { profile: true } : {}),
      };
      const quick = args.preset === 'quick';
      const out = args.out || join(root, 'bench', 'results', `train-${args.data}-${variant.replace(':', '')}-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`);
      const write = (report: TrainReport) => {
        if (note) report.backendNote = note;
        report.notes = [...args.note];
        if (config.epochs < 100) report.notes.push(`a shorter budget than the reference's 100 epochs: ${plural(config.epochs, 'epoch')} planned`);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      };
      console.log(`\n${variant}: ${config.sizes.join('-')}, ${plural(config.epochs, 'epoch')}, batch ${config.batchSize}${config.trainSamples ? `, first ${config.trainSamples} training samples` : ''}`);
      const progress = createEpochProgress(output, config.epochs);
      const report = await runTraining(engine, config, data, {
        signal: controller.signal,
        onProgress: (epoch, batch, batches) => progress.batch(epoch, batch, batches),
        onEpoch: (r, e) => {
          if (r.epochs.length === 1) progress.line(`  ${r.parameters.toLocaleString('en')} parameters (${((100 * r.parameters) / r.denseParameters).toFixed(2)} % of dense ${r.denseParameters.toLocaleString('en')})`);
          const left = ((r.totalSeconds / e.epoch) * (config.epochs - e.epoch)) / 60;
          progress.line(
            `  epoch ${String(e.epoch).padStart(3)}/${config.epochs}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(2)} %  test acc ${(100 * e.testAccuracy).toFixed(2)} %  ${e.seconds.toFixed(1)} s (+${e.evolveSeconds.toFixed(2)} s evolve)  ~${left.toFixed(0)} min left`,
          );
          if (e.profile) for (const line of profileTable(e.profile, e.seconds, config.sizes.length - 1)) progress.line(`    ${line}`);
          write(r);
        },
        onTrained: async (model) => {
          for (const format of args.export) {
            const file = `${out.replace(/\.json$/, '')}.${format}`;
            const bytes = format === 'onnx' ? await exportOnnx(model) : await exportSafetensors(model);
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, bytes);
            progress.line(`  exported ${bytes.length.toLocaleString('en')} bytes of ${format} → ${file}`);
          }
        },
      });
      progress.end();
      write(report);
      console.log(`  final test accuracy ${report.finalTestAccuracy === null ? '—' : `${(100 * report.finalTestAccuracy).toFixed(2)} %`} after ${plural(report.epochs.length, 'epoch')}, ${(report.totalSeconds / 60).toFixed(1)} min → ${out}`);
    }
  } catch (e) {
    failed = true;
    if (controller.signal.aborted) console.error('stopped; the results file holds the completed epochs');
    else if (e instanceof TrainingDivergedError) console.error(`${e.message}\nThe results file holds the epochs up to the one that diverged.`);
    else console.error(e instanceof Error ? e.stack : e);
  } finally {
    engine.dispose();
  }
  return failed ? 1 : 0;
}

/**
 * --task select: QuickSelection's autoencoder on the (scaled) training set,
 * its top-K pixels printed and written after every epoch, then the final K
 * pixels evaluated with bench/quick-selection.ts's fixed classifier (on the
 * raw pixels, as its baselines were) and recorded beside those baselines.
 * A run stopped with Ctrl-C still evaluates its last completed epoch.
 */
async function select(args: TrainOptions, root: string, engine: Engine, note: string | undefined, raw: { train: Dataset; test: Dataset }, data: { train: Dataset; test: Dataset }, signal: AbortSignal, output: ProgressStream): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const quick = args.preset !== 'reference' ? `-${args.preset}` : '';
  const out = args.out || join(root, 'bench', 'results', `train-select-${args.data}-${date}${quick}.json`);
  const config: SelectConfig = {
    dataset: args.data,
    k: args.k,
    hidden: args.hidden[0]!,
    ...setRunSettings(args),
    noiseFactor: QUICK_SELECTION_SETTINGS.noiseFactor,
    inputs: args.inputs,
    ...(args.train < data.train.count ? { trainSamples: args.train } : {}),
  };
  const write = (report: SelectReport) => {
    if (note) report.backendNote = note;
    report.notes = [...args.note];
    if (config.epochs < QUICK_SELECTION_SETTINGS.epochs) report.notes.push(`a shorter budget than the authors' ${QUICK_SELECTION_SETTINGS.epochs} epochs: ${plural(config.epochs, 'epoch')} planned`);
    if (!report.complete && report.epochs.length < config.epochs) report.notes.push(`${plural(report.epochs.length, 'epoch')} of ${config.epochs} completed`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  };
  console.log(`\nQuickSelection autoencoder ${data.train.features}-${config.hidden}-${data.train.features} (sigmoid, dropout ${config.dropoutRate}, linear output, MSE, noise ${config.noiseFactor}), ε ${config.epsilon}, ζ ${config.zeta}, ${plural(config.epochs, 'epoch')}, batch ${config.batchSize}, K = ${config.k}, ${engine.backend}${engine.backend === 'cpu' ? ` (${plural(engine.threads, 'thread')})` : ''}`);
  const progress = createEpochProgress(output, config.epochs);
  const report = await runQuickSelection(engine, config, data, {
    signal,
    onProgress: (epoch, batch, batches) => progress.batch(epoch, batch, batches),
    onEpoch: (r, e) => {
      const left = ((r.totalSeconds / e.epoch) * (config.epochs - e.epoch)) / 60;
      progress.line(`  epoch ${String(e.epoch).padStart(3)}/${config.epochs}: loss ${e.trainLoss.toFixed(4)}  ${e.seconds.toFixed(1)} s (+${e.evolveSeconds.toFixed(2)} s evolve)  ~${left.toFixed(0)} min left  top ${Math.min(10, config.k)}: ${e.selected.slice(0, 10).join(' ')}`);
      write(r);
    },
  });
  progress.end();
  write(report);
  const last = report.epochs.at(-1);
  if (!last) throw new Error('no epoch completed: nothing to evaluate');
  console.log(`  ${plural(report.epochs.length, 'epoch')} in ${(report.totalSeconds / 60).toFixed(1)} min (${report.secondsPerEpoch!.toFixed(1)} s per epoch) → ${out}`);
  console.log(`evaluating the ${config.k} pixels of epoch ${last.epoch} with the fixed classifier (${EVALUATION_CLASSIFIER.hidden} hidden, ${EVALUATION_CLASSIFIER.epochs} epochs, CPU) …`);
  const evalEngine = await createEngine({ backend: 'cpu' });
  const started = performance.now();
  let evaluation: { testAccuracy: number; trainLoss: number };
  try {
    evaluation = await evaluatePixels(evalEngine, raw.train, raw.test, last.selected);
  } finally {
    evalEngine.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  QuickSelection's ${config.k} pixels: test accuracy ${(100 * evaluation.testAccuracy).toFixed(2)} %`);
  writeComparison(root, args, report, last, { ...evaluation, seconds }, raw.train, out);
}

/** The newest quick-selection-baselines-*.json of bench/results (bench/quick-selection.ts --baselines), if any. */
function latestBaselines(root: string): { file: string; json: BaselinesFile } | undefined {
  const dir = join(root, 'bench', 'results');
  const files = readdirSync(dir).filter((f) => /^quick-selection-baselines-\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort();
  const file = files.at(-1);
  return file ? { file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as BaselinesFile } : undefined;
}

interface BaselinesFile {
  k: number;
  trainSamples: number;
  testSamples: number;
  epochs: number;
  rows: Array<{ name: string; pixels: number[]; testAccuracy: number; trainLoss: number; seconds: number }>;
  random?: { seeds: number; mean: number; std: number; min: number; max: number };
}

/** quick-selection-<dataset>-<date>.json: QuickSelection's row beside the baselines, the floor and the autoencoder's time per epoch. */
function writeComparison(root: string, args: TrainOptions, report: SelectReport, last: SelectEpoch, evaluation: { testAccuracy: number; trainLoss: number; seconds: number }, rawTrain: Dataset, trainFile: string): void {
  const baselines = latestBaselines(root);
  const random = baselines?.json.random;
  const variance = baselines?.json.rows.find((r) => r.name.startsWith('highest-variance'));
  const floor = random ? random.mean + 0.05 : null;
  const pct = (a: number) => `${(100 * a).toFixed(2)} %`;
  const row = { name: `QuickSelection ${args.k} pixels (autoencoder epoch ${last.epoch} of ${report.settings.epochsPlanned})`, pixels: last.selected, ...evaluation };
  const comparable = baselines !== undefined && baselines.json.k === args.k && baselines.json.trainSamples === rawTrain.count;
  const result = {
    schema: 'wgsparse-quick-selection/1',
    dataset: args.data,
    k: args.k,
    classifier: EVALUATION_CLASSIFIER,
    epochs: EVALUATION_CLASSIFIER.epochs,
    trainSamples: rawTrain.count,
    testSamples: args.test,
    rows: [row, ...(comparable ? baselines.json.rows : [])],
    ...(comparable && random ? { random } : {}),
    quickSelection: {
      autoencoderEpochs: report.epochs.length,
      autoencoderEpochsPlanned: report.settings.epochsPlanned,
      secondsPerAutoencoderEpoch: report.secondsPerEpoch,
      backend: report.backend,
      threads: report.threads,
      trainFile: trainFile.slice(root.length + 1),
      baselinesFile: comparable ? `bench/results/${baselines.file}` : null,
      floor: comparable ? floor : null,
      meetsFloor: comparable && floor !== null ? evaluation.testAccuracy >= floor : null,
      highestVariance: comparable && variance ? variance.testAccuracy : null,
      beatsHighestVariance: comparable && variance ? evaluation.testAccuracy > variance.testAccuracy : null,
      overlapWithHighestVariance: comparable && variance ? last.selected.filter((p) => variance.pixels.includes(p)).length : null,
    },
    date: new Date().toISOString(),
  };
  const file = join(root, 'bench', 'results', `quick-selection-${args.data}-${result.date.slice(0, 10)}${args.preset !== 'reference' ? `-${args.preset}` : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  if (comparable && floor !== null) {
    console.log(`  floor (random mean ${pct(random!.mean)} + 5 points): ${pct(floor)} — ${evaluation.testAccuracy >= floor ? 'met' : 'NOT met'}; highest-variance baseline ${variance ? pct(variance.testAccuracy) : '—'}`);
  } else {
    console.log('  no comparable baselines (same K and training set) in bench/results: run bench/quick-selection.ts --baselines');
  }
  console.log(`  → ${file}`);
}
