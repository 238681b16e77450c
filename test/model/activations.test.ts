/**
 * sigmoid() and tanh() in a Sequential: where the grammar takes them, that
 * fit trains them on both backends (the same losses on both, the loss
 * falls), that the WebGPU training step is recorded once (no pipeline or
 * buffer is made per batch), that a model ending in sigmoid predicts without
 * softmax and refuses fit by name, and that the model file keeps them.
 */
import { describe, expect, test } from 'vitest';
import {
  DenseLinear,
  DenseMatrix,
  dropout,
  InvalidArgumentError,
  relu,
  Sequential,
  sgd,
  sigmoid,
  softmax,
  SparseLinear,
  tanh,
  type History,
  type ModelLayer,
} from '../../src/index.js';
import { decodeModel, encodeModel } from '../../src/model/model-file.js';
import { ACTIVATION_KINDS, activationOf, leakyRelu } from '../../src/model/activations.js';
import { InteropFormatError } from '../../src/interop/errors.js';
import { readLayerMeta } from '../../src/interop/snapshot.js';
import { bothEngines } from '../helpers/engines.js';
import { mustThrow } from '../helpers/expect-error.js';
import { trainValidSplit } from '../helpers/fit-fixtures.js';

const { cpu, backends } = await bothEngines();

const { train, valid } = trainValidSplit({ count: 480, features: 32, classes: 4, seed: 21 }, 400);

type Smooth = typeof sigmoid;
const kinds: Array<[string, Smooth]> = [
  ['sigmoid', sigmoid],
  ['tanh', tanh],
];

function hidden(f: Smooth): ModelLayer[] {
  return [new SparseLinear({ in: 32, out: 48, epsilon: 6, seed: 3 }), f(), dropout(0.2), new DenseLinear({ in: 48, out: 24, seed: 4 }), f(), new DenseLinear({ in: 24, out: 4, seed: 5 }), softmax()];
}

function featureMajor(count: number, features: number, seed: number): DenseMatrix {
  return DenseMatrix.random(features, count, { seed, lo: -3, hi: 3 });
}

describe('where sigmoid() and tanh() go', () => {
  test('after a linear layer, before dropout; not twice, not after dropout, not before softmax', () => {
    for (const [name, f] of kinds) {
      const ok = new Sequential(cpu, hidden(f));
      expect(ok.linearLayers).toHaveLength(3);
      ok.dispose();
      const bad: Array<[ModelLayer[], string]> = [
        [[new DenseLinear({ in: 4, out: 3 }), f(), relu()], 'layers[2]'],
        [[new DenseLinear({ in: 4, out: 3 }), relu(), f()], 'layers[2]'],
        [[new DenseLinear({ in: 4, out: 3 }), dropout(0.1), f()], 'layers[2]'],
        [[new DenseLinear({ in: 4, out: 3 }), f(), softmax()], 'layers[2]'],
        [[f(), new DenseLinear({ in: 4, out: 3 })], 'layers[0]'],
      ];
      for (const [layers, argument] of bad) {
        const e = mustThrow(() => new Sequential(cpu, layers));
        expect(e, name).toBeInstanceOf(InvalidArgumentError);
        expect((e as InvalidArgumentError).argument, `${name}: ${(e as Error).message}`).toBe(argument);
      }
    }
  });

  test('as the last layer (an autoencoder-style output): predict works on both backends; fit names `layers` (it trains with softmax cross-entropy only)', async () => {
    for (const [name, f] of kinds) {
      const outputs: Float32Array[] = [];
      for (const [backend, engine] of backends) {
        const model = new Sequential(engine, [new DenseLinear({ in: 8, out: 6, seed: 1 }), relu(), new DenseLinear({ in: 6, out: 8, seed: 2 }), f()]);
        try {
          for (const count of [1, 5]) {
            const y = await model.predict(featureMajor(count, 8, 9 + count));
            expect(y.rows).toBe(8);
            expect(y.cols).toBe(count);
            const lo = name === 'sigmoid' ? 0 : -1;
            for (const v of y.data) expect(v >= lo && v <= 1, `${name} ${backend} output ${v} in [${lo}, 1]`).toBe(true);
            if (count === 5) outputs.push(y.data);
          }
          const fit = await model.fit(train, { epochs: 1, batchSize: 10 }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(fit).toBeInstanceOf(InvalidArgumentError);
          expect((fit as InvalidArgumentError).argument).toBe('layers');
          expect((fit as Error).message).toMatch(/softmax/);
        } finally {
          model.dispose();
        }
      }
      // GPU = CPU: the activation's transcendentals differ by a few ulp (test/activation.test.ts).
      const [g, c] = outputs as [Float32Array, Float32Array];
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - c[i]!), `${name} output ${i}`).toBeLessThan(1e-6);
    }
  });
});

describe('fit with sigmoid and tanh hidden layers, on WebGPU and the CPU', () => {
  for (const [name, f] of kinds) {
    test(`${name}: the loss falls, both backends agree, and the WebGPU step is recorded once`, async () => {
      const histories: History[] = [];
      for (const [backend, engine] of backends) {
        const model = new Sequential(engine, hidden(f));
        const device = engine.gpuContextForLayers()?.device;
        const counts = { pipelines: 0, buffers: 0 };
        const restore: Array<() => void> = [];
        if (device) {
          // Count what the device creates from the end of an epoch's first batch to its last: the recorded step's replays only.
          for (const method of ['createComputePipeline', 'createBuffer'] as const) {
            const original = device[method].bind(device) as (...args: unknown[]) => unknown;
            const key = method === 'createBuffer' ? 'buffers' : 'pipelines';
            (device as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
              counts[key]++;
              return original(...args);
            };
            restore.push(() => delete (device as unknown as Record<string, unknown>)[method]);
          }
        }
        let between = { pipelines: 0, buffers: 0 };
        let start = { pipelines: 0, buffers: 0 };
        try {
          const history = await model.fit(train, {
            epochs: 4,
            batchSize: 20,
            seed: 7,
            optimizer: sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0 }),
            validationData: valid,
            onBatchEnd: ({ batch, batches }) => {
              if (batch === 0) start = { ...counts };
              if (batch === batches - 1) between = { pipelines: between.pipelines + counts.pipelines - start.pipelines, buffers: between.buffers + counts.buffers - start.buffers };
            },
          });
          histories.push(history);
          const losses = history.epochs.map((e) => e.loss);
          console.log(`[activations] ${name} ${backend}: losses ${losses.map((l) => l.toFixed(4)).join(' → ')}, val accuracy ${history.epochs.at(-1)!.valAccuracy!.toFixed(3)}`);
          expect(losses.every(Number.isFinite)).toBe(true);
          expect(losses[3]!, `${name} ${backend} loss falls`).toBeLessThan(losses[0]! * 0.8);
          expect(history.epochs.at(-1)!.valAccuracy!).toBeGreaterThan(0.5);
          if (device) {
            // The training pass was recorded before the first batch ended; the other 19 batches of each epoch replay it.
            // The spy sees the device: the recorded pass's activation buffers were created through it.
            expect(counts.buffers, `${name}: buffers created while recording`).toBeGreaterThan(0);
            expect(between, `${name}: nothing created between batches`).toEqual({ pipelines: 0, buffers: 0 });
          }
        } finally {
          for (const r of restore) r();
          model.dispose();
        }
      }
      const [g, c] = histories as [History, History];
      for (let e = 0; e < 4; e++) {
        const a = g.epochs[e]!.loss;
        const b = c.epochs[e]!.loss;
        expect(Math.abs(a - b), `${name} epoch ${e} loss: webgpu ${a} vs cpu ${b}`).toBeLessThanOrEqual(1e-4 * Math.abs(b));
      }
    });
  }
});

describe('the model file keeps sigmoid and tanh', () => {
  test('save → load predicts the same, on both backends; the header names them', async () => {
    for (const [name, f] of kinds) {
      for (const [backend, engine] of backends) {
        const model = new Sequential(engine, hidden(f));
        const X = featureMajor(7, 32, 5);
        try {
          const before = await model.predict(X);
          const bytes = await model.save();
          expect(decodeModel(bytes).layers.map((l) => l.kind)).toEqual(['sparse-linear', name, 'dropout', 'dense-linear', name, 'dense-linear', 'softmax']);
          const loaded = Sequential.load(engine, bytes);
          try {
            expect((await loaded.predict(X)).data, `${name} ${backend}`).toEqual(before.data);
            expect(await loaded.save(), `${name} ${backend}: save → load → save gives the same bytes`).toEqual(bytes);
          } finally {
            loaded.dispose();
          }
        } finally {
          model.dispose();
        }
      }
    }
  });
});

describe('one table reads and writes every activation entry', () => {
  test('activationOf: every kind, keys in a fixed order, the parameter checked by its constructor and named', () => {
    expect(ACTIVATION_KINDS).toEqual(['relu', 'leaky-relu', 'sigmoid', 'tanh', 'dropout', 'softmax']);
    // Extra keys are dropped and the key order is fixed: equal models give equal bytes.
    expect(JSON.stringify(activationOf({ alpha: 0.5, extra: 1, kind: 'leaky-relu' }, 'x'))).toBe('{"kind":"leaky-relu","alpha":0.5}');
    expect(JSON.stringify(activationOf({ kind: 'sigmoid', alpha: 3 }, 'x'))).toBe('{"kind":"sigmoid"}');
    expect(activationOf({ kind: 'tanh' }, 'x')).toEqual(tanh());
    expect(activationOf({ kind: 'dropout', rate: 0.25 }, 'x')).toEqual(dropout(0.25));
    for (const [entry, argument] of [
      [{ kind: 'leaky-relu', alpha: 1e39 }, 'layers[2].alpha'],
      [{ kind: 'leaky-relu' }, 'layers[2].alpha'],
      [{ kind: 'dropout', rate: '0.5' }, 'layers[2].rate'],
      [{ kind: 'dropout', rate: 1 }, 'layers[2].rate'],
    ] as const) {
      const e = mustThrow(() => activationOf(entry, 'layers[2]'));
      expect(e, JSON.stringify(entry)).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
    }
  });

  test('the model file and the interop metadata refuse through it, each with its own error', () => {
    const linear = { kind: 'dense-linear' as const, W: DenseMatrix.random(2, 3), bias: new Float32Array(2), init: 'he-uniform' as const };
    const e = mustThrow(() => encodeModel({ layers: [linear, { kind: 'leaky-relu', alpha: 1e39 }] }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).argument).toBe('model.layers[1].alpha');
    const file = encodeModel({ layers: [linear, sigmoid(), leakyRelu(0.1)] });
    expect(decodeModel(file).layers.slice(1)).toEqual([sigmoid(), leakyRelu(0.1)]);

    const meta = (layers: unknown[]) => JSON.stringify({ version: 1, layers });
    expect(readLayerMeta('safetensors', meta([{ kind: 'sigmoid' }, { kind: 'tanh' }]))).toEqual([sigmoid(), tanh()]);
    const bad = mustThrow(() => readLayerMeta('onnx', meta([{ kind: 'tanh' }, { kind: 'dropout', rate: '0.5' }])));
    expect(bad).toBeInstanceOf(InteropFormatError);
    expect((bad as InteropFormatError).reason).toBe('corrupt');
    expect((bad as Error).message).toContain('layers[1].rate');
    expect((mustThrow(() => readLayerMeta('onnx', meta([{ kind: 'swish' }]))) as Error).message).toContain('layers[0].kind "swish" is not a known layer kind');
  });
});
