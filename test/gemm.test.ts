/**
 * The dense tiled GEMM of kernels/gemm.ts and its transposes, three ways: the
 * WebGPU implementation, the CPU implementation and mathjs (tolerance:
 * KERNEL_TOL in helpers/reference.ts).
 */
import { describe, expect, test } from 'vitest';
import { gemm } from '../kernels/gemm.js';
import { DenseMatrix } from '../src/index.js';
import { adapterName, cpuEngine, gpuEngine } from './helpers/engines.js';
import { expectClose, KERNEL_TOL as TOL, referenceMatMul } from './helpers/reference.js';
import { expectSameBitsWithoutWasm } from './helpers/wasm.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

const gemmShapes: Array<[m: number, k: number, n: number]> = [
  [64, 64, 64],
  [1, 1, 1],
  [65, 17, 129],
  [100, 300, 7],
  [3, 200, 1],
  [128, 33, 70],
  [5, 0, 6],
];

describe(`dense GEMM on WebGPU (${adapterName(gpu)}) vs CPU vs mathjs`, () => {
  for (const [m, k, n] of gemmShapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        test(`gemm ${m}×${k}·${k}×${n} transA=${transA} transB=${transB}`, async () => {
          const A = transA ? DenseMatrix.random(k, m, { seed: 31 }) : DenseMatrix.random(m, k, { seed: 31 });
          const B = transB ? DenseMatrix.random(n, k, { seed: 32 }) : DenseMatrix.random(k, n, { seed: 32 });
          const ref = referenceMatMul(A, B, { transA, transB }).flat();
          const options = { transA, transB, alpha: 1 };
          const [g, c] = await Promise.all([gpu.gemm(A, B, options), cpu.gemm(A, B, options)]);
          expect([g.rows, g.cols]).toEqual([m, n]);
          // Entries in [-1, 1]: Σ|terms| ≤ k.
          expectClose(g.data, ref, k, 'gpu vs mathjs', TOL);
          expectClose(c.data, ref, k, 'cpu vs mathjs', TOL);
        });
      }
    }
  }

  test('gemm alpha scales the product', async () => {
    const A = DenseMatrix.random(10, 12, { seed: 41 });
    const B = DenseMatrix.random(12, 9, { seed: 42 });
    const ref = referenceMatMul(A, B).flat().map((v) => -2.5 * v);
    const g = await gpu.gemm(A, B, { alpha: -2.5 });
    expectClose(g.data, ref, 30, 'gpu vs mathjs', TOL);
  });
});

// The CPU twin multiplies through the WebAssembly gather of kernels/wasm/spmm.wat.
describe('the JavaScript fallbacks compute the same float32 bits as the SIMD kernels', () => {
  const cases: Array<[string, () => Float32Array]> = [
    ['gemm', () => gemm.cpu(DenseMatrix.random(9, 13, { seed: 51 }), DenseMatrix.random(13, 8, { seed: 52 }), { alpha: 0.7 }).data],
    ['gemm transA transB', () => gemm.cpu(DenseMatrix.random(13, 9, { seed: 53 }), DenseMatrix.random(8, 13, { seed: 54 }), { transA: true, transB: true }).data],
  ];
  for (const [name, run] of cases) test(name, () => expectSameBitsWithoutWasm(run));
});
