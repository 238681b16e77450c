import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, featureStatistics, standardize, subset, syntheticImages, TrainingDivergedError, type Dataset, type Engine } from '../src/index.js';
import { loadIdxPair, loadMnist, MNIST_FILES } from '../src/data/mnist.js';
import { OptionError, plural } from './options-core.js';
import { createEpochProgress, type ProgressStream } from './progress.js';
import { runTraining, type TrainConfig, type TrainReport } from './train.js';
import { parseTrainArgv, TRAIN_USAGE, type TrainOptions } from './train-options.js';
import { exportOnnx, exportSafetensors } from '../src/interop.js';

async function loadData(args: TrainOptions): Promise<{ train: Dataset; test: Dataset }> {
  const data = await loadRaw(args);
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

/** The engine to train on: SwiftShader emulates a GPU on the CPU, far slower here than the CPU backend, so auto skips it. */
async function pickEngine(backend: TrainOptions['backend']): Promise<{ engine: Engine; note?: string }> {
  if (backend === 'cpu') return { engine: await createEngine({ backend: 'cpu' }) };
  const engine = await createEngine({ backend });
  const emulated = /swiftshader/i.test(`${engine.adapterInfo?.vendor} ${engine.adapterInfo?.architecture} ${engine.adapterInfo?.description}`);
  if (backend === 'auto' && engine.backend === 'webgpu' && emulated) {
    engine.dispose();
    return { engine: await createEngine({ backend: 'cpu' }), note: 'the only WebGPU adapter is SwiftShader (a CPU emulation), slower than the CPU backend: trained on the CPU (--backend webgpu forces it)' };
  }
  return engine.fallbackReason ? { engine, note: `CPU fallback: ${engine.fallbackReason}` } : { engine };
}

export async function main(argv: string[], output: ProgressStream = process.stdout): Promise<number> {
  if (argv.includes('--help')) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  let args: TrainOptions;
  try {
    args = parseTrainArgv(argv);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    console.error(`${e.message}\n\n${TRAIN_USAGE}`);
    return 2;
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  console.log(`loading ${args.data} …`);
  const data = await loadData(args);
  console.log(`  ${data.train.count} training and ${data.test.count} test samples, ${data.train.features} features, ${data.train.classes} classes`);
  const { engine, note } = await pickEngine(args.backend);
  const a = engine.adapterInfo;
  console.log(`backend: ${engine.backend}${a ? ` (${a.vendor} ${a.architecture} ${a.description})`.replace(/\s+\)/, ')') : ''}${note ? ` — ${note}` : ''}`);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\ninterrupted: stopping after this batch and keeping the epochs done so far');
    controller.abort(new Error('interrupted'));
  });
  let failed = false;
  try {
    for (const variant of args.variant) {
      const config: TrainConfig = {
        dataset: args.data,
        variant,
        sizes: [data.train.features, ...args.hidden, data.train.classes],
        epochs: args.epochs,
        batchSize: args.batch,
        epsilon: args.epsilon,
        zeta: args.zeta,
        dropoutRate: args.dropout,
        lr: args.lr,
        momentum: args.momentum,
        weightDecay: args.weightDecay,
        seed: args.seed,
        inputs: args.inputs,
        ...(args.train < data.train.count ? { trainSamples: args.train } : {}),
        ...(args.test < data.test.count ? { testSamples: args.test } : {}),
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
