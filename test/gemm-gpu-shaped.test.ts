/**
 * The gpu profile's GEMM (shaders/gemm.wgsl: tileGpu, reduceSplits; issue 13
 * item 2): the split-K decision gemmGrid on its own, the entry points each
 * profile records, and — with kernels: 'gpu' forced on SwiftShader — the
 * product against the CPU twin and a naive float64 loop for all four
 * transpositions, alpha, sizes off the 128 × 64 tile, 1 × 1, k = 1, batch 1,
 * shapes with and without split-K (tolerance KERNEL_TOL: split-K adds the
 * splits' partial sums, not the CPU's order), and a DenseLinear fit whose
 * forward GEMM splits K.
 */
import { describe, expect, test } from 'vitest';
import { gemm, gemmGrid, GEMM_MIN_SPLIT_STEPS, GEMM_TARGET_WORKGROUPS } from '../kernels/gemm.js';
import { programs } from '../kernels/programs.js';
import { createEngine, DenseLinear, DenseMatrix, relu, Sequential, sgd, softmax, subset, syntheticClassification, type Engine, type History } from '../src/index.js';
import { GpuContext, OperationScope } from '../src/gpu/gpu-context.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectClose, KERNEL_TOL as TOL } from './helpers/reference.js';

const { GPU_TM, GPU_TN, GPU_TK } = programs.gemmGpuNN.layout.consts;

describe('gemmGrid: the split-K decision, a pure function of the shape', () => {
  test('the 4096 × 4096 layer at batch 64 and 128 splits K to reach two workgroups per SM of a 132-SM GPU; 4096³ and the weight gradient do not split', () => {
    expect(GEMM_TARGET_WORKGROUPS).toBe(264);
    // W · X: 32 tiles of 128 rows × 1 tile of 64 columns; 256 k-steps.
    expect(gemmGrid({ m: 4096, n: 64, k: 4096 })).toEqual({ tilesM: 32, tilesN: 1, splits: 9, kChunk: 464, workgroups: 288 });
    expect(gemmGrid({ m: 4096, n: 128, k: 4096 })).toEqual({ tilesM: 32, tilesN: 2, splits: 5, kChunk: 832, workgroups: 320 });
    expect(gemmGrid({ m: 4096, n: 4096, k: 4096 })).toEqual({ tilesM: 32, tilesN: 64, splits: 1, kChunk: 4096, workgroups: 2048 });
    // dW = dY · Xᵀ: k is the batch.
    expect(gemmGrid({ m: 4096, n: 4096, k: 64 }).splits).toBe(1);
  });

  test('splits only as far as whole k-steps of GEMM_MIN_SPLIT_STEPS allow, never an empty split, and the target is a parameter', () => {
    expect(GEMM_MIN_SPLIT_STEPS).toBe(8);
    // One tile, 4 k-steps: too short to split.
    expect(gemmGrid({ m: 64, n: 64, k: 64 }).splits).toBe(1);
    expect(gemmGrid({ m: 1, n: 1, k: 1 })).toEqual({ tilesM: 1, tilesN: 1, splits: 1, kChunk: 16, workgroups: 1 });
    // 19 steps: two splits of 10 steps (160 terms), the second 140 terms.
    expect(gemmGrid({ m: 70, n: 33, k: 300 })).toEqual({ tilesM: 1, tilesN: 1, splits: 2, kChunk: 160, workgroups: 2 });
    // 63 steps → 7 splits of 9 steps; the last takes 1000 − 6 · 144 = 136 terms.
    expect(gemmGrid({ m: 5, n: 3, k: 1000 })).toMatchObject({ splits: 7, kChunk: 144 });
    // 13 tiles want 21 splits, 161 steps allow 20, whose chunks round up to 9 steps: 18 splits cover K, the other 2 would be empty.
    expect(gemmGrid({ m: 13 * 128, n: 64, k: 161 * 16 })).toEqual({ tilesM: 13, tilesN: 1, splits: 18, kChunk: 144, workgroups: 234 });
    for (const [m, n, k] of [[4096, 64, 4096], [200, 70, 520], [1, 1, 100000], [3000, 100, 777], [128, 64, 1040], [4096, 1, 4096]] as const) {
      const g = gemmGrid({ m, n, k });
      const at = `${m}×${n}×${k}`;
      expect(g.kChunk % GPU_TK, at).toBe(0);
      expect((g.splits - 1) * g.kChunk, at).toBeLessThan(k);
      expect(g.splits * g.kChunk, at).toBeGreaterThanOrEqual(k);
      expect(g.splits, at).toBeLessThanOrEqual(Math.max(1, Math.floor(Math.ceil(k / GPU_TK) / GEMM_MIN_SPLIT_STEPS)));
      expect(g.workgroups, at).toBe(Math.ceil(m / GPU_TM) * Math.ceil(n / GPU_TN) * g.splits);
      // Reaching the target needs no more than one extra split's worth of workgroups.
      expect(g.workgroups, at).toBeLessThan(GEMM_TARGET_WORKGROUPS + Math.ceil(m / GPU_TM) * Math.ceil(n / GPU_TN));
    }
    expect(gemmGrid({ m: 4096, n: 64, k: 4096 }, 32).splits).toBe(1);
    expect(gemmGrid({ m: 4096, n: 64, k: 4096 }, 64).splits).toBe(2);
  });
});

const gpu: Engine = await createEngine({ backend: 'webgpu', kernels: 'gpu' });
const cpu = await cpuEngine();

describe("the entry points each kernel profile records", () => {
  test("gpu: tileGpu, and reduceSplits after it when K is split; emulation: today's main", async () => {
    const device = (await gpuEngine()).device!;
    const labels = (profile: 'emulation' | 'gpu', dims: { m: number; n: number; k: number }, transA: boolean, transB: boolean): string[] => {
      const s = new OperationScope(new GpuContext(device, false, undefined, undefined, profile));
      const b = s.output('b', 64);
      gemm.encode(s, dims, { transA, transB }, b, b, b);
      const keys = s.dispatches.map((d) => ('pipeline' in d ? d.pipeline.label : 'copy'));
      s.release();
      return keys;
    };
    const split = { m: 70, n: 33, k: 300 };
    const whole = { m: 300, n: 70, k: 33 };
    expect(labels('gpu', split, false, false)).toEqual(['gemm:gpu:nn', 'gemm:reduceSplits']);
    expect(labels('gpu', split, true, true)).toEqual(['gemm:gpu:tt', 'gemm:reduceSplits']);
    expect(labels('gpu', whole, false, true)).toEqual(['gemm:gpu:nt']);
    expect(labels('gpu', whole, true, false)).toEqual(['gemm:gpu:tn']);
    expect(labels('emulation', split, false, false)).toEqual(['gemm:nn']);
    expect(labels('emulation', whole, true, false)).toEqual(['gemm:tn']);
    expect(labels('gpu', { m: 4, n: 4, k: 0 }, false, false)).toEqual([]);
  });
});

/** C = alpha · op(A) · op(B) in float64, and Σ|terms| per output (the tolerance's scale). */
function naiveGemm(A: DenseMatrix, B: DenseMatrix, transA: boolean, transB: boolean, alpha: number): { c: Float64Array; scale: Float64Array } {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const n = transB ? B.rows : B.cols;
  const c = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = alpha * (transA ? A.get(p, i) : A.get(i, p)) * (transB ? B.get(j, p) : B.get(p, j));
        sum += t;
        abs += Math.abs(t);
      }
      c[i * n + j] = sum;
      scale[i * n + j] = abs;
    }
  }
  return { c, scale };
}

// [m, k, n, alpha, splits by gemmGrid]: n is the batch of a layer's product.
const shapes: Array<[m: number, k: number, n: number, alpha: number, splits: number]> = [
  [1, 1, 1, 1, 1],
  [37, 1, 20, 1, 1], // k = 1
  [130, 50, 1, -2.5, 1], // batch 1, two row tiles
  [129, 33, 65, 0.75, 1], // one past the 128 × 64 tile each way, k off the 16-step
  [64, 64, 64, 1, 1], // inside one tile
  [200, 140, 130, 1, 1], // several tiles, no split (9 steps)
  [70, 300, 33, 1, 2], // split-K, the second split shorter
  [5, 1000, 3, -0.5, 7], // split-K, 7 splits, the last 136 terms
  [200, 520, 70, 1 / 64, 4], // split-K over 2 × 2 tiles
];

describe("'gpu' profile forced on SwiftShader: tileGpu (+ reduceSplits) vs the CPU twin vs a naive float64 loop", () => {
  test('the engine runs the gpu profile', () => {
    expect(gpu.kernelProfile?.profile).toBe('gpu');
  });

  for (const [m, k, n, alpha, splits] of shapes) {
    test(`${m}×${k}·${k}×${n}, alpha ${alpha}, ${splits === 1 ? 'no split' : `split-K ${splits}`}, all four transpositions`, async () => {
      expect(gemmGrid({ m, n, k }).splits).toBe(splits);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const at = `transA=${transA} transB=${transB}`;
          const A = transA ? DenseMatrix.random(k, m, { seed: 61 }) : DenseMatrix.random(m, k, { seed: 61 });
          const B = transB ? DenseMatrix.random(n, k, { seed: 62 }) : DenseMatrix.random(k, n, { seed: 62 });
          const options = { transA, transB, alpha };
          const [g, c] = await Promise.all([gpu.gemm(A, B, options), cpu.gemm(A, B, options)]);
          expect([g.rows, g.cols], at).toEqual([m, n]);
          const ref = naiveGemm(A, B, transA, transB, alpha);
          expectClose(g.data, ref.c, ref.scale, `gpu vs float64 loop ${at}`, TOL);
          expectClose(c.data, ref.c, ref.scale, `cpu vs float64 loop ${at}`, TOL);
          expectClose(g.data, c.data, ref.scale, `gpu vs cpu ${at}`, TOL);
        }
      }
    });
  }

  test('k = 0 and empty C: zeros or nothing, no dispatch', async () => {
    const z = await gpu.gemm(new DenseMatrix(4, 0), new DenseMatrix(0, 3));
    expect([z.rows, z.cols]).toEqual([4, 3]);
    expect(Array.from(z.data)).toEqual(new Array(12).fill(0));
    const e = await gpu.gemm(new DenseMatrix(0, 5), DenseMatrix.random(5, 3, { seed: 1 }));
    expect([e.rows, e.cols]).toEqual([0, 3]);
  });
});

describe("a DenseLinear fit with the 'gpu' profile forced (its forward GEMM splits K)", () => {
  test("gives the CPU trainer's losses and accuracies", async () => {
    // Forward of the first layer: m = 24 outputs, n = 40 (batch), k = 300 inputs → 2 splits.
    expect(gemmGrid({ m: 24, n: 40, k: 300 }).splits).toBe(2);
    const all = syntheticClassification({ count: 240, features: 300, classes: 3, seed: 5 });
    const train = subset(all, 0, 200);
    const valid = subset(all, 200, 40);
    const layers = () => [new DenseLinear({ in: 300, out: 24, seed: 21 }), relu(), new DenseLinear({ in: 24, out: 3, seed: 22 }), softmax()];
    const options = { epochs: 3, batchSize: 40, seed: 9, validationData: valid, optimizer: sgd({ lr: 0.05 }) };
    const models = [new Sequential(gpu, layers()), new Sequential(cpu, layers())];
    const [hg, hc] = (await Promise.all(models.map((m) => m.fit(train, options)))) as [History, History];
    for (let e = 0; e < 3; e++) {
      for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) {
        const [a, b] = [hg.epochs[e]![key]!, hc.epochs[e]![key]!];
        expect(Math.abs(a - b), `epoch ${e} ${key}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-4 * Math.max(1e-6, Math.abs(b)));
      }
    }
    expect(hg.epochs[2]!.loss).toBeLessThan(hg.epochs[0]!.loss);
    for (const m of models) m.dispose();
  });
});
