/**
 * The softmax cross-entropy kernel three ways: on WebGPU
 * (kernels/softmax-ce.ts recorded into an OperationScope and run on the
 * engine's context), its CPU twin, and an independent naive loop written here
 * in float64 from the documented semantics:
 *
 *   softmax   loss = logsumexp(z) − z[label], p = exp(z − logsumexp(z)),
 *             gradient p − onehot(label), correct iff the first argmax is the label
 *   metrics   += (Σ loss, Σ correct, batch)
 *
 * Tolerances (and why):
 *  - Softmax: WGSL exp has an accuracy of 3 + 2|x| ulp and log 2^-21
 *    absolute near 1 (3 ulp elsewhere), so with |z − max| up to ~30 the
 *    loss can be off by a few 1e-6; we allow 2e-5·max(1, |loss|) for losses
 *    and 1e-5 absolute for probabilities/gradients (all in [−1, 1]). For the
 *    extreme ±80 / ±1000 logits the shift z − max itself is exact in f32 and
 *    exp(z − max) underflows to 0 or is exactly 1, so the same bounds hold.
 *  - Metrics: a float32 tree reduction of ≤ 1000 losses: 1e-5 relative on
 *    Σ loss; the correct count and sample count are exact integers in f32.
 */
import { describe, expect, test } from 'vitest';
import { accumulateMetrics, softmaxCrossEntropy } from '../kernels/softmax-ce.js';
import { BufferOwner, type GpuContext } from '../src/gpu/gpu-context.js';
import { RandomStream } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { randomValues, SENTINEL } from './helpers/kernel-values.js';
import { expectClose } from './helpers/reference.js';

const gpu = await gpuEngine();
const ctx: GpuContext = gpu.gpuContextForLayers()!;

// --- naive reference (float64, written from the shader's documentation) ---

interface NaiveSoftmax {
  loss: Float64Array;
  correct: Uint8Array;
  /** p or p − onehot, feature-major like the logits. */
  out: Float64Array;
}

function naiveSoftmax(classes: number, batch: number, logits: Float32Array, labels: ArrayLike<number> | undefined, gradient: boolean): NaiveSoftmax {
  const loss = new Float64Array(batch);
  const correct = new Uint8Array(batch);
  const out = new Float64Array(classes * batch);
  for (let b = 0; b < batch; b++) {
    const z = Array.from({ length: classes }, (_, c) => logits[c * batch + b]!);
    let arg = 0;
    for (let c = 1; c < classes; c++) if (z[c]! > z[arg]!) arg = c;
    const m = z[arg]!;
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    const label = labels ? labels[b]! : -1;
    if (labels) {
      loss[b] = lse - z[label]!;
      correct[b] = arg === label ? 1 : 0;
    }
    for (let c = 0; c < classes; c++) out[c * batch + b] = Math.exp(z[c]! - lse) - (gradient && c === label ? 1 : 0);
  }
  return { loss, correct, out };
}

// --- GPU driver ---

async function softmaxGpu(
  classes: number,
  batch: number,
  logits: Float32Array,
  labels: ArrayLike<number> | undefined,
  gradient: boolean,
): Promise<{ out: Float32Array; loss: Float32Array; correct: Float32Array }> {
  const n = classes * batch;
  const bytes = (n + 2 * batch) * 4;
  const all = await ctx.run('test softmax cross-entropy', (s) => {
    const z = s.upload('logits', logits);
    const l = labels ? s.upload('labels', Uint32Array.from(labels)) : undefined;
    const perSample = s.upload('perSample', new Float32Array(2 * batch).fill(SENTINEL));
    softmaxCrossEntropy.encode(s, classes, batch, z, l, perSample, gradient);
    const result = s.output('result', bytes);
    s.copy(z, result, n * 4);
    s.copy(perSample, result, 2 * batch * 4, n * 4);
    return { result, byteLength: bytes, decode: (b) => new Float32Array(b) };
  });
  return { out: all.subarray(0, n), loss: all.subarray(n, n + batch), correct: all.subarray(n + batch) };
}

function randomLabels(batch: number, classes: number, seed: number): Uint8Array {
  const r = new RandomStream(seed, 9);
  return Uint8Array.from({ length: batch }, () => r.nextInt(classes));
}

function lossScale(expected: ArrayLike<number>): number[] {
  return Array.from(expected, (v) => 2 * Math.max(1, Math.abs(v)));
}

describe(`softmax cross-entropy kernel on WebGPU (${adapterName(gpu)}) vs CPU twin vs naive log-sum-exp`, () => {
  const shapes: Array<[number, number]> = [];
  for (const classes of [1, 2, 10, 13]) for (const batch of [1, 255, 300]) shapes.push([classes, batch]);
  for (const [classes, batch] of shapes) {
    test(`classes ${classes}, batch ${batch}: loss, correctness, gradient and probabilities`, async () => {
      const logits = randomValues(classes * batch, classes * 1000 + batch, -6, 6);
      const labels = randomLabels(batch, classes, batch);
      for (const gradient of [true, false]) {
        const ref = naiveSoftmax(classes, batch, logits, labels, gradient);
        const g = await softmaxGpu(classes, batch, logits, labels, gradient);
        const cpuOut = Float32Array.from(logits);
        const c = softmaxCrossEntropy.cpu(classes, batch, cpuOut, labels, gradient);
        const mode = gradient ? 'gradient' : 'probabilities';
        expectClose(g.out, ref.out, 1, `gpu ${mode} vs naive`, 1e-5);
        expectClose(cpuOut, ref.out, 1, `cpu ${mode} vs naive`, 1e-6);
        expectClose(g.loss, ref.loss, lossScale(ref.loss), 'gpu per-sample loss vs naive', 1e-5);
        expect(Array.from(g.correct)).toEqual(Array.from(ref.correct));
        const lossSum = ref.loss.reduce((s, v) => s + v, 0);
        expect(Math.abs(c.loss - lossSum)).toBeLessThanOrEqual(1e-6 * Math.max(1, lossSum));
        expect(c.correct).toBe(ref.correct.reduce((s, v) => s + v, 0));
        for (let b = 0; b < batch; b++) {
          let sum = 0;
          for (let k = 0; k < classes; k++) sum += g.out[k * batch + b]!;
          // Probabilities sum to 1; the gradient p − onehot sums to 0.
          expect(Math.abs(sum - (gradient ? 0 : 1)), `column ${b} sum`).toBeLessThan(1e-5 * classes);
        }
        if (classes === 1) {
          // One class: p = 1, loss 0, always right, zero gradient.
          expect(Array.from(g.loss).every((v) => v === 0)).toBe(true);
          expect(Array.from(g.correct).every((v) => v === 1)).toBe(true);
        }
      }
    });
  }

  test('without labels (predict): probabilities only, perSample untouched', async () => {
    const classes = 10;
    const batch = 257;
    const logits = randomValues(classes * batch, 31, -6, 6);
    const ref = naiveSoftmax(classes, batch, logits, undefined, false);
    const g = await softmaxGpu(classes, batch, logits, undefined, false);
    expectClose(g.out, ref.out, 1, 'gpu probabilities (no labels)', 1e-5);
    expect(Array.from(g.loss).every((v) => v === SENTINEL)).toBe(true);
    expect(Array.from(g.correct).every((v) => v === SENTINEL)).toBe(true);
    const cpuOut = Float32Array.from(logits);
    expect(softmaxCrossEntropy.cpu(classes, batch, cpuOut, undefined, false)).toEqual({ loss: 0, correct: 0 });
    expectClose(cpuOut, ref.out, 1, 'cpu probabilities (no labels)', 1e-6);
  });

  test('large logits (±80, ±1000) stay finite; ties resolve to the first class on both backends', async () => {
    const classes = 13;
    const batch = 300;
    for (const big of [80, 1000]) {
      const r = new RandomStream(big, 3);
      const logits = Float32Array.from({ length: classes * batch }, () => (r.next() < 0.5 ? -big : big));
      // A few columns all equal (a full tie) and one all −big.
      for (const b of [0, 1, 2]) for (let k = 0; k < classes; k++) logits[k * batch + b] = b === 2 ? -big : big;
      const labels = randomLabels(batch, classes, big);
      labels[0] = 0;
      labels[1] = 5;
      for (const gradient of [true, false]) {
        const ref = naiveSoftmax(classes, batch, logits, labels, gradient);
        const g = await softmaxGpu(classes, batch, logits, labels, gradient);
        const cpuOut = Float32Array.from(logits);
        const c = softmaxCrossEntropy.cpu(classes, batch, cpuOut, labels, gradient);
        expect(Array.from(g.out).every(Number.isFinite)).toBe(true);
        expect(Array.from(g.loss).every(Number.isFinite)).toBe(true);
        expect(Number.isFinite(c.loss)).toBe(true);
        expectClose(g.out, ref.out, 1, `gpu ±${big} vs naive`, 1e-5);
        expectClose(cpuOut, ref.out, 1, `cpu ±${big} vs naive`, 1e-6);
        expectClose(g.loss, ref.loss, lossScale(ref.loss), `gpu loss ±${big} vs naive`, 1e-5);
        expect(Array.from(g.correct)).toEqual(Array.from(ref.correct));
        expect(c.correct).toBe(ref.correct.reduce((s, v) => s + v, 0));
        // Full tie: loss log(classes), argmax class 0.
        expect(g.loss[0]).toBeCloseTo(Math.log(classes), 5);
        expect(g.correct[0]).toBe(1);
        expect(g.correct[1]).toBe(0);
      }
    }
  });

  test('metrics accumulate (mean loss, Σ correct, samples) over several batches of different sizes', async () => {
    const classes = 10;
    const batches = [255, 300, 1, 257, 64];
    const shared = new BufferOwner(ctx);
    try {
      // Accumulates onto what is there: a mean loss of 0.5 over 3 samples (Σ 1.5).
      const metrics = shared.upload('metrics', new Float32Array([0.5, 2, 3]));
      let lossSum = 1.5;
      let correctSum = 2;
      let samples = 3;
      let cpuLoss = 1.5;
      let cpuCorrect = 2;
      // accumulateMetrics' CPU twin, fed the reference's per-sample figures.
      const cpuMetrics = new Float32Array([0.5, 2, 3]);
      for (const [k, batch] of batches.entries()) {
        const logits = randomValues(classes * batch, 500 + k, -4, 4);
        // Make some samples right: a strong logit on the label for every third sample.
        const labels = randomLabels(batch, classes, 600 + k);
        for (let b = 0; b < batch; b += 3) logits[labels[b]! * batch + b] = 9;
        const ref = naiveSoftmax(classes, batch, logits, labels, true);
        lossSum += ref.loss.reduce((s, v) => s + v, 0);
        correctSum += ref.correct.reduce((s, v) => s + v, 0);
        samples += batch;
        accumulateMetrics.cpu(batch, Float32Array.from([...ref.loss, ...ref.correct]), cpuMetrics);
        const c = softmaxCrossEntropy.cpu(classes, batch, Float32Array.from(logits), labels, true);
        cpuLoss += c.loss;
        cpuCorrect += c.correct;
        await ctx.run('test metrics batch', (s) => {
          const z = s.upload('logits', logits);
          const l = s.upload('labels', Uint32Array.from(labels));
          const perSample = s.output('perSample', 2 * batch * 4);
          softmaxCrossEntropy.encode(s, classes, batch, z, l, perSample, true);
          accumulateMetrics.encode(s, batch, perSample, metrics);
          return { result: perSample, byteLength: 0, decode: () => undefined };
        });
      }
      const m = await ctx.run('test metrics read', (s) => {
        const out = s.output('metrics read-back', 12);
        s.copy(metrics, out, 12);
        return { result: out, byteLength: 12, decode: (b) => new Float32Array(b) };
      });
      // The loss is kept as a running mean (so f32 cannot overflow); times the samples it is the sum.
      expect(Math.abs(m[0]! * m[2]! - lossSum)).toBeLessThanOrEqual(1e-5 * lossSum);
      expect(m[1]).toBe(correctSum);
      expect(m[2]).toBe(samples);
      expect(Math.abs(cpuMetrics[0]! - m[0]!)).toBeLessThanOrEqual(1e-5 * m[0]!);
      expect(Array.from(cpuMetrics.subarray(1))).toEqual(Array.from(m.subarray(1)));
      expect(correctSum - 2).toBeGreaterThan(samples / 4); // the strong logits made some right
      expect(Math.abs(cpuLoss - lossSum)).toBeLessThanOrEqual(1e-6 * lossSum);
      expect(cpuCorrect).toBe(correctSum);
    } finally {
      shared.release();
    }
  });
});
