/**
 * The activation kernel three ways: on WebGPU (kernels/activation.ts recorded
 * into an OperationScope and run on the engine's context), its CPU twin, and
 * an independent naive loop written here in float64 from the documented
 * semantics:
 *
 *   activate  a = f(z)·mask,  f(z) = z > 0 ? z : alpha·z
 *   derive    g ← g·f'(z)·mask, f'(z) = z > 0 ? 1 : alpha
 *   mask      dropping only while training with rate > 0:
 *             batchSeed = randomU32(seed, stream, step),
 *             keep iff randomUnit(batchSeed, stream, i) ≥ rate (rate as the
 *             f32 the shader's uniform holds), kept values scaled by 1/(1 − rate)
 *
 * Tolerance: one or two float32 products per element (alpha·z, then the f32
 * scale 1/(1 − rate)), so the GPU is within ~2 ulp of the exact value; we
 * allow 4 ulp-ish (5e-7 relative). The mask itself is compared exactly: which
 * elements are zeroed must be identical everywhere.
 *
 * Sigmoid and tanh (the kind uniform's other values) follow below, with
 * their own references and tolerances.
 */
import { describe, expect, test } from 'vitest';
import { activate, derive, type ActivationParams } from '../kernels/activation.js';
import type { GpuContext } from '../src/gpu/gpu-context.js';
import { randomU32, randomUnit } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { expectSentinelTail, randomValues, SENTINEL, SLACK } from './helpers/kernel-values.js';

const gpu = await gpuEngine();
const ctx: GpuContext = gpu.gpuContextForLayers()!;

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

// --- GPU drivers ---

async function activateGpu(Z: Float32Array, p: ActivationParams, training: boolean, step: number): Promise<Float32Array> {
  const count = Z.length;
  const out = await ctx.run('test activate', (s) => {
    const z = s.upload('Z', Z);
    const a = s.upload('A', new Float32Array(count + SLACK).fill(SENTINEL));
    const stepBuffer = s.upload('step', Uint32Array.of(step));
    activate.encode(s, count, p, training, z, a, stepBuffer);
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
    derive.encode(s, count, p, z, buffer, stepBuffer);
    return { result: buffer, byteLength: (count + SLACK) * 4, decode: (b) => new Float32Array(b) };
  });
  expectSentinelTail(out, count, 'derive');
  return out.subarray(0, count);
}

describe(`activation kernel (leaky ReLU + inverted dropout) on WebGPU (${adapterName(gpu)}) vs CPU twin vs naive loop`, () => {
  const alphas = [0, 1, -0.6, 0.6];
  const rates = [0, 0.3, 0.9];
  const counts = [1, 255, 257, 1000];
  for (const alpha of alphas) {
    for (const rate of rates) {
      test(`activate + derive: alpha ${alpha}, rate ${rate}, counts ${counts.join('/')}`, async () => {
        for (const count of counts) {
          const p: ActivationParams = { nonlinearity: 'leaky', alpha, rate, seed: 1234 + count, stream: 2 };
          const step = 17;
          const Z = randomValues(count, count);
          const G = randomValues(count, count + 1, -1, 1);
          const label = `count ${count}`;

          // Training: dropout on (when rate > 0).
          const ref = naiveActivate(Z, p, true, step);
          const aGpu = await activateGpu(Z, p, true, step);
          const aCpu = new Float32Array(count);
          activate.cpu(Z, aCpu, p, true, step);
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
          activate.cpu(Z, eCpu, p, false, step);
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
          derive.cpu(Z, dCpu, p, step);
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
      const p: ActivationParams = { nonlinearity: 'leaky', alpha: 0, rate, seed: 99, stream: 1 };
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

// --- sigmoid and tanh ---
//
// Independent float64 references: σ(z) = 1/(1 + e^−z), Math.tanh, and the
// derivatives through cosh, σ'(z) = 1/(4·cosh²(z/2)), tanh'(z) = 1/cosh²(z),
// which hold their precision for every z (y(1 − y) in float64 would not
// once y is within 1e-9 of 1).
//
// Tolerance, relative, plus 2^-123 absolute: a GPU may flush subnormals to
// zero, a result such as σ(−100) ≈ 3.7e-44 or the t = e^−88 inside
// tanh'(44) = 4t/(1 + t)² ≈ 1.2e-38, which then comes out 0.
//   CPU twin vs float64: 4 ulp (2^-23 each). Math.exp is within an ulp of
//     float64 before its rounding to f32; then two or three f32 roundings.
//   GPU vs float64 and vs the CPU twin: (8 + 4|z|) ulp. WGSL only promises
//     exp to 3 + 2|x| ulp (tanh calls it at x = 2|z|): GPUs compute exp as
//     exp2(x·log2 e), and the rounding of that product grows with |x|. The
//     rest (divisions, the polynomial, FMA contraction the compiler may do)
//     stays within 4 ulp. Where |z| is large the value is saturated (0, ±1)
//     or subnormal, and the bound is loose but harmless.

const ULP = 2 ** -23;
const FLUSHED = 2 ** -123;
const smooth = ['sigmoid', 'tanh'] as const;

function smoothRef(kind: (typeof smooth)[number], z: number): { f: number; fPrime: number } {
  if (kind === 'sigmoid') return { f: 1 / (1 + Math.exp(-z)), fPrime: 1 / (4 * Math.cosh(z / 2) ** 2) };
  return { f: Math.tanh(z), fPrime: 1 / Math.cosh(z) ** 2 };
}

/** Edge values: zeros, subnormal-small, the tanh polynomial's edge (0.625), saturation, exp's underflow, float32's extremes. */
const EDGES = [0, -0, 1e-20, -1e-20, 1e-7, 0.1, 0.5, 0.6249999, 0.625, 0.6250001, 1, 2, 5, 9, 10, 17, 20, 30, 44, 50, 87, 88, 89, 100, 104, 1e4, 3.4e38];
const edgeValues = Float32Array.from(EDGES.flatMap((v) => [v, -v]));

function withEdges(count: number, seed: number): Float32Array {
  const z = randomValues(count, seed, -12, 12);
  z.set(edgeValues.subarray(0, Math.min(count, edgeValues.length)));
  return z;
}

function expectWithin(actual: Float32Array, expected: ArrayLike<number>, Z: Float32Array, ulps: (z: number) => number, label: string, worst: Worst): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a)) throw new Error(`${label}: element ${i} (z = ${Z[i]}) is ${a}`);
    const d = Math.abs(a - e);
    const tol = ulps(Z[i]!) * ULP * Math.abs(e) + FLUSHED;
    if (!(d <= tol)) throw new Error(`${label}: element ${i} (z = ${Z[i]}) is ${a}, expected ${e} (|diff| ${d} > tol ${tol})`);
    if (Math.abs(e) > FLUSHED * 2 ** 24) {
      const u = d / (ULP * Math.abs(e));
      if (u > worst.ulps) Object.assign(worst, { ulps: u, z: Z[i]!, label });
    }
  }
}

interface Worst {
  ulps: number;
  z?: number;
  label?: string;
}
const cpuUlps = () => 4;
const gpuUlps = (z: number) => 8 + 4 * Math.abs(z);

describe(`sigmoid and tanh on WebGPU (${adapterName(gpu)}) vs CPU twin vs float64`, () => {
  const worst: Record<'cpu' | 'gpu' | 'gpuCpu', Worst> = { cpu: { ulps: 0 }, gpu: { ulps: 0 }, gpuCpu: { ulps: 0 } };
  for (const nonlinearity of smooth) {
    for (const rate of [0, 0.3]) {
      test(`${nonlinearity}, rate ${rate}: activate + derive, counts 0/1/255/257/1000 with edge values`, async () => {
        for (const count of [0, 1, 255, 257, 1000]) {
          const p: ActivationParams = { nonlinearity, alpha: 0.6, rate, seed: 77 + count, stream: 3 };
          const step = 5;
          const Z = withEdges(count, count + 11);
          const G = randomValues(count, count + 12, -1, 1);
          const label = `${nonlinearity} count ${count}`;
          const { keep, scale } = naiveKeep(count, p, true, step);
          const refA = Float64Array.from(Z, (z, i) => (keep[i] ? smoothRef(nonlinearity, z).f * scale : 0));
          const refD = Float64Array.from(G, (g, i) => (keep[i] ? g * smoothRef(nonlinearity, Z[i]!).fPrime * scale : 0));

          for (const training of [true, false]) {
            const ref = training ? refA : Float64Array.from(Z, (z) => smoothRef(nonlinearity, z).f);
            const aGpu = await activateGpu(Z, p, training, step);
            const aCpu = new Float32Array(count);
            activate.cpu(Z, aCpu, p, training, step);
            const mode = training ? 'training' : 'inference';
            expectWithin(aCpu, ref, Z, cpuUlps, `${label} cpu activate (${mode}) vs float64`, worst.cpu);
            expectWithin(aGpu, ref, Z, gpuUlps, `${label} gpu activate (${mode}) vs float64`, worst.gpu);
            expectWithin(aGpu, aCpu, Z, gpuUlps, `${label} gpu activate (${mode}) vs cpu`, worst.gpuCpu);
            // The mask is the same everywhere: dropped exactly where the reference drops.
            for (let i = 0; i < count; i++) {
              if (ref[i] === 0 && !(Z[i] === 0 && nonlinearity === 'tanh')) {
                expect(aGpu[i] === 0, `${label}: gpu dropped ${i}`).toBe(true);
                expect(aCpu[i] === 0, `${label}: cpu dropped ${i}`).toBe(true);
              }
            }
          }

          const dGpu = await deriveGpu(Z, G, p, step);
          const dCpu = Float32Array.from(G);
          derive.cpu(Z, dCpu, p, step);
          expectWithin(dCpu, refD, Z, cpuUlps, `${label} cpu derive vs float64`, worst.cpu);
          expectWithin(dGpu, refD, Z, gpuUlps, `${label} gpu derive vs float64`, worst.gpu);
          expectWithin(dGpu, dCpu, Z, gpuUlps, `${label} gpu derive vs cpu`, worst.gpuCpu);
        }
      });
    }
  }

  test('saturation and z = 0: exact values, no NaN, derivatives ≥ 0', async () => {
    const Z = Float32Array.from([0, 20, -20, 50, -50, 100, -100, 1e4, -1e4, 3.4e38, -3.4e38]);
    const ones = new Float32Array(Z.length).fill(1);
    for (const nonlinearity of smooth) {
      const p: ActivationParams = { nonlinearity, alpha: 0, rate: 0, seed: 1, stream: 0 };
      const cpuA = new Float32Array(Z.length);
      activate.cpu(Z, cpuA, p, false, 0);
      const cpuD = Float32Array.from(ones);
      derive.cpu(Z, cpuD, p, 0);
      const gpuA = await activateGpu(Z, p, false, 0);
      const gpuD = await deriveGpu(Z, ones, p, 0);
      for (const [where, a, d] of [
        ['cpu', cpuA, cpuD],
        ['gpu', gpuA, gpuD],
      ] as const) {
        const label = `${nonlinearity} ${where}`;
        // f(0) and f'(0): 1/2 and 1/4, 0 and 1, exactly (e^0 = 1 and powers of two).
        expect(a[0], `${label} f(0)`).toBe(nonlinearity === 'sigmoid' ? 0.5 : 0);
        expect(d[0], `${label} f'(0)`).toBe(nonlinearity === 'sigmoid' ? 0.25 : 1);
        for (let i = 1; i < Z.length; i++) {
          const z = Z[i]!;
          expect(Number.isNaN(a[i]!) || Number.isNaN(d[i]!), `${label} z = ${z}: no NaN`).toBe(false);
          // Beyond |z| = 20 the value is 1 (or −1 / 0) to float32: e^−20 < 2^-24.
          const saturated = z > 0 ? 1 : nonlinearity === 'sigmoid' ? 0 : -1;
          if (nonlinearity === 'tanh' || z > 0) expect(a[i], `${label} f(${z})`).toBe(saturated);
          else expect(a[i]! >= 0 && a[i]! < 3e-9, `${label} f(${z}) = ${a[i]} is in [0, 3e-9)`).toBe(true);
          expect(d[i]! >= 0 && d[i]! < 3e-9, `${label} f'(${z}) = ${d[i]} is in [0, 3e-9)`).toBe(true);
        }
      }
    }
  });

  test('worst observed errors (logged)', () => {
    console.log(
      `[activation] max error over normal values: ${Object.entries(worst)
        .map(([k, w]) => `${k} ${w.ulps.toFixed(2)} ulp (${w.label}, z = ${w.z})`)
        .join('; ')}`,
    );
    expect(worst.cpu.ulps).toBeGreaterThan(0);
  });
});
