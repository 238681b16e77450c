/**
 * The recorded training step of Sequential.fit on WebGPU (src/model/gpu-trainer.ts):
 * how many dispatches one batch submits, counted from what the trainer
 * really encodes (a wrapper on GpuContext.encode), for the reference
 * SET-MLP (784-1000-1000-1000-10, CSR at ε = 20, alternated leaky ReLU,
 * dropout 0.3, softmax, SGD with momentum, batch 128) and a small
 * CSR / 2:4 / dense mix, on both kernel profiles.
 */
import { describe, expect, test } from 'vitest';
import { createEngine, dropout, relu, Sequential, setMlpLayers, sgd, softmax, SparseLinear, NMLinear, DenseLinear, syntheticClassification, type Engine, type ModelLayer } from '../src/index.js';
import type { Step } from '../src/gpu/gpu-context.js';
import { gpuEngine } from './helpers/engines.js';

const emulation = await gpuEngine();
const forcedGpu: Engine = await createEngine({ backend: 'webgpu', kernels: 'gpu' });

export interface StepCount {
  /** Dispatches of one training step, in order (copies excluded). */
  dispatches: number;
  /** Workgroups of each dispatch, in order. */
  workgroups: number[];
}

/**
 * Fits `layers` for one batch and returns what the trainer encoded for its
 * one training step (the label GpuTrainer submits it under).
 */
export async function countTrainStep(engine: Engine, layers: ModelLayer[], features: number, classes: number, batch: number): Promise<StepCount> {
  const ctx = engine.gpuContextForLayers()!;
  const data = syntheticClassification({ count: batch, features, classes, seed: 5 });
  const model = new Sequential(engine, layers);
  const seen: Step[][] = [];
  const encode = ctx.encode.bind(ctx);
  ctx.encode = (encoder, steps, label, timestamps) => {
    if (label === 'Sequential train step') seen.push([...steps]);
    encode(encoder, steps, label, timestamps);
  };
  try {
    await model.fit(data, { epochs: 1, batchSize: batch, seed: 3, optimizer: sgd({ lr: 0.01, momentum: 0.9, weightDecay: 0.0002 }) });
  } finally {
    ctx.encode = encode;
    model.dispose();
  }
  expect(seen).toHaveLength(1);
  const dispatches = seen[0]!.flatMap((s) => ('copy' in s || s.workgroups === 0 ? [] : [s.workgroups]));
  return { dispatches: dispatches.length, workgroups: dispatches };
}

export function referenceMlp(): ModelLayer[] {
  return setMlpLayers({ sizes: [784, 1000, 1000, 1000, 10], variant: 'set-csr', epsilon: 20, dropoutRate: 0.3, seed: 1 });
}

export function smallMix(): ModelLayer[] {
  return [
    new SparseLinear({ in: 64, out: 96, epsilon: 8, seed: 11 }),
    relu(),
    dropout(0.3),
    new NMLinear({ in: 96, out: 48, seed: 12 }),
    relu(),
    new DenseLinear({ in: 48, out: 4, seed: 13 }),
    softmax(),
  ];
}

describe('dispatches of one recorded training step', () => {
  for (const [profile, engine] of [
    ['emulation', emulation],
    ['gpu', forcedGpu],
  ] as const) {
    test(`reference MLP, batch 128 (${profile} profile)`, async () => {
      const count = await countTrainStep(engine, referenceMlp(), 784, 10, 128);
      console.log(`[train step] reference MLP ${profile}: ${count.dispatches} dispatches, workgroups ${count.workgroups.join(' ')}`);
      expect(count.dispatches).toBe(35);
    }, 60_000);

    test(`CSR / 2:4 / dense mix, batch 50 (${profile} profile)`, async () => {
      const count = await countTrainStep(engine, smallMix(), 64, 4, 50);
      console.log(`[train step] mix ${profile}: ${count.dispatches} dispatches, workgroups ${count.workgroups.join(' ')}`);
      expect(count.dispatches).toBe(26);
    }, 60_000);
  }
});
