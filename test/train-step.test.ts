/**
 * The recorded training step of Sequential.fit on WebGPU (src/model/gpu-trainer.ts):
 * how many dispatches one batch submits, counted from what the trainer
 * really encodes (a wrapper on GpuContext.encode), for the reference
 * SET-MLP (784-1000-1000-1000-10, CSR at ε = 20, alternated leaky ReLU,
 * dropout 0.3, softmax, SGD with momentum, batch 128) and a small
 * CSR / 2:4 / dense mix, on both kernel profiles; and that the fused step
 * (trainStepRecording.fused, the default) trains as the separate passes do:
 * bit for bit on the emulation profile, whose fused passes take the same
 * f32 steps in the same order.
 */
import { describe, expect, test } from 'vitest';
import { createEngine, dropout, relu, Sequential, setMlpLayers, sgd, softmax, SparseLinear, NMLinear, DenseLinear, syntheticClassification, type Engine, type ModelLayer } from '../src/index.js';
import type { Step } from '../src/gpu/gpu-context.js';
import { trainStepRecording } from '../src/model/gpu-trainer.js';
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
      // Separate passes: 35. Fused: 4 forward + softmax/metrics + 3 backward gathers + 4 gradient steps.
      expect(count.dispatches).toBe(12);
      expect(count.dispatches).toBeLessThanOrEqual(15);
    }, 300_000);

    test(`CSR / 2:4 / dense mix, batch 50 (${profile} profile)`, async () => {
      const count = await countTrainStep(engine, smallMix(), 64, 4, 50);
      console.log(`[train step] mix ${profile}: ${count.dispatches} dispatches, workgroups ${count.workgroups.join(' ')}`);
      // Separate passes: 26. The dense output layer keeps its separate passes (product, bias, gradient, SGD, bias step).
      expect(count.dispatches).toBe(13);
    }, 300_000);

    test(`fused and separate steps train the mix alike (${profile} profile)`, async () => {
      const data = syntheticClassification({ count: 150, features: 64, classes: 4, seed: 9 });
      const weights: Float32Array[][] = [];
      const losses: number[][] = [];
      for (const fused of [true, false]) {
        trainStepRecording.fused = fused;
        const model = new Sequential(engine, smallMix());
        try {
          const h = await model.fit(data, { epochs: 2, batchSize: 50, seed: 3, optimizer: sgd({ lr: 0.05 }) });
          losses.push(h.epochs.map((e) => e.loss));
          const got: Float32Array[] = [];
          for (const layer of model.linearLayers) {
            got.push(await layer.biases());
            if (layer instanceof SparseLinear) got.push((await layer.weights()).W.values);
            if (layer instanceof NMLinear) got.push((await layer.weights()).values);
            if (layer instanceof DenseLinear) got.push((await layer.weights()).data);
          }
          weights.push(got);
        } finally {
          trainStepRecording.fused = true;
          model.dispose();
        }
      }
      const [fused, separate] = weights as [Float32Array[], Float32Array[]];
      expect(fused).toHaveLength(separate.length);
      fused.forEach((w, i) => {
        if (profile === 'emulation') expect(w, `array ${i}`).toEqual(separate[i]);
        // gpu profile: the SDDMM's warp sums a bias in another order than rowSums does.
        else w.forEach((v, k) => expect(Math.abs(v - separate[i]![k]!), `array ${i}[${k}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
      });
      if (profile === 'emulation') expect(losses[0]).toEqual(losses[1]);
    }, 300_000);
  }
});
