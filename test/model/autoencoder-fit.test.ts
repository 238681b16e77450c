/**
 * Sequential.fit with task 'autoencode' (QuickSelection's sparse denoising
 * autoencoder): GPU (fused and separate recordings) = CPU fits step for step
 * with input corruption, dropout, SET on both layers and the per-epoch
 * feature ranking; a sigmoid output (f' applied to the MSE delta) likewise;
 * evaluate() against a float64 MSE of predict()'s reconstruction; the
 * corruption really changes training; the recorded step's dispatch count;
 * typed errors naming the argument at fault.
 *
 * Tolerances as test/sequential.test.ts: the two backends run the same f32
 * passes with sums in different orders (~1e-6 after a few dozen steps), so
 * per-epoch losses agree to 1e-4 relative, far below what a wrong noise draw,
 * a skipped derivative or a different topology changes (≥ 1e-3).
 */
import { describe, expect, test } from 'vitest';
import {
  DenseMatrix,
  InvalidArgumentError,
  Sequential,
  ShapeMismatchError,
  SparseLinear,
  dropout,
  quickSelectionEvolution,
  quickSelectionLayers,
  relu,
  rigl,
  sgd,
  sigmoid,
  softmax,
  subset,
  type Dataset,
  type FitOptions,
  type History,
  type ModelLayer,
} from '../../src/index.js';
import { corruptInputs } from '../../kernels/corrupt.js';
import type { Step } from '../../src/gpu/gpu-context.js';
import { trainStepRecording } from '../../src/model/gpu-trainer.js';
import { adapterName, bothEngines } from '../helpers/engines.js';
import { trainValidSplit } from '../helpers/fit-fixtures.js';

const { gpu, cpu, backends } = await bothEngines();

const FEATURES = 48;
const { train, valid } = trainValidSplit({ count: 260, features: FEATURES, classes: 3, seed: 9 }, 200);

const base: FitOptions = {
  task: 'autoencode',
  epochs: 3,
  batchSize: 40,
  seed: 4,
  optimizer: sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
  evolution: quickSelectionEvolution(),
  corruption: { noiseFactor: 0.2, seed: 17 },
};
const options: FitOptions = { ...base, selectFeatures: { k: 6 }, validationData: valid };

/** The preset's shape, small: 48 → 64 sigmoid, dropout 0.2 → 48 linear, ε 13. */
function preset(): ModelLayer[] {
  return quickSelectionLayers(FEATURES, { hidden: 64, seed: 3 });
}

function relClose(a: number, b: number, rel: number, label: string): void {
  if (!(Math.abs(a - b) <= rel * Math.max(1e-6, Math.abs(b)))) throw new Error(`${label}: ${a} vs ${b} (rel tol ${rel})`);
}

async function fitBoth(layers: () => ModelLayer[], fitOptions: FitOptions, fused = true): Promise<[History, History, Sequential[]]> {
  const models = [new Sequential(gpu, layers()), new Sequential(cpu, layers())];
  trainStepRecording.fused = fused;
  try {
    const [hg, hc] = (await Promise.all(models.map((m) => m.fit(train, fitOptions)))) as [History, History];
    return [hg, hc, models];
  } finally {
    trainStepRecording.fused = true;
  }
}

function expectSameHistories(hg: History, hc: History): void {
  expect(hg.epochs).toHaveLength(hc.epochs.length);
  hg.epochs.forEach((g, e) => {
    const c = hc.epochs[e]!;
    relClose(g.loss, c.loss, 1e-4, `epoch ${e} loss`);
    relClose(g.valLoss!, c.valLoss!, 1e-4, `epoch ${e} valLoss`);
    expect(g.accuracy).toBeNaN();
    expect(c.accuracy).toBeNaN();
    expect(g.valAccuracy).toBeNaN();
  });
}

/** Feature-major X (features × count): what predict takes. */
function featureMajor(data: Dataset): DenseMatrix {
  const X = new DenseMatrix(data.features, data.count);
  for (let s = 0; s < data.count; s++) for (let f = 0; f < data.features; f++) X.data[f * data.count + s] = data.inputs[s * data.features + f]!;
  return X;
}

/** Mean over samples of mean over features of (y − x)², in float64. */
function meanSquaredError(Y: DenseMatrix, data: Dataset): number {
  let sum = 0;
  for (let s = 0; s < data.count; s++) {
    let sample = 0;
    for (let f = 0; f < data.features; f++) sample += (Y.data[f * data.count + s]! - data.inputs[s * data.features + f]!) ** 2;
    sum += sample / data.features;
  }
  return sum / data.count;
}

describe(`autoencoder fit on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  for (const fused of [true, false]) {
    test(`GPU (${fused ? 'fused' : 'separate passes'}) = CPU: losses, selected features and weights; the loss falls`, async () => {
      const [hg, hc, models] = await fitBoth(preset, options, fused);
      expectSameHistories(hg, hc);
      expect(hg.epochs[2]!.loss).toBeLessThan(hg.epochs[0]!.loss);
      for (let e = 0; e < 3; e++) {
        const g = hg.epochs[e]!.selectedFeatures!;
        const c = hc.epochs[e]!.selectedFeatures!;
        expect(g.indices).toHaveLength(6);
        expect(Array.from(g.indices).sort((a, b) => a - b)).toEqual(Array.from(c.indices).sort((a, b) => a - b));
        for (let i = 0; i < 6; i++) relClose(g.strengths[i]!, c.strengths[i]!, 1e-4, `epoch ${e} strength ${i}`);
        for (let i = 1; i < 6; i++) expect(g.strengths[i]!).toBeLessThanOrEqual(g.strengths[i - 1]!);
      }
      const [wg, wc] = await Promise.all(models.map((m) => (m.linearLayers[0] as SparseLinear).weights()));
      expect(wg!.W.colIdx).toEqual(wc!.W.colIdx);
      for (const m of models) m.dispose();
    });
  }

  test('RigL growth from the MSE gradient (clean inputs as targets): GPU = CPU topologies and losses', async () => {
    const o: FitOptions = { ...base, evolution: rigl({ zeta: 0.3, includeLast: true }), epochs: 2 };
    const [hg, hc, models] = await fitBoth(preset, o);
    for (let e = 0; e < 2; e++) relClose(hg.epochs[e]!.loss, hc.epochs[e]!.loss, 1e-4, `epoch ${e} loss`);
    const [wg, wc] = await Promise.all(models.map((m) => (m.linearLayers[1] as SparseLinear).weights()));
    expect(wg!.W.colIdx).toEqual(wc!.W.colIdx);
    for (const m of models) m.dispose();
  });

  test('a sigmoid output: the MSE delta times σ\'(z), GPU = CPU (fused and separate)', async () => {
    const layers = () => [new SparseLinear({ in: FEATURES, out: 40, epsilon: 8, seed: 5 }), relu(), new SparseLinear({ in: 40, out: FEATURES, epsilon: 8, seed: 6 }), sigmoid()];
    // Inputs in [0, 1] for a sigmoid reconstruction.
    const unit = { ...train, inputs: train.inputs.map((v) => 1 / (1 + Math.exp(-v))) };
    const o: FitOptions = { task: 'autoencode', epochs: 2, batchSize: 50, seed: 2, optimizer: sgd({ lr: 0.5 }) };
    for (const fused of [true, false]) {
      const models = [new Sequential(gpu, layers()), new Sequential(cpu, layers())];
      trainStepRecording.fused = fused;
      try {
        const [hg, hc] = (await Promise.all(models.map((m) => m.fit(unit, o)))) as [History, History];
        for (let e = 0; e < 2; e++) relClose(hg.epochs[e]!.loss, hc.epochs[e]!.loss, 1e-4, `${fused ? 'fused' : 'separate'} epoch ${e} loss`);
        expect(hg.epochs[1]!.loss).toBeLessThan(hg.epochs[0]!.loss);
      } finally {
        trainStepRecording.fused = true;
        for (const m of models) m.dispose();
      }
    }
  });

  for (const [name, engine] of backends) {
    test(`evaluate() is the float64 MSE of predict()'s clean reconstruction (${name})`, async () => {
      const model = new Sequential(engine, preset());
      await model.fit(train, { ...base, epochs: 1 });
      const ev = await model.evaluate(valid, { task: 'autoencode' });
      relClose(ev.loss, meanSquaredError(await model.predict(featureMajor(valid)), valid), 1e-5, 'evaluate vs predict');
      expect(ev.accuracy).toBeNaN();
      model.dispose();

      model.dispose();
    });

    test(`the training loss is the MSE of the corrupted batch's reconstruction against the clean one, noise per data-set sample through the shuffle (${name})`, async () => {
      // lr 0 and no dropout: the epoch's loss is a function of the (fixed) model and the corrupted inputs only.
      const layers = () => quickSelectionLayers(FEATURES, { hidden: 64, seed: 3, dropoutRate: 0 });
      // A large σ: the fresh model's reconstruction depends on its inputs only weakly (weights N(0, 1)/10).
      const corruption = { noiseFactor: 2, seed: 17 };
      const model = new Sequential(engine, layers());
      const h = await model.fit(train, { task: 'autoencode', epochs: 1, batchSize: 40, seed: 8, optimizer: sgd({ lr: 0, momentum: 0, weightDecay: 0 }), corruption });
      const X = featureMajor(train);
      const noisy = new DenseMatrix(FEATURES, train.count);
      corruptInputs.cpu(FEATURES, train.count, X.data, Uint32Array.from({ length: train.count }, (_, i) => i), noisy.data, corruption);
      const reconstructed = await model.predict(noisy);
      const reference = meanSquaredError(reconstructed, train);
      relClose(h.epochs[0]!.loss, reference, 1e-5, 'training loss vs reconstruction of the corrupted inputs');
      // The clean reconstruction's error is measurably different: the corruption was applied.
      expect(Math.abs(meanSquaredError(await model.predict(X), train) - reference)).toBeGreaterThan(1e-3 * reference);
      model.dispose();
    });
  }

  test('the recorded autoencoder step: 8 dispatches fused, 18 separate (corruption, 2 CSR stages, SGD)', async () => {
    const ctx = gpu.gpuContextForLayers()!;
    const counts: number[] = [];
    for (const fused of [true, false]) {
      const seen: Step[][] = [];
      const encode = ctx.encode.bind(ctx);
      ctx.encode = (encoder, steps, label, timestamps) => {
        if (label === 'Sequential train step') seen.push([...steps]);
        encode(encoder, steps, label, timestamps);
      };
      trainStepRecording.fused = fused;
      const model = new Sequential(gpu, preset());
      try {
        await model.fit(subset(train, 0, 40), { task: 'autoencode', epochs: 1, batchSize: 40, corruption: { noiseFactor: 0.2, seed: 1 } });
      } finally {
        ctx.encode = encode;
        trainStepRecording.fused = true;
        model.dispose();
      }
      expect(seen).toHaveLength(1);
      counts.push(seen[0]!.filter((s) => !('copy' in s) && s.workgroups !== 0).length);
    }
    // Fused: corrupt, 2 forward gathers (bias, sigmoid, dropout in the epilogue; the linear output is Z), MSE,
    // metrics, the output layer's transpose gather (f'·mask epilogue), 2 SDDMMs with SGD applied.
    // Separate: corrupt, 2 × (product + bias), activate, MSE, metrics, 2 × (SDDMM + row sums) + 1 transpose
    // product, derive, 2 × 2 SGD passes.
    expect(counts).toEqual([8, 18]);
  });

  test('typed errors: task, model shape, softmax, dropout on the output, corruption, selectFeatures.k', async () => {
    const ae = new Sequential(cpu, preset());
    const ok: FitOptions = { task: 'autoencode', epochs: 1, batchSize: 40 };
    await expect(ae.fit(train, { ...ok, task: 'regress' as unknown as 'autoencode' })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.task' });
    // The default task classifies, which needs softmax: an MSE model given class labels to fit is an error naming layers.
    await expect(ae.fit(train, { epochs: 1, batchSize: 40 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
    await expect(ae.evaluate(train)).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
    for (const k of [0, FEATURES + 1, 2.5]) {
      await expect(ae.fit(train, { ...ok, selectFeatures: { k } })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.selectFeatures.k' });
    }
    await expect(ae.fit(train, { ...ok, corruption: { noiseFactor: -1, seed: 1 } })).rejects.toMatchObject({ argument: 'options.corruption.noiseFactor' });
    await expect(ae.fit(train, { ...ok, corruption: { noiseFactor: 0.2, seed: -1 } })).rejects.toMatchObject({ argument: 'options.corruption.seed' });
    ae.dispose();

    const narrow = new Sequential(cpu, [new SparseLinear({ in: FEATURES, out: 20, epsilon: 5, seed: 1 }), sigmoid(), new SparseLinear({ in: 20, out: FEATURES - 1, epsilon: 5, seed: 2 })]);
    await expect(narrow.fit(train, ok)).rejects.toSatisfy((e) => e instanceof ShapeMismatchError && e.argument === 'model');
    narrow.dispose();
    const classifier = new Sequential(cpu, [new SparseLinear({ in: FEATURES, out: 20, epsilon: 5, seed: 1 }), relu(), new SparseLinear({ in: 20, out: 3, epsilon: 5, seed: 2 }), softmax()]);
    await expect(classifier.fit(train, ok)).rejects.toSatisfy((e) => e instanceof InvalidArgumentError && e.argument === 'layers');
    await expect(classifier.fit(train, { epochs: 1, batchSize: 40, corruption: { noiseFactor: 0.2, seed: 1 } })).rejects.toMatchObject({ argument: 'options.corruption' });
    await expect(classifier.fit(train, { epochs: 1, batchSize: 40, selectFeatures: { k: 3 } })).rejects.toMatchObject({ argument: 'options.selectFeatures' });
    classifier.dispose();
    const droppedOutput = new Sequential(cpu, [new SparseLinear({ in: FEATURES, out: 20, epsilon: 5, seed: 1 }), sigmoid(), new SparseLinear({ in: 20, out: FEATURES, epsilon: 5, seed: 2 }), dropout(0.2)]);
    await expect(droppedOutput.fit(train, ok)).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
    droppedOutput.dispose();
  });
});
