/**
 * FitOptions.profile: the CPU trainer times every phase of a batch per layer
 * (plus evaluation and evolution) into EpochLog.profile, without changing what
 * it trains; WebGPU refuses the option with a typed error naming it.
 */
import { describe, expect, test } from 'vitest';
import {
  DenseLinear,
  InvalidArgumentError,
  Sequential,
  SparseLinear,
  TRAINING_PHASES,
  dropout,
  relu,
  set,
  softmax,
  subset,
  syntheticClassification,
  type Engine,
  type FitOptions,
  type PhaseTime,
} from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { caught, expectNamedError } from './helpers/expect-error.js';

const all = syntheticClassification({ count: 200, features: 32, classes: 4, seed: 5 });
const train = subset(all, 0, 160);
const valid = subset(all, 160, 40);
const batchSize = 32;
const batches = Math.ceil(train.count / batchSize);

function model(engine: Engine): Sequential {
  return new Sequential(engine, [new SparseLinear({ in: 32, out: 48, epsilon: 6, seed: 2 }), relu(), dropout(0.2), new DenseLinear({ in: 48, out: 4, seed: 3 }), softmax()]);
}

const options: FitOptions = { epochs: 2, batchSize, evolution: set({ zeta: 0.3 }), validationData: valid, seed: 9 };

function row(rows: PhaseTime[], phase: PhaseTime['phase'], layer: number): PhaseTime | undefined {
  return rows.find((r) => r.phase === phase && r.layer === layer);
}

describe('FitOptions.profile (cpu backend)', () => {
  test('times each phase per layer, once per batch, and trains the same model', async () => {
    const engine = await cpuEngine();
    try {
      const plain = await model(engine).fit(train, options);
      const profiled = await model(engine).fit(train, { ...options, profile: true });
      expect(profiled.epochs.map((e) => e.loss)).toEqual(plain.epochs.map((e) => e.loss));
      expect(plain.epochs.every((e) => e.profile === undefined)).toBe(true);
      for (const [i, epoch] of profiled.epochs.entries()) {
        const rows = epoch.profile!;
        for (const r of rows) {
          expect(TRAINING_PHASES).toContain(r.phase);
          expect(r.seconds).toBeGreaterThanOrEqual(0);
        }
        for (const layer of [0, 1]) {
          for (const phase of ['forward product', 'bias', 'gradient product', 'bias gradient', 'optimizer'] as const) {
            expect(row(rows, phase, layer)?.calls, `${phase} of layer ${layer}`).toBe(batches);
          }
        }
        // Wᵀ·dY and f' run for every layer but the first; dropout/ReLU after the first only.
        expect(row(rows, 'backward product', 1)?.calls).toBe(batches);
        expect(row(rows, 'backward product', 0)).toBeUndefined();
        expect(row(rows, 'activation + dropout', 0)?.calls).toBe(batches);
        expect(row(rows, 'activation derivative', 0)?.calls).toBe(batches);
        expect(row(rows, 'loss', -1)?.calls).toBe(batches);
        expect(row(rows, 'batch copy', -1)?.calls).toBe(batches);
        expect(row(rows, 'evaluation', -1)?.calls).toBe(1);
        // Evolution runs after every epoch but the last.
        expect(row(rows, 'evolution', -1)?.calls).toBe(i < profiled.epochs.length - 1 ? 1 : undefined);
        // The training phases happen inside the epoch's training seconds.
        const training = rows.filter((r) => r.phase !== 'evaluation' && r.phase !== 'evolution').reduce((s, r) => s + r.seconds, 0);
        expect(training).toBeLessThanOrEqual(epoch.seconds + 1e-3);
      }
    } finally {
      engine.dispose();
    }
  });

  test('a non-boolean profile is a typed error naming it', async () => {
    const engine = await cpuEngine();
    try {
      const e = await caught(() => model(engine).fit(train, { ...options, profile: 'yes' as unknown as boolean }));
      expectNamedError(e, InvalidArgumentError, 'options.profile');
    } finally {
      engine.dispose();
    }
  });
});

describe('FitOptions.profile (webgpu backend)', () => {
  test('is refused with a typed error that says to profile on the CPU', async () => {
    const engine = await gpuEngine();
    const m = model(engine);
    try {
      const e = await caught(() => m.fit(train, { ...options, profile: true }));
      expectNamedError(e, InvalidArgumentError, 'options.profile');
      expect((e as Error).message).toMatch(/backend: 'cpu'/);
    } finally {
      m.dispose();
    }
  });
});
