/**
 * The autoencoder's loss (kernels/mse.ts), in the QuickSelection authors'
 * form: per sample mean_f (y − t)², and with `gradient` y − t in place. On
 * WebGPU against the CPU twin and a float64 loop written here from that
 * definition. The deltas are one f32 subtraction: equal bit for bit on all
 * three (the float64 difference of two f32 values rounded once to f32). The
 * per-sample losses: within (features + 3) · 2⁻²³ (relative) of float64 (a GPU may
 * fuse d·d + sum). Shapes straddle a workgroup, batch 1, one feature; the
 * tail past 2·batch of perSample and past the matrix must stay untouched.
 * accumulateMetrics folds the per-sample losses into numpy's mean over every element.
 */
import { describe, expect, test } from 'vitest';
import { mseLoss } from '../kernels/mse.js';
import { programs } from '../kernels/programs.js';
import { accumulateMetrics } from '../kernels/softmax-ce.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { expectSentinelTail, randomValues, SENTINEL, SLACK } from './helpers/kernel-values.js';

const gpu = await gpuEngine();
const ctx = gpu.gpuContextForLayers()!;
const { THREADS } = programs.mse.layout.consts;

function withTail(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length + SLACK).fill(SENTINEL);
  out.set(values);
  return out;
}

/** Per sample: mean over features of (y − t)², in float64. */
function referenceLoss(features: number, batch: number, Y: Float32Array, T: Float32Array): Float64Array {
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let f = 0; f < features; f++) sum += (Y[f * batch + b]! - T[f * batch + b]!) ** 2;
    out[b] = sum / features;
  }
  return out;
}

async function runGpu(features: number, batch: number, Y: Float32Array, T: Float32Array, gradient: boolean) {
  return ctx.run('test mse', (s) => {
    const output = s.upload('Y', withTail(Y));
    const perSample = s.upload('perSample', withTail(new Float32Array(2 * batch)));
    mseLoss.encode(s, features, batch, output, s.upload('T', T), perSample, gradient);
    const bytes = (Y.length + SLACK) * 4;
    const both = s.output('read-back', bytes + (2 * batch + SLACK) * 4);
    s.copy(output, both, bytes);
    s.copy(perSample, both, (2 * batch + SLACK) * 4, bytes);
    return {
      result: both,
      byteLength: bytes + (2 * batch + SLACK) * 4,
      decode: (b) => ({ Y: new Float32Array(b, 0, Y.length + SLACK), perSample: new Float32Array(b, bytes) }),
    };
  });
}

describe(`MSE loss on WebGPU (${adapterName(gpu)}) vs CPU twin vs float64 loop`, () => {
  const shapes: Array<[features: number, batch: number]> = [
    [1, 1],
    [784, 1],
    [5, THREADS + 1],
    [784, 100],
    [33, 2 * THREADS + 3],
  ];
  for (const [features, batch] of shapes) {
    for (const gradient of [true, false]) {
      test(`${features} features × batch ${batch}, ${gradient ? 'with' : 'without'} the gradient`, async () => {
        const Y = randomValues(features * batch, features + batch);
        const T = randomValues(features * batch, features * 7 + batch, -1, 4);
        const expectedLoss = referenceLoss(features, batch, Y, T);
        const expectedY = gradient ? Float32Array.from(Y, (y, i) => y - T[i]!) : Y;

        const cpuY = Float32Array.from(Y);
        const cpuPerSample = new Float32Array(2 * batch);
        const { loss, correct } = mseLoss.cpu(features, batch, cpuY, T, gradient, cpuPerSample);
        const got = await runGpu(features, batch, Y, T, gradient);
        expectSentinelTail(got.Y, Y.length, 'mse output');
        expectSentinelTail(got.perSample, 2 * batch, 'mse perSample');

        expect(Array.from(cpuY)).toEqual(Array.from(expectedY));
        expect(Array.from(got.Y.subarray(0, Y.length))).toEqual(Array.from(expectedY));
        expect(correct).toBe(0);
        expect(Array.from(got.perSample.subarray(batch, 2 * batch))).toEqual(new Array(batch).fill(0));
        // The subtraction, the square and the division round too: three more roundings.
        const tol = (features + 3) * 2 ** -23;
        let sum = 0;
        for (let b = 0; b < batch; b++) {
          const e = expectedLoss[b]!;
          for (const [side, v] of [['cpu', cpuPerSample[b]!], ['gpu', got.perSample[b]!]] as const) {
            if (!(Math.abs(v - e) <= tol * e)) throw new Error(`${side} sample ${b}: ${v} vs float64 ${e}`);
          }
          sum += e;
        }
        expect(Math.abs(loss - sum)).toBeLessThanOrEqual(tol * sum);
      });
    }
  }

  test('accumulateMetrics turns the per-sample losses into the mean over every element', async () => {
    const features = 50;
    const batches = [100, 37];
    const metrics = new Float32Array(3);
    let all = 0;
    let elements = 0;
    for (const [i, batch] of batches.entries()) {
      const Y = randomValues(features * batch, 90 + i);
      const T = randomValues(features * batch, 190 + i);
      const perSample = new Float32Array(2 * batch);
      mseLoss.cpu(features, batch, Float32Array.from(Y), T, true, perSample);
      accumulateMetrics.cpu(batch, perSample, metrics);
      for (let j = 0; j < Y.length; j++) all += (Y[j]! - T[j]!) ** 2;
      elements += Y.length;
    }
    expect(Math.abs(metrics[0]! - all / elements)).toBeLessThanOrEqual(1e-5 * (all / elements));
    expect(metrics[1]).toBe(0);
  });
});
