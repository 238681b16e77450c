/**
 * QuickSelection's model-level pieces: neuronStrength(layer, { model }) and
 * selectFeatures(model, k) on both backends (the same strengths bit for bit
 * and the same selection, against the kernels' CPU twins over the layer's
 * own weights and a float64 loop), CSR / N:M / dense input layers, a
 * feature without connections, k = 1 and k = features; on WebGPU only the
 * K indices and strengths come back; typed errors naming k, layer and
 * model; and the authors' preset as data and layers.
 */
import { describe, expect, test } from 'vitest';
import {
  checkAutoencoder,
  CSRMatrix,
  DenseLinear,
  InvalidArgumentError,
  NMLinear,
  neuronStrength,
  QUICK_SELECTION_SETTINGS,
  quickSelectionEvolution,
  quickSelectionLayers,
  quickSelectionOptimizer,
  selectFeatures,
  Sequential,
  ShapeMismatchError,
  sigmoid,
  softmax,
  SparseLinear,
  type LinearLayer,
  type ModelLayer,
} from '../../src/index.js';
import { planStages } from '../../src/model/stages.js';
import { bothEngines } from '../helpers/engines.js';

const { gpu, backends } = await bothEngines();

/** Σ_j |W_ij| per input in float64, from the layer's dense weights. */
async function reference(layer: LinearLayer): Promise<Float64Array> {
  const W = layer instanceof SparseLinear ? (await layer.weights()).W.toDense() : layer instanceof NMLinear ? (await layer.weights()).toDense() : await (layer as DenseLinear).weights();
  const out = new Float64Array(layer.in);
  for (let r = 0; r < W.rows; r++) for (let c = 0; c < W.cols; c++) out[c]! += Math.abs(W.data[r * W.cols + c]!);
  return out;
}

/** The k strongest by a plain sort of the given strengths (ties: lower index). */
function strongest(strengths: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: strengths.length }, (_, i) => i)
    .sort((a, b) => strengths[b]! - strengths[a]! || a - b)
    .slice(0, k);
}

const FEATURES = 64;

/** Autoencoders 64 → 32 → 64 with each input format; column 5 of the CSR input layer has no connection. */
function autoencoders(): Array<[string, () => ModelLayer[]]> {
  const csrWithEmptyColumn = () => {
    const W = CSRMatrix.random({ rows: 32, cols: FEATURES, density: 0.2, seed: 3, init: 'normal' });
    const dense = W.toDense();
    for (let r = 0; r < 32; r++) dense.data[r * FEATURES + 5] = 0;
    return new SparseLinear({ in: FEATURES, out: 32, weights: CSRMatrix.fromDense(dense) });
  };
  return [
    ['preset (CSR, ε 13)', () => quickSelectionLayers(FEATURES, { hidden: 32, seed: 7 })],
    ['CSR with an unconnected feature', () => [csrWithEmptyColumn(), sigmoid(), new DenseLinear({ in: 32, out: FEATURES, seed: 2 })]],
    ['N:M 2:4', () => [new NMLinear({ in: FEATURES, out: 32, seed: 4 }), sigmoid(), new SparseLinear({ in: 32, out: FEATURES, density: 0.3, seed: 5 })]],
    ['dense', () => [new DenseLinear({ in: FEATURES, out: 32, seed: 6 }), sigmoid(), new DenseLinear({ in: 32, out: FEATURES, seed: 8 })]],
  ];
}

describe('neuron strengths and selectFeatures on both backends', () => {
  for (const [name, layers] of autoencoders()) {
    test(name, async () => {
      const results: Array<{ strengths: Float32Array; selections: Map<number, { indices: number[]; strengths: number[] }> }> = [];
      for (const [backend, engine] of backends) {
        const model = new Sequential(engine, layers());
        const input = model.linearLayers[0]!;
        const strengths = await neuronStrength(input, { model });
        // The same strengths through a snapshot of the weights (no model: the CPU twin on layer.weights()).
        expect(Array.from(await neuronStrength(input)), `${backend}: resident vs snapshot`).toEqual(Array.from(strengths));
        const expected = await reference(input);
        for (let c = 0; c < FEATURES; c++) {
          expect(Math.abs(strengths[c]! - expected[c]!), `${backend} feature ${c}`).toBeLessThanOrEqual(32 * 2 ** -24 * expected[c]!);
        }
        if (name.includes('unconnected')) expect(strengths[5]).toBe(0);
        const selections = new Map<number, { indices: number[]; strengths: number[] }>();
        for (const k of [1, 10, FEATURES]) {
          const chosen = await selectFeatures(model, k);
          const indices = Array.from(chosen.indices);
          expect(indices, `${backend} k=${k}`).toEqual(strongest(strengths, k));
          expect(Array.from(chosen.strengths)).toEqual(indices.map((i) => strengths[i]!));
          selections.set(k, { indices, strengths: Array.from(chosen.strengths) });
        }
        if (name.includes('unconnected')) expect(selections.get(FEATURES)!.indices.at(-1)).toBe(5);
        results.push({ strengths, selections });
        model.dispose();
      }
      // Both backends: the same bits, the same features.
      expect(Array.from(results[0]!.strengths)).toEqual(Array.from(results[1]!.strengths));
      expect([...results[0]!.selections]).toEqual([...results[1]!.selections]);
    });
  }

  test('on WebGPU only the K indices and strengths are read back', async () => {
    const model = new Sequential(gpu, quickSelectionLayers(FEATURES, { hidden: 32 }));
    const ctx = gpu.gpuContextForLayers()!;
    const readBacks: Array<[string, number]> = [];
    const run = ctx.run.bind(ctx);
    ctx.run = ((operation, build) =>
      run(operation, (s) => {
        const plan = build(s);
        readBacks.push([operation, plan.byteLength]);
        return plan;
      })) as typeof ctx.run;
    try {
      await selectFeatures(model, 7);
    } finally {
      ctx.run = run;
      model.dispose();
    }
    expect(readBacks).toEqual([['selectFeatures', 7 * 8]]);
  });
});

describe('bad input names the argument', () => {
  for (const [backend, engine] of backends) {
    test(`k, layer and model (${backend})`, async () => {
      const model = new Sequential(engine, quickSelectionLayers(FEATURES, { hidden: 32 }));
      for (const k of [0, FEATURES + 1, 2.5, -1, Number.NaN]) {
        await expect(selectFeatures(model, k)).rejects.toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'k' }));
      }
      const hidden = model.linearLayers[1]!;
      await expect(neuronStrength(hidden, { model })).rejects.toThrow(expect.objectContaining({ argument: 'layer', message: expect.stringMatching(/linear layer 1/) }));
      await expect(selectFeatures(model, 3, { layer: hidden })).rejects.toThrow(expect.objectContaining({ argument: 'layer' }));
      const stranger = new DenseLinear({ in: FEATURES, out: 4 });
      await expect(selectFeatures(model, 3, { layer: stranger })).rejects.toThrow(expect.objectContaining({ argument: 'layer', message: expect.stringMatching(/not a layer of the model/) }));
      await expect(neuronStrength({} as LinearLayer)).rejects.toThrow(expect.objectContaining({ argument: 'layer' }));
      const classifier = new Sequential(engine, [new DenseLinear({ in: FEATURES, out: 16 }), sigmoid(), new DenseLinear({ in: 16, out: 10 }), softmax()]);
      await expect(selectFeatures(classifier, 3)).rejects.toThrow(ShapeMismatchError);
      await expect(selectFeatures(classifier, 3)).rejects.toThrow(expect.objectContaining({ argument: 'model' }));
      expect(() => checkAutoencoder(classifier)).toThrow(/^model: has 64 inputs but 10 outputs/);
      await expect(selectFeatures({} as Sequential, 3)).rejects.toThrow(expect.objectContaining({ argument: 'model' }));
      model.dispose();
      classifier.dispose();
    });
  }
});

describe("the authors' preset", () => {
  test('settings as data', () => {
    expect(QUICK_SELECTION_SETTINGS).toMatchObject({
      // The authors' values (their code), restated here so a changed preset fails this line.
      ...{ hidden: 1000, hiddenActivation: 'sigmoid', outputActivation: 'linear', loss: 'mse', noiseFactor: 0.2, dropoutRate: 0.2 },
      ...{ epsilon: 13, zeta: 0.2, optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }, batchSize: 100, epochs: 100, k: 50 },
    });
    expect(Object.isFrozen(QUICK_SELECTION_SETTINGS) && Object.isFrozen(QUICK_SELECTION_SETTINGS.optimizer)).toBe(true);
    expect(quickSelectionOptimizer()).toEqual({ kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-5 });
    expect(quickSelectionEvolution()).toEqual({ kind: 'set', zeta: 0.2, schedule: 'constant', includeLast: true });
  });

  test('MNIST layers: 784 → 1000 sigmoid, dropout 0.2 → 784 linear, ε 13, N(0, 1)/10', () => {
    const layers = quickSelectionLayers(784);
    const plan = planStages(layers);
    expect(plan.softmax).toBe(false);
    expect(plan.stages.map((s) => [s.layer.in, s.layer.out, s.nonlinearity, s.alpha, s.rate])).toEqual([
      [784, 1000, 'sigmoid', 1, 0.2],
      // Linear output: the leaky family with alpha 1 is the identity.
      [1000, 784, 'leaky', 1, 0],
    ]);
    for (const stage of plan.stages) {
      const layer = stage.layer as SparseLinear;
      expect(layer).toBeInstanceOf(SparseLinear);
      expect(layer.init).toBe('normal');
      // Erdős–Rényi: ε(in + out) connections expected (13 · 1784 = 23,192), binomial spread.
      expect(Math.abs(layer.nnz - 13 * 1784)).toBeLessThan(5 * Math.sqrt(13 * 1784));
    }
    expect(() => quickSelectionLayers(0)).toThrow(expect.objectContaining({ argument: 'features' }));
    expect(() => quickSelectionLayers(784, { hidden: 0 })).toThrow(InvalidArgumentError);
    expect(planStages(quickSelectionLayers(10, { dropoutRate: 0, hidden: 4 })).stages[0]!.rate).toBe(0);
  });
});
