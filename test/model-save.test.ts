import { describe, expect, test } from 'vitest';
import {
  DenseLinear,
  DenseMatrix,
  ModelFormatError,
  NMLinear,
  Sequential,
  SparseLinear,
  dropout,
  leakyRelu,
  relu,
  set,
  softmax,
  syntheticClassification,
  type Engine,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';

const data = syntheticClassification({ count: 256, features: 32, classes: 4, seed: 5 });

function model(engine: Engine): Sequential {
  return new Sequential(engine, [
    new SparseLinear({ in: 32, out: 48, density: 0.2, seed: 1 }),
    leakyRelu(-0.6),
    dropout(0.25),
    new NMLinear({ in: 48, out: 24, seed: 2 }),
    relu(),
    new DenseLinear({ in: 24, out: 4, seed: 3 }),
    softmax(),
  ]);
}

const probe = DenseMatrix.random(32, 9, { seed: 11, lo: 0, hi: 1 });

/** Counts GPU buffers created while `work` runs: loading a bad file must create none. */
async function buffersCreated(engine: Engine, work: () => unknown): Promise<number> {
  const device = engine.gpuContextForLayers()!.device;
  const original = device.createBuffer.bind(device);
  let count = 0;
  device.createBuffer = (d: GPUBufferDescriptor) => {
    count++;
    return original(d);
  };
  try {
    await work();
  } finally {
    device.createBuffer = original;
  }
  return count;
}

describe.each([
  ['cpu', cpuEngine],
  ['webgpu', gpuEngine],
] as const)('save / load on %s', (_name, makeEngine) => {
  test('a trained, evolved model round-trips bit-exactly and predicts the same on both backends', async () => {
    const engine = await makeEngine();
    const m = model(engine);
    await m.fit(data, { epochs: 2, batchSize: 32, evolution: set({ zeta: 0.3 }), seed: 3 });
    const bytes = await m.save({ note: 'test', epochs: 2 });
    expect(Sequential.metadataOf(bytes)).toEqual({ note: 'test', epochs: 2 });
    const before = await m.predict(probe);
    for (const target of [engine, await cpuEngine(), await gpuEngine()]) {
      const loaded = Sequential.load(target, bytes);
      expect(loaded.parameterCount).toBe(m.parameterCount);
      // Saving the loaded model gives the same bytes: weights, biases and topology are exact.
      expect(await loaded.save({ note: 'test', epochs: 2 })).toEqual(bytes);
      const after = await loaded.predict(probe);
      for (let i = 0; i < before.data.length; i++) expect(after.data[i]).toBeCloseTo(before.data[i]!, 5);
      // The input layer's connectivity came through too.
      expect(await loaded.inputConnectivity()).toEqual(await m.inputConnectivity());
      loaded.dispose();
    }
    m.dispose();
  });

  test('corrupt, truncated and foreign files are rejected with ModelFormatError before any GPU work', async () => {
    const engine = await makeEngine();
    const m = model(engine);
    const bytes = await m.save();
    m.dispose();
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x5a;
    const cases: Array<[Uint8Array, string]> = [
      [bytes.subarray(0, bytes.length - 7), 'truncated'],
      [flipped, 'corrupt'],
      [new TextEncoder().encode('{"not":"a model"}'), 'magic'],
    ];
    for (const [bad, reason] of cases) {
      let error: unknown;
      const created =
        engine.backend === 'webgpu'
          ? await buffersCreated(engine, () => {
              try {
                Sequential.load(engine, bad);
              } catch (e) {
                error = e;
              }
            })
          : (() => {
              try {
                Sequential.load(engine, bad);
              } catch (e) {
                error = e;
              }
              return 0;
            })();
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as ModelFormatError).reason).toBe(reason);
      expect(created).toBe(0);
    }
  });
});
