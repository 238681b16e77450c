/**
 * fit() stops with a TrainingDivergedError when an epoch's loss is NaN or
 * infinite (the weights overflowed), on both backends; it keeps going when
 * told to; a wrong option type is a typed error.
 */
import { describe, expect, test } from 'vitest';
import { DenseLinear, InvalidArgumentError, Sequential, SparseLinear, TrainingDivergedError, relu, sgd, softmax, syntheticClassification, type Engine } from '../src/index.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();
const data = syntheticClassification({ count: 200, features: 32, classes: 4, seed: 5 });

function model(engine: Engine): Sequential {
  return new Sequential(engine, [new SparseLinear({ in: 32, out: 48, epsilon: 8, seed: 3 }), relu(), new DenseLinear({ in: 48, out: 4, seed: 4 }), softmax()]);
}

describe(`diverged training on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  for (const [name, engine] of [
    ['webgpu', gpu],
    ['cpu', cpu],
  ] as Array<[string, Engine]>) {
    test(`${name}: an overflowing learning rate stops fit after the first epoch, with its history`, async () => {
      const m = model(engine);
      const seen: number[] = [];
      const error = await m
        .fit(data, { epochs: 3, batchSize: 20, optimizer: sgd({ lr: 1e30 }), onEpochEnd: (log) => void seen.push(log.epoch) })
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TrainingDivergedError);
      const diverged = error as TrainingDivergedError;
      expect(diverged.epoch).toBe(0);
      expect(Number.isFinite(diverged.loss)).toBe(false);
      expect(diverged.history.epochs).toHaveLength(1);
      expect(seen).toEqual([0]);
      expect(diverged.message).toMatch(/epoch 1/);
      // The model stays usable after the error: it can be fitted again (here keeping its overflowed weights).
      await expect(m.fit(data, { epochs: 1, batchSize: 20, stopOnNonFinite: false })).resolves.toBeDefined();
      m.dispose();
    });

    test(`${name}: stopOnNonFinite: false trains every epoch; a sane learning rate never trips the check`, async () => {
      const m = model(engine);
      const history = await m.fit(data, { epochs: 2, batchSize: 20, optimizer: sgd({ lr: 1e30 }), stopOnNonFinite: false });
      expect(history.epochs).toHaveLength(2);
      expect(Number.isFinite(history.epochs[1]!.loss)).toBe(false);
      m.dispose();
      const sane = model(engine);
      const ok = await sane.fit(data, { epochs: 2, batchSize: 20, optimizer: sgd({ lr: 0.05 }) });
      expect(ok.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
      sane.dispose();
    });
  }

  test('stopOnNonFinite must be a boolean', async () => {
    const m = model(cpu);
    const error = await m.fit(data, { epochs: 1, batchSize: 20, stopOnNonFinite: 'yes' as unknown as boolean }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('options.stopOnNonFinite');
    m.dispose();
  });
});
