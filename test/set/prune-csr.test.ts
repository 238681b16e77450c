/**
 * SET pruning of a whole CSR layer (kernels/set/prune-csr.ts): the GPU keeps
 * the CPU's survivors, rows stay sorted, and each weight's optimizer state
 * moves with it.
 */
import { describe, expect, test } from 'vitest';
import { pruneCsrCpu } from '../../kernels/set/prune-csr.js';
import { GpuContext } from '../../src/gpu/gpu-context.js';
import { CSRMatrix } from '../../src/index.js';
import { csrWithEmptyLines, powerLawCsr } from '../helpers/cases.js';
import { adapterName, gpuEngine } from '../helpers/engines.js';
import { pruneCsrGpu } from '../helpers/gpu-wrappers.js';

const engine = await gpuEngine();
const ctx = new GpuContext(engine.device!, false, undefined);

describe(`SET pruning of a whole CSR layer on WebGPU (${adapterName(engine)})`, () => {
  for (const [name, W] of [
    ['784→1000 at ε = 20', CSRMatrix.random({ rows: 1000, cols: 784, epsilon: 20, seed: 11 })],
    ['power-law rows', powerLawCsr(120, 300, 3)],
    ['empty rows and columns', csrWithEmptyLines(50, 40, 5)],
  ] as Array<[string, CSRMatrix]>) {
    test(`${name}: same survivors, rows sorted, momentum follows its weight`, async () => {
      // Momentum tagged with its weight's identity (value · 10) to check it moves with it.
      const momentum = Float32Array.from(W.values, (v) => v * 10);
      const cpu = pruneCsrCpu(W, momentum, 0.3);
      const gpu = await pruneCsrGpu(ctx, W, momentum, 0.3);
      expect(gpu.W.rowPtr).toEqual(cpu.W.rowPtr);
      expect(gpu.W.colIdx).toEqual(cpu.W.colIdx);
      expect(gpu.W.values).toEqual(cpu.W.values);
      expect(gpu.state).toEqual(cpu.state);
      expect(gpu.state).toEqual(Float32Array.from(gpu.W.values, (v) => v * 10));
      // About 30 % of the weights go (a few more when ties sit at a threshold).
      expect(gpu.W.nnz).toBeLessThan(W.nnz);
      expect(Math.abs(1 - gpu.W.nnz / W.nnz - 0.3)).toBeLessThan(0.02);
      // Every survivor was in W at the same (row, column) with the same value.
      const dense = W.toDense();
      const rows = gpu.W.rowIndices();
      gpu.W.colIdx.forEach((c, k) => expect(gpu.W.values[k]).toBe(dense.get(rows[k]!, c)));
    });
  }
});
