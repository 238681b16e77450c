/**
 * `node bench/launch.mjs --entry=/bench/sparsify-mnist.ts [--dense-epochs 5] [--tune-epochs 3] [--quick]`
 *
 * Issue 14 item 4 end to end on MNIST: a dense MLP (784-300-100-10, ReLU,
 * softmax) trained by wgsparse, exported to ONNX and imported back, pruned by
 * magnitude to 10 % density (CSR) and to 2:4 (N:M) with sparsify() (output
 * layer dense), and fine-tuned with SET evolution. Prints a table and writes
 * bench/results/sparsify-mnist-<date>[-quick].json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, DenseLinear, relu, Sequential, set, softmax, subset, type Dataset } from '../src/index.js';
import { exportOnnx, importOnnx, sparsify, type SparsifyTarget } from '../src/interop.js';
import { loadMnist } from '../src/node.js';

interface Row {
  model: string;
  parameters: number;
  denseParameters: number;
  testAccuracy: number;
  afterPruning?: number;
  tuneEpochs?: number;
  seconds: number;
}

function flag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

export async function main(argv: string[]): Promise<number> {
  const denseEpochs = flag(argv, '--dense-epochs', 5);
  const tuneEpochs = flag(argv, '--tune-epochs', 3);
  const quick = argv.includes('--quick');
  const mnist = await loadMnist();
  const train: Dataset = quick ? subset(mnist.train, 0, 6000) : mnist.train;
  const test: Dataset = quick ? subset(mnist.test, 0, 2000) : mnist.test;
  const engine = await createEngine({ backend: 'cpu' });
  const batchSize = 128;
  const rows: Row[] = [];
  const started = performance.now();
  const now = () => (performance.now() - started) / 1000;

  const dense = new Sequential(engine, [
    new DenseLinear({ in: 784, out: 300, seed: 1 }),
    relu(),
    new DenseLinear({ in: 300, out: 100, seed: 2 }),
    relu(),
    new DenseLinear({ in: 100, out: 10, seed: 3 }),
    softmax(),
  ]);
  await dense.fit(train, { epochs: denseEpochs, batchSize, seed: 1, onEpochEnd: (log) => console.log(`dense epoch ${log.epoch + 1}: loss ${log.loss.toFixed(4)}`) });
  const denseAccuracy = (await dense.evaluate(test)).accuracy;
  rows.push({ model: `dense, ${denseEpochs} epochs`, parameters: dense.parameterCount, denseParameters: dense.denseParameterCount, testAccuracy: denseAccuracy, seconds: now() });

  const onnx = await exportOnnx(dense);
  const imported = importOnnx(engine, onnx);
  const importedAccuracy = (await imported.evaluate(test)).accuracy;
  rows.push({ model: `exported to ONNX (${onnx.length} bytes) and imported`, parameters: imported.parameterCount, denseParameters: imported.denseParameterCount, testAccuracy: importedAccuracy, seconds: now() });

  const targets: Array<[string, SparsifyTarget]> = [
    ['CSR 10 %', { density: 0.1 }],
    ['2:4', { n: 2, m: 4 }],
  ];
  for (const [name, target] of targets) {
    const sparse = await sparsify(imported, target);
    const afterPruning = (await sparse.evaluate(test)).accuracy;
    await sparse.fit(train, { epochs: tuneEpochs, batchSize, seed: 2, evolution: set({ zeta: 0.3 }), onEpochEnd: (log) => console.log(`${name} epoch ${log.epoch + 1}: loss ${log.loss.toFixed(4)}`) });
    const tuned = (await sparse.evaluate(test)).accuracy;
    rows.push({ model: `${name} + SET fine-tune`, parameters: sparse.parameterCount, denseParameters: sparse.denseParameterCount, testAccuracy: tuned, afterPruning, tuneEpochs, seconds: now() });
    sparse.dispose();
  }
  dense.dispose();
  imported.dispose();
  engine.dispose();

  const pct = (a: number) => (100 * a).toFixed(2);
  console.log('\n| model | parameters kept | test accuracy after pruning | test accuracy | vs dense |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const kept = `${((100 * r.parameters) / r.denseParameters).toFixed(1)} %`;
    console.log(`| ${r.model} | ${kept} | ${r.afterPruning === undefined ? '' : `${pct(r.afterPruning)} %`} | ${pct(r.testAccuracy)} % | ${(100 * (r.testAccuracy - denseAccuracy)).toFixed(2)} pts |`);
  }
  const date = new Date().toISOString();
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `sparsify-mnist-${date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
  const result = { schema: 'wgsparse-sparsify/1', dataset: 'mnist', layers: [784, 300, 100, 10], backend: 'cpu', batchSize, denseEpochs, tuneEpochs, trainSamples: train.count, testSamples: test.count, rows, date, totalSeconds: now() };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return 0;
}
