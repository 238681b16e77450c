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
import { createEngine, dropout, relu, Sequential, sgd, softmax, SparseLinear, NMLinear, DenseLinear, syntheticClassification, type Engine, type ModelLayer } from '../src/index.js';
import { trainStepRecording } from '../src/model/gpu-trainer.js';
import { countTrainStep, modelTrainSteps } from '../bench/model/train-step.js';
import { gpuEngine } from './helpers/engines.js';

const emulation = await gpuEngine();
const forcedGpu: Engine = await createEngine({ backend: 'webgpu', kernels: 'gpu' });

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
  test('reference MLP, batch 128: the train-step rows of the model (both profiles, fused and separate)', async () => {
    const rows = await modelTrainSteps(emulation.device!);
    for (const r of rows) console.log(`[train step] reference MLP ${r.profile} ${r.fused ? 'fused' : 'separate'}: ${r.dispatches} dispatches, workgroups ${r.workgroups.join(' ')}`);
    expect(rows.map((r) => [r.profile, r.fused, r.dispatches])).toEqual([
      // Fused: 4 forward + softmax/metrics + 3 backward gathers + 4 gradient steps. Separate passes: 35.
      ['emulation', true, 12],
      ['emulation', false, 35],
      ['gpu', true, 12],
      ['gpu', false, 35],
    ]);
    for (const r of rows.filter((x) => x.fused)) expect(r.dispatches).toBeLessThanOrEqual(15);
    // Only softmax/metrics and the 10-row output layer's forward stay under 8 workgroups.
    for (const r of rows.filter((x) => x.fused)) expect(r.smallDispatches).toBeLessThanOrEqual(2);
  }, 600_000);

  for (const [profile, engine] of [
    ['emulation', emulation],
    ['gpu', forcedGpu],
  ] as const) {
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
