/**
 * The elementwise training steps of kernels/elementwise.ts three ways: on
 * WebGPU (recorded into an OperationScope and run on the engine's context),
 * the CPU twin where there is one (sgdMomentum.cpu), and float64 loops written
 * here from the shader's documentation:
 *
 *   addBias      Y[r, b] += bias[r]
 *   rowSums      out[r] = alpha · Σ_b M[r, b]
 *   sgdMomentum  v ← μ·v − lr·g ;  w ← w + v − wd·w
 *
 * Sizes straddle a workgroup (THREADS) and buffers carry a sentinel tail, so a
 * missing bounds guard in the last workgroup is caught. Tolerances: one f32
 * addition per element for addBias (1e-7 of |y| + |bias|); a sum of `cols`
 * terms for rowSums (KERNEL_TOL of alpha·Σ|M|); a few f32 operations per
 * weight for sgdMomentum (1e-6 of the terms' magnitude; a GPU may fuse a
 * multiply-add where the CPU twin rounds twice).
 */
import { describe, expect, test } from 'vitest';
import { addBias, rowSums, sgdMomentum } from '../kernels/elementwise.js';
import { expectSameBitsWithoutWasm } from './helpers/wasm.js';
import { programs } from '../kernels/programs.js';
import type { GpuContext } from '../src/gpu/gpu-context.js';
import type { SgdOptions } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';
import { expectSentinelTail, randomValues, SENTINEL, SLACK } from './helpers/kernel-values.js';
import { expectClose, KERNEL_TOL } from './helpers/reference.js';

const gpu = await gpuEngine();
const ctx: GpuContext = gpu.gpuContextForLayers()!;
const { THREADS } = programs.addBias.layout.consts;

/** `values` followed by SLACK sentinels. */
function withTail(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length + SLACK).fill(SENTINEL);
  out.set(values);
  return out;
}

/** The first `count` values of a read-back buffer, after checking that nothing past them was written. */
function head(out: Float32Array, count: number, label: string): Float32Array {
  expectSentinelTail(out, count, label);
  return out.subarray(0, count);
}

const shapes: Array<[rows: number, cols: number]> = [
  [1, 1],
  [3, THREADS + 1],
  [THREADS - 1, 2],
  [THREADS + 1, 5],
  [2 * THREADS + 3, 7],
];

describe(`elementwise kernels on WebGPU (${adapterName(gpu)}) vs CPU twin vs float64 loops`, () => {
  for (const [rows, cols] of shapes) {
    test(`addBias ${rows}×${cols}`, async () => {
      const Y = randomValues(rows * cols, rows + cols);
      const bias = randomValues(rows, rows * 7 + 1);
      const out = await ctx.run('test addBias', (s) => {
        const y = s.upload('Y', withTail(Y));
        addBias.encode(s, rows, cols, y, s.upload('bias', bias));
        return { result: y, byteLength: (rows * cols + SLACK) * 4, decode: (b) => new Float32Array(b) };
      });
      const got = head(out, rows * cols, 'addBias');
      // The CPU twin: one f32 addition per element, the same bits.
      const cpu = Float32Array.from(Y);
      addBias.cpu(rows, cols, cpu, bias);
      expect(Array.from(cpu)).toEqual(Array.from(got));
      const expected = Float64Array.from(Y, (y, i) => y + bias[Math.floor(i / cols)]!);
      const scale = Float64Array.from(Y, (y, i) => Math.abs(y) + Math.abs(bias[Math.floor(i / cols)]!));
      expectClose(got, expected, scale, 'gpu addBias vs loop', 1e-7);
    });

    test(`rowSums ${rows}×${cols}`, async () => {
      const M = randomValues(rows * cols, rows * 3 + cols);
      const alpha = 1 / cols;
      const out = await ctx.run('test rowSums', (s) => {
        const sums = s.upload('sums', withTail(new Float32Array(rows)));
        rowSums.encode(s, rows, cols, alpha, s.upload('M', M), sums);
        return { result: sums, byteLength: (rows + SLACK) * 4, decode: (b) => new Float32Array(b) };
      });
      const got = head(out, rows, 'rowSums');
      // The CPU twin sums in the GPU's lane order (column b into lane b mod 4, tails included): the same bits.
      const cpu = new Float32Array(rows);
      rowSums.cpu(rows, cols, alpha, M, cpu);
      expect(Array.from(cpu)).toEqual(Array.from(got));
      const expected = new Float64Array(rows);
      const scale = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < cols; b++) {
          expected[r]! += Math.fround(alpha) * M[r * cols + b]!;
          scale[r]! += Math.fround(alpha) * Math.abs(M[r * cols + b]!);
        }
      }
      expectClose(got, expected, scale, 'gpu rowSums vs loop', KERNEL_TOL);
    });
  }

  // 1027 and 4099: WebAssembly SIMD on the CPU (≥ 1024 weights), with a tail of 3.
  for (const count of [1, THREADS - 1, THREADS + 1, 1000, 1027, 4099]) {
    test(`sgdMomentum, ${count} weights, two steps`, async () => {
      const o: SgdOptions = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };
      const w0 = randomValues(count, count);
      const v0 = randomValues(count, count + 1, -0.1, 0.1);
      const gradients = [randomValues(count, count + 2), randomValues(count, count + 3)];
      // float64 reference of the documented update.
      const wRef = Float64Array.from(w0);
      const vRef = Float64Array.from(v0);
      const scale = new Float64Array(count);
      for (const g of gradients) {
        for (let i = 0; i < count; i++) {
          vRef[i] = o.momentum * vRef[i]! - o.lr * g[i]!;
          wRef[i] = wRef[i]! + vRef[i]! - o.weightDecay * wRef[i]!;
          scale[i] = Math.max(scale[i]!, Math.abs(wRef[i]!) + Math.abs(vRef[i]!) + 1);
        }
      }
      // CPU twin.
      const wCpu = Float32Array.from(w0);
      const vCpu = Float32Array.from(v0);
      for (const g of gradients) sgdMomentum.cpu(wCpu, g, vCpu, o);
      // The JavaScript loop and the WebAssembly SIMD step (from 1024 weights) agree to the bit.
      expectSameBitsWithoutWasm(() => {
        const w = Float32Array.from(w0);
        const v = Float32Array.from(v0);
        for (const g of gradients) sgdMomentum.cpu(w, g, v, o);
        return Float32Array.of(...w, ...v);
      });
      // GPU: both steps recorded on the same resident weights and velocity.
      const out = await ctx.run('test sgdMomentum', (s) => {
        const w = s.upload('weights', withTail(w0));
        const v = s.upload('velocity', withTail(v0));
        for (const [k, g] of gradients.entries()) sgdMomentum.encode(s, count, w, s.upload(`gradient ${k}`, g), v, o);
        const result = s.output('result', 2 * (count + SLACK) * 4);
        s.copy(w, result, (count + SLACK) * 4);
        s.copy(v, result, (count + SLACK) * 4, (count + SLACK) * 4);
        return { result, byteLength: 2 * (count + SLACK) * 4, decode: (b) => new Float32Array(b) };
      });
      const wGpu = head(out.subarray(0, count + SLACK), count, 'sgdMomentum weights');
      const vGpu = head(out.subarray(count + SLACK), count, 'sgdMomentum velocity');
      expectClose(wCpu, wRef, scale, 'cpu weights vs float64', 1e-6);
      expectClose(vCpu, vRef, scale, 'cpu velocity vs float64', 1e-6);
      expectClose(wGpu, wCpu, scale, 'gpu weights vs cpu', 1e-6);
      expectClose(vGpu, vCpu, scale, 'gpu velocity vs cpu', 1e-6);
      // The update moved the weights (a test that cannot fail otherwise would pass on a no-op).
      expect(wGpu.some((w, i) => Math.abs(w - w0[i]!) > 1e-3)).toBe(true);
    });
  }
});
