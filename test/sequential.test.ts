/**
 * Sequential on WebGPU and the CPU: the two trainers give the same model
 * step for step (dropout masks, SET evolution and all), a small model learns
 * a synthetic problem, fit() reads back nothing but its metrics (and SET's
 * counters), cancellation, concurrency, predict/evaluate against naive
 * references, typed errors for bad input, progress and input connectivity.
 *
 * Tolerances: GPU and CPU run the same passes in the same order but float32
 * sums in different orders, so a step differs by ~1e-7 relative and a few
 * dozen SGD steps by ~1e-6; we compare per-epoch loss at 1e-4 relative and
 * weights at 1e-4·max(1, |w|), far below what one wrong dropout mask element,
 * a skipped step or a different topology would change (≥ 1e-3). Accuracies
 * must agree to 1e-4 too, i.e. the same number of right answers.
 */
import { describe, expect, test } from 'vitest';
import {
  DenseLinear,
  DenseMatrix,
  DisposedError,
  InvalidArgumentError,
  NMLinear,
  Sequential,
  ShapeMismatchError,
  SparseLinear,
  createEngine,
  dropout,
  leakyRelu,
  relu,
  set,
  sgd,
  softmax,
  subset,
  syntheticClassification,
  type Dataset,
  type Engine,
  type History,
  type ModelLayer,
} from '../src/index.js';
import { adapterName, bothEngines } from './helpers/engines.js';
import { trainValidSplit } from './helpers/fit-fixtures.js';
import { thrown } from './helpers/expect-error.js';
import { mappedBufferSizes } from './helpers/readbacks.js';
import { expectClose } from './helpers/reference.js';

const { gpu, cpu, backends } = await bothEngines();

const { train, valid } = trainValidSplit({ count: 600, features: 64, classes: 4, seed: 3 }, 480);

/** Sparse (SET) → 2:4 → dense, with the alternated leaky ReLU and dropout. */
function mixedLayers(): ModelLayer[] {
  return [
    new SparseLinear({ in: 64, out: 96, epsilon: 8, seed: 11 }),
    leakyRelu(-0.6),
    dropout(0.3),
    new NMLinear({ in: 96, out: 48, seed: 12 }),
    relu(),
    dropout(0.2),
    new DenseLinear({ in: 48, out: 4, seed: 13 }),
    softmax(),
  ];
}

/** The small 64-96-4 model. */
function smallModel(engine: Engine, seed = 21): Sequential {
  return new Sequential(engine, [new SparseLinear({ in: 64, out: 96, epsilon: 10, seed }), relu(), new DenseLinear({ in: 96, out: 4, seed: seed + 1 }), softmax()]);
}

function relClose(a: number, b: number, rel: number, label: string): void {
  if (!(Math.abs(a - b) <= rel * Math.max(1e-6, Math.abs(b)))) throw new Error(`${label}: ${a} vs ${b} (rel tol ${rel})`);
}

/** Feature-major X (features × count) of a data set: what predict takes. */
function featureMajor(data: Dataset): DenseMatrix {
  const X = new DenseMatrix(data.features, data.count);
  for (let s = 0; s < data.count; s++) for (let f = 0; f < data.features; f++) X.data[f * data.count + s] = data.inputs[s * data.features + f]!;
  return X;
}

async function sparseNnz(layer: SparseLinear): Promise<number> {
  return (await layer.weights()).W.nnz;
}

describe(`Sequential on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  test('GPU and CPU fits give the same losses, accuracies and weights (SparseLinear + 2:4 NMLinear + DenseLinear, dropout, SET)', async () => {
    const models = backends.map(([, engine]) => new Sequential(engine, mixedLayers()));
    const options = { epochs: 3, batchSize: 50, seed: 7, evolution: set({ zeta: 0.3 }), validationData: valid, optimizer: sgd({ lr: 0.05 }) };
    const [hg, hc] = (await Promise.all(models.map((m) => m.fit(train, options)))) as [History, History];
    expect(hg.epochs).toHaveLength(3);
    for (let e = 0; e < 3; e++) {
      const g = hg.epochs[e]!;
      const c = hc.epochs[e]!;
      relClose(g.loss, c.loss, 1e-4, `epoch ${e} loss`);
      relClose(g.accuracy, c.accuracy, 1e-4, `epoch ${e} accuracy`);
      relClose(g.valLoss!, c.valLoss!, 1e-4, `epoch ${e} valLoss`);
      relClose(g.valAccuracy!, c.valAccuracy!, 1e-4, `epoch ${e} valAccuracy`);
      expect(g.zeta).toBe(e < 2 ? 0.3 : undefined);
      expect(c.zeta).toBe(g.zeta);
    }
    // It trained: loss went down.
    expect(hg.epochs[2]!.loss).toBeLessThan(hg.epochs[0]!.loss);

    const [lg, lc] = models.map((m) => m.linearLayers) as [ReturnType<() => Sequential['linearLayers']>, ReturnType<() => Sequential['linearLayers']>];
    const [sg, sc] = [lg[0] as SparseLinear, lc[0] as SparseLinear];
    const [wsg, wsc] = await Promise.all([sg.weights(), sc.weights()]);
    expect(wsg.W.nnz).toBe(sg.nnz);
    expect(wsg.W.rowPtr).toEqual(wsc.W.rowPtr);
    expect(wsg.W.colIdx).toEqual(wsc.W.colIdx);
    expectClose(wsg.W.values, wsc.W.values, Array.from(wsc.W.values, Math.abs), 'sparse weights', 1e-4);
    expectClose(wsg.bias, wsc.bias, 1, 'sparse bias', 1e-4);
    expectClose(wsg.velocity, wsc.velocity, 1, 'sparse velocity', 1e-4);
    // SET evolution changed the topology (the initial layer has the same seed).
    const initial = new SparseLinear({ in: 64, out: 96, epsilon: 8, seed: 11 });
    initial.attach(cpu);
    expect((await initial.weights()).W.colIdx).not.toEqual(wsc.W.colIdx);
    initial.dispose();

    const [ng, nc] = await Promise.all([(lg[1] as NMLinear).weights(), (lc[1] as NMLinear).weights()]);
    expect(ng.indices).toEqual(nc.indices);
    expectClose(ng.values, nc.values, Array.from(nc.values, Math.abs), 'N:M weights', 1e-4);
    expectClose(await lg[1]!.biases(), await lc[1]!.biases(), 1, 'N:M bias', 1e-4);
    const initialNm = new NMLinear({ in: 96, out: 48, seed: 12 });
    initialNm.attach(cpu);
    expect((await initialNm.weights()).indices).not.toEqual(nc.indices);
    initialNm.dispose();

    const [dg, dc] = await Promise.all([(lg[2] as DenseLinear).weights(), (lc[2] as DenseLinear).weights()]);
    expectClose(dg.data, dc.data, Array.from(dc.data, Math.abs), 'dense weights', 1e-4);
    expectClose(await lg[2]!.biases(), await lc[2]!.biases(), 1, 'dense bias', 1e-4);

    // And they predict the same.
    const X = featureMajor(subset(valid, 0, 20));
    const [pg, pc] = await Promise.all(models.map((m) => m.predict(X)));
    expectClose(pg!.data, pc!.data, 1, 'predictions', 1e-4);
    for (const m of models) m.dispose();
  });

  for (const [name, engine] of backends) {
    test(`a 64-96-4 model learns syntheticClassification to ≥ 0.9 validation accuracy; SET keeps nnz (${name})`, async () => {
      const model = smallModel(engine);
      const first = model.linearLayers[0] as SparseLinear;
      expect(model.parameterCount).toBeLessThan(model.denseParameterCount);
      expect(model.parameterCount).toBe(first.nnz + 96 + 96 * 4 + 4);
      expect(model.denseParameterCount).toBe(64 * 96 + 96 + 96 * 4 + 4);
      const nnz = first.nnz;
      const history = await model.fit(train, { epochs: 4, batchSize: 32, seed: 5, evolution: set({ zeta: 0.3 }), validationData: valid, optimizer: sgd({ lr: 0.05 }) });
      const last = history.epochs[history.epochs.length - 1]!;
      expect(last.valAccuracy).toBeGreaterThanOrEqual(0.9);
      expect(last.loss).toBeLessThan(history.epochs[0]!.loss);
      expect(await sparseNnz(first)).toBe(nnz);
      expect(first.nnz).toBe(nnz);
      const v = await model.evaluate(valid);
      expect(v.accuracy).toBeCloseTo(last.valAccuracy!, 10);
      model.dispose();
    });
  }

  test('layers evolved from an onEpochEnd callback: the next epoch trains on the new topology, GPU = CPU', async () => {
    const models = backends.map(([, engine]) => new Sequential(engine, mixedLayers()));
    const histories = await Promise.all(
      models.map((m) =>
        m.fit(train, {
          epochs: 3,
          batchSize: 50,
          seed: 9,
          optimizer: sgd({ lr: 0.05 }),
          // Not fit's evolution option: the layers are evolved behind the recorded training step's back.
          onEpochEnd: async (log) => {
            for (const layer of m.linearLayers) {
              if (layer instanceof SparseLinear || layer instanceof NMLinear) await layer.evolve({ zeta: 0.3, seed: 40 + log.epoch });
            }
          },
        }),
      ),
    );
    const [hg, hc] = histories as [History, History];
    for (let e = 0; e < 3; e++) relClose(hg.epochs[e]!.loss, hc.epochs[e]!.loss, 1e-4, `epoch ${e} loss`);
    const [sg, sc] = models.map((m) => m.linearLayers[0] as SparseLinear);
    expect((await sg!.weights()).W.colIdx).toEqual((await sc!.weights()).W.colIdx);
    models.forEach((m) => m.dispose());
  });

  test('fit on WebGPU reads back only the metrics (one 12-byte read per readMetrics), SET counters and one model-state copy per epoch', async () => {
    const E = 3;
    const model = smallModel(gpu, 31);
    const first = model.linearLayers[0] as SparseLinear;
    const smallestArrayBytes = Math.min(first.nnz, 4 * 32) * 4; // weights of the smallest layer, activations of a batch
    // The copy kept for a device loss: biases and their two moments, CSR (rowPtr, colIdx, values, two moments), dense weights and two moments.
    const stateBytes = 4 * (3 * 96 + 97 + 4 * first.nnz + 3 * 4 + 3 * 96 * 4);
    const perEpoch = (reads: number[]) => Array.from({ length: E }, () => reads).flat();
    const plain = await mappedBufferSizes(() => model.fit(train, { epochs: E, batchSize: 32 }));
    expect(plain).toEqual(perEpoch([12, stateBytes]));
    const withValidation = await mappedBufferSizes(() => model.fit(train, { epochs: E, batchSize: 32, validationData: valid }));
    expect(withValidation).toEqual(perEpoch([12, 12, stateBytes]));
    const evolving = (await mappedBufferSizes(() => model.fit(train, { epochs: E, batchSize: 32, evolution: set({ zeta: 0.3 }) }))).filter((size) => size !== stateBytes);
    // E metric reads + per SET update (after all epochs but the last): the kept count, ≥ 1 regrowth round.
    expect(evolving.length).toBeGreaterThanOrEqual(E + 2 * (E - 1));
    expect(evolving.length).toBeLessThanOrEqual(E + 6 * (E - 1));
    for (const size of evolving) {
      expect(size).toBeLessThanOrEqual(16);
      expect(size).toBeLessThan(smallestArrayBytes);
    }
    model.dispose();
  });

  for (const [name, engine] of backends) {
    test(`cancellation: aborting from onBatchEnd rejects with the signal's reason; the model stays usable (${name})`, async () => {
      const model = smallModel(engine, 41);
      const controller = new AbortController();
      let calls = 0;
      const fit = model.fit(train, {
        epochs: 2,
        batchSize: 32,
        syncEvery: 2,
        onBatchEnd: () => {
          calls++;
          if (calls === 3) controller.abort();
        },
        signal: controller.signal,
      });
      const failure: unknown = await fit.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(controller.signal.aborted).toBe(true);
      expect(failure).toBe(controller.signal.reason);
      expect(failure).toMatchObject({ name: 'AbortError' });
      expect(calls).toBe(3);
      const after = await model.evaluate(valid);
      expect(Number.isFinite(after.loss)).toBe(true);
      const history = await model.fit(train, { epochs: 1, batchSize: 32 });
      expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);

      // A custom reason, and a signal aborted before fit.
      const reason = new Error('stop now');
      const pre = new AbortController();
      pre.abort(reason);
      let batches = 0;
      await expect(model.fit(train, { epochs: 1, batchSize: 32, signal: pre.signal, onBatchEnd: () => void batches++ })).rejects.toBe(reason);
      expect(batches).toBe(0);
      expect(Number.isFinite((await model.evaluate(valid)).loss)).toBe(true);
      model.dispose();
    });

    test(`a second fit (or evaluate/predict/evolve) while one runs rejects with InvalidArgumentError('model') (${name})`, async () => {
      const model = smallModel(engine, 51);
      // onBatchEnd holds the fit mid-epoch until released, so the calls below surely overlap it
      // (a CPU fit would otherwise finish within the microtasks of the first await).
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const running = model.fit(train, {
        epochs: 1,
        batchSize: 32,
        onBatchEnd: async (p) => {
          if (p.batch === 1) {
            entered();
            await gate;
          }
        },
      });
      await inside;
      const X = featureMajor(valid);
      const overlapping = await Promise.allSettled([model.fit(train, { epochs: 1, batchSize: 32 }), model.evaluate(valid), model.predict(X), model.evolve(set(), 1)]);
      for (const r of overlapping) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason as unknown;
        expect(reason).toBeInstanceOf(InvalidArgumentError);
        expect(reason).toMatchObject({ argument: 'model' });
      }
      release();
      const h = await running;
      expect(Number.isFinite(h.epochs[0]!.loss)).toBe(true);
      // Afterwards everything works again.
      await model.fit(train, { epochs: 1, batchSize: 64 });
      model.dispose();
    });
  }

  test('predict: classes × samples, columns sum to 1, GPU ≈ CPU, partial last batch and batch 1', async () => {
    const models = backends.map(([, engine]) => new Sequential(engine, mixedLayers()));
    const data = subset(valid, 0, 7);
    const X = featureMajor(data);
    const reference = await models[1]!.predict(X, { batchSize: 7 });
    for (const [k, model] of models.entries()) {
      for (const batchSize of [3, 1, 7, 256]) {
        const P = await model.predict(X, { batchSize });
        expect([P.rows, P.cols]).toEqual([4, 7]);
        for (let j = 0; j < 7; j++) {
          let sum = 0;
          for (let c = 0; c < 4; c++) sum += P.get(c, j);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
        // Dropout is off in predict, so the batch split cannot matter; GPU ≈ CPU.
        expectClose(P.data, reference.data, 1, `${backends[k]![0]} predict, batchSize ${batchSize}`, 1e-5);
      }
    }
    for (const m of models) m.dispose();
  });

  for (const [name, engine] of backends) {
    test(`a model without softmax predicts its last activation and rejects fit/evaluate with InvalidArgumentError('layers') (${name})`, async () => {
      const l1 = new DenseLinear({ in: 6, out: 5, seed: 1 });
      const l2 = new DenseLinear({ in: 5, out: 3, seed: 2 });
      const model = new Sequential(engine, [l1, relu(), dropout(0.5), l2, leakyRelu(0.1), dropout(0.5)]);
      const X = DenseMatrix.random(6, 9, { seed: 3 });
      const Y = await model.predict(X, { batchSize: 4 });
      expect([Y.rows, Y.cols]).toEqual([3, 9]);
      // Naive forward: relu(W1 x + b1), then leaky(0.1)(W2 h + b2); no dropout outside training.
      const [W1, b1, W2, b2] = [await l1.weights(), await l1.biases(), await l2.weights(), await l2.biases()];
      const expected: number[] = new Array<number>(27);
      for (let j = 0; j < 9; j++) {
        const h = Array.from({ length: 5 }, (_, o) => {
          let s = b1[o]!;
          for (let i = 0; i < 6; i++) s += W1.get(o, i) * X.get(i, j);
          return Math.max(0, s);
        });
        for (let o = 0; o < 3; o++) {
          let s = b2[o]!;
          for (let i = 0; i < 5; i++) s += W2.get(o, i) * h[i]!;
          expected[o * 9 + j] = s > 0 ? s : 0.1 * s;
        }
      }
      expectClose(Y.data, expected, 10, 'predict without softmax', 1e-5);
      const data: Dataset = { inputs: new Float32Array(6 * 4), labels: new Uint8Array(4), count: 4, features: 6, classes: 2 };
      await expect(model.fit(data, { epochs: 1, batchSize: 2 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
      await expect(model.evaluate(data)).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
      // Still predicts afterwards.
      expect((await model.predict(X)).data).toEqual(Y.data);
      model.dispose();
    });

    test(`evaluate equals a naive evaluation from predict (argmax, −log p) (${name})`, async () => {
      const model = smallModel(engine, 61);
      await model.fit(train, { epochs: 1, batchSize: 32, seed: 2 });
      const data = subset(valid, 0, 101);
      const P = await model.predict(featureMajor(data), { batchSize: 16 });
      let loss = 0;
      let correct = 0;
      for (let j = 0; j < data.count; j++) {
        let arg = 0;
        for (let c = 1; c < 4; c++) if (P.get(c, j) > P.get(arg, j)) arg = c;
        if (arg === data.labels[j]) correct++;
        loss -= Math.log(P.get(data.labels[j]!, j));
      }
      for (const batchSize of [256, 10, 1]) {
        const r = await model.evaluate(data, { batchSize });
        relClose(r.loss, loss / data.count, 1e-5, `evaluate loss (batch ${batchSize})`);
        expect(r.accuracy).toBeCloseTo(correct / data.count, 10);
      }
      model.dispose();
    });

    test(`bad input: typed errors naming the argument, the model usable afterwards (${name})`, async () => {
      const model = smallModel(engine, 71);
      const ok = { epochs: 1, batchSize: 32 };
      const usable = async () => {
        expect(Number.isFinite((await model.evaluate(valid)).loss)).toBe(true);
      };
      const wide = syntheticClassification({ count: 10, features: 65, classes: 4, seed: 1 });
      await expect(model.fit(wide, ok)).rejects.toSatisfy((e) => e instanceof ShapeMismatchError && e.argument === 'data.features');
      await expect(model.evaluate(wide)).rejects.toSatisfy((e) => e instanceof ShapeMismatchError && e.argument === 'data.features');
      await usable();
      // More classes than outputs; and a label at or above the model's outputs.
      const many = syntheticClassification({ count: 10, features: 64, classes: 5, seed: 1 });
      await expect(model.fit(many, ok)).rejects.toSatisfy((e) => e instanceof ShapeMismatchError && e.argument === 'data.classes');
      const badLabel: Dataset = { ...subset(train, 0, 10), labels: Uint8Array.from(train.labels.subarray(0, 10)) };
      badLabel.labels[3] = 4;
      await expect(model.fit(badLabel, ok)).rejects.toSatisfy((e) => e instanceof InvalidArgumentError && e.argument === 'data.labels');
      await expect(model.evaluate(badLabel)).rejects.toSatisfy((e) => e instanceof InvalidArgumentError && e.argument === 'data.labels');
      await expect(model.fit(train, { ...ok, validationData: badLabel })).rejects.toMatchObject({ argument: 'options.validationData.labels' });
      await usable();
      const empty = subset(train, 0, 0);
      await expect(model.fit(empty, ok)).rejects.toSatisfy((e) => e instanceof InvalidArgumentError && e.argument === 'data.count');
      for (const epochs of [0, 1.5, -1, Number.NaN]) {
        await expect(model.fit(train, { epochs, batchSize: 32 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.epochs' });
      }
      await expect(model.fit(train, { epochs: 1, batchSize: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.batchSize' });
      await expect(model.evaluate(valid, { batchSize: 0 })).rejects.toMatchObject({ argument: 'options.batchSize' });
      await expect(model.predict(featureMajor(valid), { batchSize: 0 })).rejects.toMatchObject({ argument: 'options.batchSize' });
      await expect(model.fit(train, { ...ok, seed: -1 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.seed' });
      await expect(model.fit(train, { ...ok, seed: 2 ** 32 })).rejects.toMatchObject({ argument: 'options.seed' });
      await expect(model.fit(train, { ...ok, syncEvery: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.syncEvery' });
      await expect(model.fit(train, { ...ok, signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({ argument: 'options.signal' });
      await expect(model.fit(train, null as unknown as { epochs: number; batchSize: number })).rejects.toMatchObject({ argument: 'options' });
      await usable();
      // predict: non-finite inputs, wrong rows, not a DenseMatrix.
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const X = featureMajor(subset(valid, 0, 5));
        X.data[7] = bad;
        await expect(model.predict(X)).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'X' });
      }
      await expect(model.predict(DenseMatrix.random(63, 2))).rejects.toSatisfy((e) => e instanceof ShapeMismatchError && e.argument === 'X');
      await expect(model.predict({ rows: 64, cols: 1, data: new Float32Array(64) } as unknown as DenseMatrix)).rejects.toMatchObject({ argument: 'X' });
      await usable();
      // And a model that went through all that still trains.
      const h = await model.fit(train, ok);
      expect(Number.isFinite(h.epochs[0]!.loss)).toBe(true);
      model.dispose();
    });

    test(`evaluate on empty data rejects with InvalidArgumentError('data.count') like fit, instead of returning NaN (${name})`, async () => {
      const model = smallModel(engine, 72);
      await expect(model.evaluate(subset(valid, 0, 0))).rejects.toSatisfy((e) => e instanceof InvalidArgumentError && e.argument === 'data.count');
      model.dispose();
    });

    test(`onBatchEnd: batches × epochs calls with increasing samples, the last equal to epochs · count (batch size divides count) (${name})`, async () => {
      const model = smallModel(engine, 81);
      const data = subset(train, 0, 96); // 3 full batches of 32
      const seen: Array<{ epoch: number; batch: number; batches: number; samples: number }> = [];
      const epochsSeen: number[] = [];
      await model.fit(data, { epochs: 3, batchSize: 32, onBatchEnd: (p) => void seen.push({ ...p }), onEpochEnd: (log) => void epochsSeen.push(log.epoch) });
      expect(seen).toHaveLength(3 * 3);
      expect(epochsSeen).toEqual([0, 1, 2]);
      for (const [k, p] of seen.entries()) {
        expect([p.epoch, p.batch, p.batches]).toEqual([Math.floor(k / 3), k % 3, 3]);
        expect(p.samples).toBe(32 * (k + 1));
      }
      expect(seen[seen.length - 1]!.samples).toBe(3 * 96);
      model.dispose();
    });

    test(`onBatchEnd progress.samples counts the samples trained so far when the last batch of an epoch is partial (${name})`, async () => {
      const model = smallModel(engine, 82);
      const data = subset(train, 0, 100); // 100 = 3 × 32 + 4: a partial last batch every epoch
      const seen: Array<{ epoch: number; batch: number; batches: number; samples: number }> = [];
      await model.fit(data, { epochs: 3, batchSize: 32, onBatchEnd: (p) => void seen.push({ ...p }) });
      expect(seen).toHaveLength(4 * 3);
      const samples = seen.map((p) => p.samples);
      // Documented: "Samples trained on so far in this fit()": epoch·count + the samples of this epoch's batches so far.
      const expected = seen.map((p) => p.epoch * 100 + Math.min(100, (p.batch + 1) * 32));
      expect(samples).toEqual(expected); // [32, 64, 96, 100, 132, …, 300]
      expect(samples[samples.length - 1]).toBe(3 * 100);
      model.dispose();
    });

    test(`inputConnectivity: sums to the first layer's nnz, changes after an evolution; dense gives out everywhere (${name})`, async () => {
      const model = smallModel(engine, 91);
      const first = model.linearLayers[0] as SparseLinear;
      const before = await model.inputConnectivity();
      expect(before).toHaveLength(64);
      expect(before.reduce((s, v) => s + v, 0)).toBe(first.nnz);
      const { W } = await first.weights();
      const counts = new Uint32Array(64);
      for (const c of W.colIdx) counts[c]!++;
      expect(before).toEqual(counts);
      await model.evolve(set({ zeta: 0.3 }), 3);
      const after = await model.inputConnectivity();
      expect(after.reduce((s, v) => s + v, 0)).toBe(first.nnz);
      expect(after).not.toEqual(before);
      model.dispose();

      const dense = new Sequential(engine, [new DenseLinear({ in: 10, out: 7 }), relu(), new DenseLinear({ in: 7, out: 3 }), softmax()]);
      expect(Array.from(await dense.inputConnectivity())).toEqual(new Array<number>(10).fill(7));
      dense.dispose();
    });

    test(`use after dispose is a DisposedError; so is a disposed engine (${name})`, async () => {
      const model = smallModel(engine, 101);
      model.dispose();
      model.dispose(); // idempotent
      await expect(model.fit(train, { epochs: 1, batchSize: 32 })).rejects.toBeInstanceOf(DisposedError);
      await expect(model.evaluate(valid)).rejects.toBeInstanceOf(DisposedError);
      await expect(model.predict(featureMajor(valid))).rejects.toBeInstanceOf(DisposedError);
      await expect(model.evolve(set(), 1)).rejects.toBeInstanceOf(DisposedError);
      await expect(model.inputConnectivity()).rejects.toBeInstanceOf(DisposedError);

      const own = await createEngine({ backend: name === 'webgpu' ? 'webgpu' : 'cpu' });
      const onOwn = smallModel(own, 102);
      await onOwn.fit(subset(train, 0, 64), { epochs: 1, batchSize: 32 });
      own.dispose();
      await expect(onOwn.fit(train, { epochs: 1, batchSize: 32 })).rejects.toBeInstanceOf(DisposedError);
      await expect(onOwn.evaluate(valid)).rejects.toBeInstanceOf(DisposedError);
      await expect(onOwn.predict(featureMajor(valid))).rejects.toBeInstanceOf(DisposedError);
      onOwn.dispose();
    });
  }

  test('planStages grammar: typed errors naming the entry at fault', () => {
    const lin = (i: number, o: number) => new DenseLinear({ in: i, out: o });
    const err = (layers: ModelLayer[]) => thrown(() => new Sequential(cpu, layers));
    expect(err([])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers' });
    expect(err([relu(), lin(4, 3), softmax()])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[0]' });
    expect(err([softmax()])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[0]' });
    expect(err([lin(4, 3), softmax(), lin(3, 2)])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[2]' });
    expect(err([lin(4, 3), softmax(), softmax()])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[2]' });
    expect(err([lin(4, 3), relu(), relu(), lin(3, 2)])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[2]' });
    expect(err([lin(4, 3), relu(), leakyRelu(0.1), lin(3, 2)])).toMatchObject({ argument: 'layers[2]' });
    expect(err([lin(4, 3), dropout(0.1), relu(), lin(3, 2)])).toMatchObject({ argument: 'layers[2]' });
    expect(err([lin(4, 3), dropout(0.1), dropout(0.1), lin(3, 2)])).toMatchObject({ argument: 'layers[2]' });
    expect(err([lin(4, 3), relu(), softmax()])).toMatchObject({ argument: 'layers[2]' });
    const mismatch = err([lin(4, 3), relu(), lin(5, 2), softmax()]);
    expect(mismatch).toBeInstanceOf(ShapeMismatchError);
    expect(mismatch).toMatchObject({ argument: 'layers[2]' });
    const twice = lin(3, 3);
    expect(err([twice, relu(), twice, softmax()])).toMatchObject({ name: 'InvalidArgumentError', argument: 'layers[2]' });
    expect(err([lin(4, 3), { kind: 'swish' } as unknown as ModelLayer])).toMatchObject({ argument: 'layers[1]' });
    expect(err([lin(4, 3), 5 as unknown as ModelLayer])).toMatchObject({ argument: 'layers[1]' });
    // The activations' own arguments.
    expect(() => dropout(1)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'rate' }));
    expect(() => dropout(-0.1)).toThrow(expect.objectContaining({ argument: 'rate' }));
    expect(() => dropout(Number.NaN)).toThrow(expect.objectContaining({ argument: 'rate' }));
    expect(() => leakyRelu(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ argument: 'alpha' }));
    // A valid plan with the maximal grammar builds.
    const ok = new Sequential(cpu, [lin(4, 4), leakyRelu(-0.6), dropout(0.5), lin(4, 2), softmax()]);
    expect([ok.inputSize, ok.outputSize]).toEqual([4, 2]);
    ok.dispose();
  });
});
