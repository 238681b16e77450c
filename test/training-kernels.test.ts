/**
 * The training kernels three ways: on WebGPU (kernels/activation.ts,
 * kernels/softmax-ce.ts recorded into an OperationScope and run on the
 * engine's context), their CPU twins, and independent naive loops written
 * here in float64 from the documented semantics:
 *
 *   activate  a = f(z)·mask,  f(z) = z > 0 ? z : alpha·z
 *   derive    g ← g·f'(z)·mask, f'(z) = z > 0 ? 1 : alpha
 *   mask      dropping only while training with rate > 0:
 *             batchSeed = randomU32(seed, stream, step),
 *             keep iff randomUnit(batchSeed, stream, i) ≥ rate (rate as the
 *             f32 the shader's uniform holds), kept values scaled by 1/(1 − rate)
 *   softmax   loss = logsumexp(z) − z[label], p = exp(z − logsumexp(z)),
 *             gradient p − onehot(label), correct iff the first argmax is the label
 *   metrics   += (Σ loss, Σ correct, batch)
 *
 * Tolerances (and why):
 *  - Activation: one or two float32 products per element (alpha·z, then the
 *    f32 scale 1/(1 − rate)), so the GPU is within ~2 ulp of the exact
 *    value; we allow 4 ulp-ish (5e-7 relative). The mask itself is compared
 *    exactly: which elements are zeroed must be identical everywhere.
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
import { activateCpu, deriveCpu, encodeActivate, encodeDerive, type ActivationParams } from '../kernels/activation.js';
import { encodeAccumulateMetrics, encodeSoftmaxCrossEntropy, softmaxCrossEntropyCpu } from '../kernels/softmax-ce.js';
import { BufferOwner, OperationScope, type GpuContext } from '../src/gpu/gpu-context.js';
import { RandomStream, randomU32, randomUnit } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { expectClose } from './helpers/reference.js';

const gpu = await gpuEngine();
const ctx: GpuContext = gpu.gpuContextForLayers()!;

/** A value that a kernel must never write (past `count`). */
const SENTINEL = 12345.5;
/** Elements beyond count, to catch a missing bounds guard in the last workgroup. */
const SLACK = 300;

function randomValues(count: number, seed: number, lo = -3, hi = 3): Float32Array {
  const r = new RandomStream(seed, 7);
  const z = Float32Array.from({ length: count }, () => r.uniform(lo, hi));
  // Exact zeros (f(0) = 0, f'(0) = alpha) and tiny values on both sides of zero.
  if (count > 3) {
    z[0] = 0;
    z[1] = -1e-20;
    z[2] = 1e-20;
  }
  return z;
}

// --- naive references (float64, written from the shader's documentation) ---

function naiveKeep(count: number, p: ActivationParams, dropping: boolean, step: number): { keep: boolean[]; scale: number } {
  if (!dropping || p.rate <= 0) return { keep: new Array<boolean>(count).fill(true), scale: 1 };
  const batchSeed = randomU32(p.seed, p.stream, step);
  const rate32 = Math.fround(p.rate); // the shader compares against its f32 uniform
  const keep = Array.from({ length: count }, (_, i) => randomUnit(batchSeed, p.stream, i) >= rate32);
  return { keep, scale: 1 / (1 - p.rate) };
}

function naiveActivate(Z: Float32Array, p: ActivationParams, training: boolean, step: number): Float64Array {
  const alpha = Math.fround(p.alpha);
  const { keep, scale } = naiveKeep(Z.length, p, training, step);
  return Float64Array.from(Z, (z, i) => (keep[i] ? (z > 0 ? z : alpha * z) * scale : 0));
}

function naiveDerive(Z: Float32Array, G: Float32Array, p: ActivationParams, step: number): Float64Array {
  const alpha = Math.fround(p.alpha);
  const { keep, scale } = naiveKeep(Z.length, p, true, step);
  return Float64Array.from(G, (g, i) => (keep[i] ? g * (Z[i]! > 0 ? 1 : alpha) * scale : 0));
}

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

// --- GPU drivers ---

async function activateGpu(Z: Float32Array, p: ActivationParams, training: boolean, step: number): Promise<Float32Array> {
  const count = Z.length;
  const out = await ctx.run('test activate', (s) => {
    const z = s.upload('Z', Z);
    const a = s.upload('A', new Float32Array(count + SLACK).fill(SENTINEL));
    const stepBuffer = s.upload('step', Uint32Array.of(step));
    encodeActivate(s, count, p, training, z, a, stepBuffer);
    return { result: a, byteLength: (count + SLACK) * 4, decode: (b) => new Float32Array(b) };
  });
  expectSentinelTail(out, count, 'activate');
  return out.subarray(0, count);
}

async function deriveGpu(Z: Float32Array, G: Float32Array, p: ActivationParams, step: number): Promise<Float32Array> {
  const count = Z.length;
  const g = new Float32Array(count + SLACK).fill(SENTINEL);
  g.set(G);
  const out = await ctx.run('test derive', (s) => {
    const z = s.upload('Z', Z);
    const buffer = s.upload('G', g);
    const stepBuffer = s.upload('step', Uint32Array.of(step));
    encodeDerive(s, count, p, z, buffer, stepBuffer);
    return { result: buffer, byteLength: (count + SLACK) * 4, decode: (b) => new Float32Array(b) };
  });
  expectSentinelTail(out, count, 'derive');
  return out.subarray(0, count);
}

function expectSentinelTail(out: Float32Array, count: number, label: string): void {
  for (let i = count; i < out.length; i++) {
    if (out[i] !== SENTINEL) throw new Error(`${label}: element ${i} past count ${count} was written (${out[i]})`);
  }
}

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
    encodeSoftmaxCrossEntropy(s, classes, batch, z, l, perSample, gradient);
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

describe(`activation kernel (leaky ReLU + inverted dropout) on WebGPU (${adapterName(gpu)}) vs CPU twin vs naive loop`, () => {
  const alphas = [0, 1, -0.6, 0.6];
  const rates = [0, 0.3, 0.9];
  const counts = [1, 255, 257, 1000];
  for (const alpha of alphas) {
    for (const rate of rates) {
      test(`activate + derive: alpha ${alpha}, rate ${rate}, counts ${counts.join('/')}`, async () => {
        for (const count of counts) {
          const p: ActivationParams = { alpha, rate, seed: 1234 + count, stream: 2 };
          const step = 17;
          const Z = randomValues(count, count);
          const G = randomValues(count, count + 1, -1, 1);
          const label = `count ${count}`;

          // Training: dropout on (when rate > 0).
          const ref = naiveActivate(Z, p, true, step);
          const aGpu = await activateGpu(Z, p, true, step);
          const aCpu = new Float32Array(count);
          activateCpu(Z, aCpu, p, true, step);
          // Which elements are zeroed must agree exactly; values within 5e-7 relative.
          for (let i = 0; i < count; i++) {
            expect(aGpu[i] === 0, `${label}: gpu zero pattern at ${i}`).toBe(ref[i] === 0);
            expect(aCpu[i] === 0, `${label}: cpu zero pattern at ${i}`).toBe(ref[i] === 0);
          }
          expectRelClose(aGpu, ref, 5e-7, `${label} gpu activate vs naive`);
          expectRelClose(aCpu, ref, 5e-7, `${label} cpu activate vs naive`);

          // Inference: no dropout at all, exactly f(z).
          const refEval = naiveActivate(Z, p, false, step);
          const eGpu = await activateGpu(Z, p, false, step);
          const eCpu = new Float32Array(count);
          activateCpu(Z, eCpu, p, false, step);
          expectRelClose(eGpu, refEval, 5e-7, `${label} gpu activate (inference) vs naive`);
          expectRelClose(eCpu, refEval, 5e-7, `${label} cpu activate (inference) vs naive`);
          for (let i = 0; i < count; i++) {
            const f = Z[i]! > 0 ? Z[i]! : Math.fround(alpha) * Z[i]!;
            expect(eGpu[i], `${label}: inference value ${i} is f(z)`).toBe(Math.fround(f));
          }

          // Derive: the forward's mask (same seed, stream, step), f'(z) = 1 or alpha.
          const dRef = naiveDerive(Z, G, p, step);
          const dGpu = await deriveGpu(Z, G, p, step);
          const dCpu = Float32Array.from(G);
          deriveCpu(Z, dCpu, p, step);
          expectRelClose(dGpu, dRef, 5e-7, `${label} gpu derive vs naive`);
          expectRelClose(dCpu, dRef, 5e-7, `${label} cpu derive vs naive`);
          // Every activation dropout zeroed gets a zero gradient, and every kept one a nonzero gradient (G ≠ 0, f' ≠ 0).
          for (let i = 0; i < count; i++) {
            const droppedForward = aGpu[i] === 0 && Z[i] !== 0 && alpha !== 0 && Math.abs(Z[i]!) > 1e-10;
            if (droppedForward) expect(dGpu[i] === 0, `${label}: dropped activation ${i} has zero gradient (${dGpu[i]})`).toBe(true);
            if (aGpu[i] !== 0 && G[i] !== 0) expect(dGpu[i], `${label}: kept activation ${i} has a gradient`).not.toBe(0);
          }
        }
      });
    }
  }

  test('observed keep fraction ≈ 1 − rate (binomial bound), masks differ between steps, streams and seeds', async () => {
    const count = 100_003;
    const ones = new Float32Array(count).fill(1);
    for (const rate of [0.3, 0.9]) {
      const p: ActivationParams = { alpha: 0, rate, seed: 99, stream: 1 };
      const a = await activateGpu(ones, p, true, 5);
      const scale = Math.fround(1 / (1 - rate));
      let kept = 0;
      for (const v of a) {
        expect(v === 0 || v === scale).toBe(true);
        if (v !== 0) kept++;
      }
      // Kept ~ Binomial(n, 1 − rate): 6 standard deviations.
      const sd = Math.sqrt(count * rate * (1 - rate));
      expect(Math.abs(kept - count * (1 - rate))).toBeLessThan(6 * sd);
      // Each half on its own too (no position-dependent pattern).
      const half = Math.floor(count / 2);
      const keptFirst = a.subarray(0, half).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
      expect(Math.abs(keptFirst - half * (1 - rate))).toBeLessThan(6 * Math.sqrt(half * rate * (1 - rate)));
      // Inverted dropout keeps the mean: E[a] = 1.
      expect(Math.abs(a.reduce((s, v) => s + v, 0) / count - 1)).toBeLessThan((6 * sd * scale) / count);

      // Other step / stream / seed: a fresh, independent mask (agreement ≈ r² + (1 − r)²).
      for (const other of [
        { ...p, step: 6 },
        { ...p, stream: 2, step: 5 },
        { ...p, seed: 100, step: 5 },
      ]) {
        const b = await activateGpu(ones, other, true, other.step);
        let same = 0;
        for (let i = 0; i < count; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
        const agree = rate * rate + (1 - rate) * (1 - rate);
        const sdAgree = Math.sqrt(count * agree * (1 - agree));
        expect(Math.abs(same - count * agree)).toBeLessThan(6 * sdAgree);
      }
      // Same step: the same mask (that is what derive relies on).
      expect(await activateGpu(ones, p, true, 5)).toEqual(a);
    }
  });
});

function expectRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, label: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    const tol = rel * Math.abs(expected[i]!) + 1e-37;
    if (!(d <= tol)) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d} > tol ${tol})`);
  }
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
        const c = softmaxCrossEntropyCpu(classes, batch, cpuOut, labels, gradient);
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
    expect(softmaxCrossEntropyCpu(classes, batch, cpuOut, undefined, false)).toEqual({ loss: 0, correct: 0 });
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
        const c = softmaxCrossEntropyCpu(classes, batch, cpuOut, labels, gradient);
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
      for (const [k, batch] of batches.entries()) {
        const logits = randomValues(classes * batch, 500 + k, -4, 4);
        // Make some samples right: a strong logit on the label for every third sample.
        const labels = randomLabels(batch, classes, 600 + k);
        for (let b = 0; b < batch; b += 3) logits[labels[b]! * batch + b] = 9;
        const ref = naiveSoftmax(classes, batch, logits, labels, true);
        lossSum += ref.loss.reduce((s, v) => s + v, 0);
        correctSum += ref.correct.reduce((s, v) => s + v, 0);
        samples += batch;
        const c = softmaxCrossEntropyCpu(classes, batch, Float32Array.from(logits), labels, true);
        cpuLoss += c.loss;
        cpuCorrect += c.correct;
        await ctx.run('test metrics batch', (s) => {
          const z = s.upload('logits', logits);
          const l = s.upload('labels', Uint32Array.from(labels));
          const perSample = s.output('perSample', 2 * batch * 4);
          encodeSoftmaxCrossEntropy(s, classes, batch, z, l, perSample, true);
          encodeAccumulateMetrics(s, batch, perSample, metrics);
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
      expect(correctSum - 2).toBeGreaterThan(samples / 4); // the strong logits made some right
      expect(Math.abs(cpuLoss - lossSum)).toBeLessThanOrEqual(1e-6 * lossSum);
      expect(cpuCorrect).toBe(correctSum);
    } finally {
      shared.release();
    }
  });
});
