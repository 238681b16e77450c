/**
 * No training lost to a lost device: fit keeps the model state on the host at
 * every epoch end, a model or layer whose device was lost re-attaches to a
 * new engine (WebGPU or CPU) from that copy, and a fit resumed with
 * initialEpoch trains as the uninterrupted one would have. Losses are
 * simulated with device.destroy() on engines of their own (never the shared
 * test engine). Also: the GPU's epoch loss does not overflow f32 where the
 * CPU's f64 sum is finite.
 */
import { describe, expect, test } from 'vitest';
import {
  adam,
  createEngine,
  DenseLinear,
  DenseMatrix,
  DeviceLimitError,
  DeviceLostError,
  InvalidArgumentError,
  NMLinear,
  Sequential,
  set,
  sgd,
  SparseLinear,
  syntheticClassification,
  type Dataset,
  type Engine,
  type FitOptions,
  type History,
  type LinearLayer,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { reluClassifier } from './helpers/fit-fixtures.js';
import { caught, expectNamedError, thrown } from './helpers/expect-error.js';

const data = syntheticClassification({ count: 160, features: 32, classes: 4, seed: 5 });

/** A fresh WebGPU engine with a device of its own, safe to destroy. */
function ownEngine(): Promise<Engine> {
  return createEngine({ backend: 'webgpu' });
}

/** SET on two sparse layers, an N:M layer, Adam (moments and t must survive), dropout off so runs compare exactly. */
function model(engine: Engine): Sequential {
  return new Sequential(
    engine,
    reluClassifier([
      new SparseLinear({ in: 32, out: 48, epsilon: 8, seed: 3 }),
      new NMLinear({ in: 48, out: 40, n: 2, m: 4, seed: 4 }),
      new SparseLinear({ in: 40, out: 24, epsilon: 8, seed: 6 }),
      new DenseLinear({ in: 24, out: 4, seed: 7 }),
    ]),
  );
}

/** Runs `body` on the test model on an engine of its own (safe to lose), then disposes both, pass or fail. */
async function withOwnModel(body: (m: Sequential, engine: Engine) => Promise<void>): Promise<void> {
  const engine = await ownEngine();
  const m = model(engine);
  try {
    await body(m, engine);
  } finally {
    m.dispose();
    engine.dispose();
  }
}

const options: FitOptions = { epochs: 4, batchSize: 20, optimizer: adam({ lr: 0.01 }), evolution: set({ zeta: 0.3 }), seed: 9 };

/** Everything a layer holds that training changes, read through the public API. */
async function state(layer: LinearLayer): Promise<Record<string, Float32Array | Uint32Array>> {
  if (layer instanceof SparseLinear) {
    const { W, bias, velocity } = await layer.weights();
    return { rowPtr: W.rowPtr, colIdx: W.colIdx, values: W.values, bias, velocity };
  }
  if (layer instanceof NMLinear) {
    const W = await layer.weights();
    return { values: W.values, indices: W.indices, bias: await layer.biases() };
  }
  if (layer instanceof DenseLinear) return { values: (await layer.weights()).data, bias: await layer.biases() };
  throw new Error(`unexpected layer ${layer.constructor.name}`);
}

async function modelState(m: Sequential): Promise<Array<Record<string, Float32Array | Uint32Array>>> {
  return Promise.all(m.linearLayers.map(state));
}

function lossesOf(history: History): number[] {
  return history.epochs.map((e) => e.loss);
}

/** The uninterrupted run on WebGPU: its history and its final state. */
async function reference(): Promise<{ history: History; final: Awaited<ReturnType<typeof modelState>>; ends: Array<Awaited<ReturnType<typeof modelState>>> }> {
  const gpu = await gpuEngine();
  const m = model(gpu);
  const ends: Array<Awaited<ReturnType<typeof modelState>>> = [];
  const history = await m.fit(data, { ...options, onEpochEnd: async () => void ends.push(await modelState(m)) });
  const final = await modelState(m);
  m.dispose();
  return { history, final, ends };
}

const ref = await reference();

/**
 * Starts the fit on an engine of its own and destroys its device from
 * `lose` (called with the engine); returns the model and the DeviceLostError.
 */
async function interrupted(lose: (engine: Engine, m: Sequential) => Partial<FitOptions>): Promise<{ m: Sequential; error: DeviceLostError; lostEngine: Engine }> {
  const engine = await ownEngine();
  const m = model(engine);
  const error = await caught(() => m.fit(data, { ...options, ...lose(engine, m) }));
  expect(error, `got ${String(error)}`).toBeInstanceOf(DeviceLostError);
  return { m, error: error as DeviceLostError, lostEngine: engine };
}

/**
 * Fits on from `initialEpoch`: same seeds, same Adam moments and step count,
 * same topology, so the uninterrupted run's losses and final state.
 */
async function expectResumesAsUninterrupted(m: Sequential, initialEpoch: number): Promise<History> {
  const resumed = await m.fit(data, { ...options, initialEpoch });
  expect(lossesOf(resumed)).toEqual(lossesOf(ref.history).slice(initialEpoch));
  expect(await modelState(m)).toEqual(ref.final);
  return resumed;
}

describe('a device lost during fit', () => {
  test('mid-epoch (from onBatchEnd): the error says what was kept; save() and weights() give the end of the last completed epoch; a new WebGPU engine finishes the fit as if nothing happened', async () => {
    const { m, error, lostEngine } = await interrupted((engine) => ({
      onBatchEnd: ({ epoch, batch }) => {
        if (epoch === 2 && batch === 3) engine.device!.destroy();
      },
    }));
    // Epochs 1 and 2 finished (0-based 0, 1); the third was lost mid-way.
    expect(error.initialEpoch).toBe(2);
    expect(error.history?.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(lossesOf(error.history!)).toEqual(lossesOf(ref.history).slice(0, 2));
    expect(error.message).toMatch(/the model state at the end of epoch 2 .*is kept on the host/);
    expect(error.message).toMatch(/model\.attach\(await createEngine\(\)\).*initialEpoch: 2/);
    expect(error.kept?.resume).toMatch(/model\.save\(\)/);

    // What is kept is exactly the state at the end of epoch 2 (after its evolution).
    expect(await modelState(m)).toEqual(ref.ends[1]);
    const cpu = await cpuEngine();
    const loaded = Sequential.load(cpu, await m.save());
    const probe = DenseMatrix.random(32, 6, { seed: 2 });
    const keptOutputs = (await loaded.predict(probe)).data;
    loaded.dispose();
    // Running needs an engine: a typed error that says what to do.
    const evaluating = await caught(() => m.evaluate(data));
    expect(evaluating).toBeInstanceOf(DeviceLostError);
    expect((evaluating as DeviceLostError).message).toMatch(/model\.attach/);

    // Re-attached to the lost engine: refused with the same explanation; to a new one: accepted.
    expect(() => m.attach(lostEngine)).toThrow(DeviceLostError);
    const fresh = await ownEngine();
    m.attach(fresh);
    expect(m.engine).toBe(fresh);
    // The saved file holds the kept state: the re-attached model predicts what it loaded as (GPU vs CPU rounding apart).
    const outputs = (await m.predict(probe)).data;
    outputs.forEach((p, i) => expect(p).toBeCloseTo(keptOutputs[i]!, 5));
    const resumed = await expectResumesAsUninterrupted(m, error.initialEpoch!);
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    m.dispose();
    fresh.dispose();
    lostEngine.dispose();
  });

  test('mid-epoch, resumed on the CPU: starts from the kept state and keeps training', async () => {
    const { m, error, lostEngine } = await interrupted((engine) => ({
      onBatchEnd: ({ epoch, batch }) => {
        if (epoch === 1 && batch === 0) engine.device!.destroy();
      },
    }));
    expect(error.initialEpoch).toBe(1);
    const cpu = await cpuEngine();
    m.attach(cpu);
    expect(m.engine.backend).toBe('cpu');
    expect(await modelState(m)).toEqual(ref.ends[0]);
    const resumed = await m.fit(data, { ...options, initialEpoch: 1 });
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // The CPU computes the same epoch within float tolerance (its evolution afterwards may pick other near-ties).
    expect(resumed.epochs[0]!.loss).toBeCloseTo(ref.history.epochs[1]!.loss, 4);
    expect(resumed.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    expect(resumed.epochs[2]!.loss).toBeLessThan(resumed.epochs[0]!.loss);
    const after = await modelState(m);
    expect(after[3]!.values).not.toEqual(ref.ends[0]![3]!.values);
    m.dispose();
    lostEngine.dispose();
  });

  test('during the topology update after an epoch: that epoch is the one lost; the fit resumes from the one before', async () => {
    const { m, error, lostEngine } = await interrupted((engine, mm) => {
      // The second evolvable layer's update after epoch 3 (0-based 2) destroys the device first.
      const layer = mm.linearLayers[1] as NMLinear;
      const evolve = layer.evolve.bind(layer);
      let calls = 0;
      layer.evolve = async (o) => {
        if (++calls === 3) engine.device!.destroy();
        return evolve(o);
      };
      return {};
    });
    expect(error.initialEpoch).toBe(2);
    expect(error.history?.epochs).toHaveLength(2);
    expect(error.message).toMatch(/end of epoch 2/);
    expect(await modelState(m)).toEqual(ref.ends[1]);
    const fresh = await ownEngine();
    m.attach(fresh);
    await expectResumesAsUninterrupted(m, 2);
    m.dispose();
    fresh.dispose();
    lostEngine.dispose();
  });

  test('from onEpochEnd: nothing is lost (the epoch was kept before the callback ran)', async () => {
    const { m, error, lostEngine } = await interrupted((engine) => ({
      onEpochEnd: ({ epoch }) => {
        if (epoch === 0) engine.device!.destroy();
      },
    }));
    expect(error.initialEpoch).toBe(1);
    expect(await modelState(m)).toEqual(ref.ends[0]);
    m.dispose();
    lostEngine.dispose();
  });

  test('before the first epoch ends: the state at the start of the fit is kept, initialEpoch 0', () =>
    withOwnModel(async (m, engine) => {
      const before = await modelState(m);
      const error = await caught(() =>
        m.fit(data, {
          ...options,
          onBatchEnd: ({ batch }) => {
            if (batch === 1) engine.device!.destroy();
          },
        }),
      );
      expect(error).toBeInstanceOf(DeviceLostError);
      expect((error as DeviceLostError).initialEpoch).toBe(0);
      expect((error as DeviceLostError).message).toMatch(/at the start of this fit/);
      expect(await modelState(m)).toEqual(before);
    }));
});

describe('a device lost after model.evolve() (which reads back only counters)', () => {
  test('the error says the evolve is lost; save() refuses until attach, which continues from the copy before it', () =>
    withOwnModel(async (m, engine) => {
      await m.fit(data, { ...options, epochs: 1 });
      const kept = await modelState(m);
      await m.evolve(set({ zeta: 0.3 }), 3);
      expect(await modelState(m)).not.toEqual(kept);
      engine.device!.destroy();
      await engine.device!.lost;
      const saving = await caught(() => m.save());
      expect(saving).toBeInstanceOf(DeviceLostError);
      expect((saving as DeviceLostError).message).toMatch(/end of epoch 1 .*\(the model\.evolve\(\) since then is lost\)/);
      m.attach(cpuEngineSync);
      expect(await modelState(m)).toEqual(kept);
      await expect(m.save()).resolves.toBeInstanceOf(Uint8Array);
    }));
});

describe('attach after a loss', () => {
  test('a model on a working engine is not moved', () =>
    withOwnModel(async (m) => {
      expectNamedError(thrown(() => m.attach(cpuEngineSync)), InvalidArgumentError, 'engine');
    }));

  test('a move that fails part-way (a device too small for one layer) leaves the model whole for another engine', () =>
    withOwnModel(async (m, engine) => {
      const before = await modelState(m);
      engine.device!.destroy();
      await engine.device!.lost;
      // 3000-byte buffers take the first layer (~640 nonzeros) but not the N:M one (960 weights): the move fails part-way.
      const small = await createEngine({ backend: 'webgpu', maxBufferBytes: 3000 });
      const failed = thrown(() => m.attach(small));
      expect(failed).toBeInstanceOf(DeviceLimitError);
      m.attach(cpuEngineSync);
      expect(m.engine).toBe(cpuEngineSync);
      expect(await modelState(m)).toEqual(before);
      await expect(m.fit(data, { ...options, epochs: 1 })).resolves.toBeDefined();
      small.dispose();
    }));

  test('a lone layer: unchanged since attach, it reads and re-attaches from its host copy; after GPU steps, weights() says what was lost, attach() continues from the copy', async () => {
    const engine = await ownEngine();
    const layer = new SparseLinear({ in: 16, out: 8, density: 0.3, seed: 2 });
    layer.attach(engine);
    const X = DenseMatrix.random(16, 4, { seed: 1 });
    const initial = await state(layer);
    const y = (await layer.forward(X)).data;
    engine.device!.destroy();
    await engine.device!.lost;
    expect(await state(layer)).toEqual(initial);
    const fresh = await ownEngine();
    layer.attach(fresh);
    expect((await layer.forward(X)).data).toEqual(y);

    // Now train it on the GPU, then lose that device too.
    await layer.backward(X, DenseMatrix.random(8, 4, { seed: 3 }));
    await layer.step({ lr: 0.1, momentum: 0.9, weightDecay: 0 });
    fresh.device!.destroy();
    await fresh.device!.lost;
    const reading = await caught(() => layer.weights());
    expect(reading).toBeInstanceOf(DeviceLostError);
    expect((reading as DeviceLostError).message).toMatch(/when it was attached \(its GPU updates since then are lost\).*layer\.attach\(newEngine\)/);
    layer.attach(cpuEngineSync);
    expect(await state(layer)).toEqual(initial);
    layer.dispose();
    engine.dispose();
    fresh.dispose();
  });
});

const cpuEngineSync = await cpuEngine();

describe('epoch loss on the GPU', () => {
  test('per-sample losses whose f32 sum overflows give a finite mean, as the CPU f64 sum does', async () => {
    // Logits of ±4e36: each sample's loss is ~8e36, a batch of 64 sums to ~5e38 > f32 max (3.4e38).
    const count = 128;
    const dataset: Dataset = { inputs: new Float32Array(count * 4).fill(1), labels: new Uint8Array(count).fill(1), count, features: 4, classes: 2 };
    const weights = new DenseMatrix(2, 4, Float32Array.from([1e36, 1e36, 1e36, 1e36, -1e36, -1e36, -1e36, -1e36]));
    const run = async (engine: Engine) => {
      const m = new Sequential(engine, reluClassifier([new DenseLinear({ in: 4, out: 2, weights })]));
      try {
        const history = await m.fit(dataset, { epochs: 1, batchSize: 64, optimizer: sgd({ lr: 0.01, momentum: 0, weightDecay: 0 }), shuffle: false });
        return { fit: history.epochs[0]!.loss, evaluate: (await m.evaluate(dataset, { batchSize: 128 })).loss };
      } finally {
        m.dispose();
      }
    };
    const onCpu = await run(cpuEngineSync);
    expect(onCpu.fit).toBeGreaterThan(1e36);
    expect(Number.isFinite(onCpu.fit)).toBe(true);
    const onGpu = await run(await gpuEngine());
    expect(Number.isFinite(onGpu.fit), `GPU fit loss ${onGpu.fit}`).toBe(true);
    expect(Math.abs(onGpu.fit - onCpu.fit) / onCpu.fit).toBeLessThan(1e-5);
    expect(Math.abs(onGpu.evaluate - onCpu.evaluate) / onCpu.evaluate).toBeLessThan(1e-5);
  });

  test('initialEpoch is checked', async () => {
    const m = model(cpuEngineSync);
    for (const initialEpoch of [-1, 5, 1.5]) {
      const error = await caught(() => m.fit(data, { ...options, initialEpoch }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('options.initialEpoch');
    }
    expect(await m.fit(data, { ...options, initialEpoch: 4 })).toEqual({ epochs: [] });
    m.dispose();
  });
});
