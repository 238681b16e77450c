import { expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining, type TrainConfig, type TrainReport } from '../bench/train.js';
import { main } from '../bench/train-cli.js';
import { subset, syntheticClassification } from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';

const data = syntheticClassification({ count: 600, features: 32, classes: 4, seed: 2 });
const split = { train: subset(data, 0, 500), test: subset(data, 500, 100) };
const config: TrainConfig = {
  dataset: 'synthetic',
  variant: 'set-csr',
  sizes: [32, 48, 4],
  epochs: 3,
  batchSize: 25,
  epsilon: 8,
  zeta: 0.3,
  dropoutRate: 0.1,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 0.0002,
  seed: 3,
  inputs: 'unit',
};

test.each([
  ['cpu', cpuEngine],
  ['webgpu', gpuEngine],
] as const)('runTraining on %s writes every field the accuracy report promises', async (_name, makeEngine) => {
  const engine = await makeEngine();
  const epochsSeen: number[] = [];
  const report = await runTraining(engine, config, split, { onEpoch: (_r, e) => void epochsSeen.push(e.epoch) });
  expect(epochsSeen).toEqual([1, 2, 3]);
  expect(report).toMatchObject({ schema: 'wgsparse-train/1', dataset: 'synthetic', variant: 'set-csr', layers: [32, 48, 4], complete: true, backend: engine.backend, trainSamples: 500, testSamples: 100 });
  expect(report.epochs.map((e) => Object.keys(e).sort())).toEqual(new Array(3).fill(['epoch', 'evolveSeconds', 'seconds', 'testAccuracy', 'testLoss', 'trainAccuracy', 'trainLoss']));
  expect(report.finalTestAccuracy).toBe(report.epochs.at(-1)!.testAccuracy);
  expect(report.finalTestAccuracy!).toBeGreaterThan(0.8);
  expect(report.parameters).toBeLessThan(report.denseParameters);
  expect(report.inputConnectivity.initial).toHaveLength(32);
  expect(report.inputConnectivity.final).toHaveLength(32);
  // SET moved connections of the input layer between the first and the last epoch.
  expect(report.inputConnectivity.final).not.toEqual(report.inputConnectivity.initial);
  expect(JSON.parse(JSON.stringify(report))).toEqual(report);
});

test('the train CLI rejects bad flags with a message and exit code 2, before loading anything', async () => {
  for (const argv of [['--epochs', '0'], ['--variant', 'sparse'], ['--zeta', '2'], ['--backend', 'tpu'], ['--inputs', 'zscore'], ['--bogus']]) {
    expect(await main(argv)).toBe(2);
  }
});

test('the train CLI trains on real MNIST with standardised inputs and writes its report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgsparse-train-'));
  const out = join(dir, 'report.json');
  try {
    const argv = ['--dataset', 'mnist', '--train-samples', '2000', '--hidden', '64', '--epochs', '2', '--batch', '50', '--inputs', 'standardize', '--backend', 'cpu', '--seed', '4', '--out', out];
    expect(await main(argv)).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrainReport;
    expect(report).toMatchObject({ dataset: 'mnist', layers: [784, 64, 10], complete: true, trainSamples: 2000, testSamples: 10_000, backend: 'cpu' });
    expect(report.settings.inputs).toBe('standardize');
    expect(report.epochs).toHaveLength(2);
    // 2,000 standardised images, one 64-unit sparse layer: well above chance on the full test set.
    expect(report.finalTestAccuracy!).toBeGreaterThan(0.6);
    expect(report.notes.some((n) => n.includes('shorter budget'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
