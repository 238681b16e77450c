/**
 * A 10⁶ × 10⁶ SparseLinear at ε = 1 (about 2 M connections) is created, run
 * forward and backward, and evolved on WebGPU: memory follows the
 * connections (a dense form would be 4 TB), and evolution keeps nnz.
 */
import { expect, test } from 'vitest';
import { DenseMatrix, SparseLinear } from '../src/index.js';
import { adapterName, gpuEngine } from './helpers/engines.js';

const engine = await gpuEngine();

test(`10⁶ × 10⁶ sparse layer on WebGPU (${adapterName(engine)}): forward, backward, evolve`, async () => {
  const layer = new SparseLinear({ in: 1_000_000, out: 1_000_000, epsilon: 1, seed: 1 });
  // Expected ε(in + out) = 2,000,000 connections (sd ≈ 1414).
  expect(Math.abs(layer.nnz - 2_000_000)).toBeLessThan(10_000);
  layer.attach(engine);
  const X = DenseMatrix.random(1_000_000, 2, { seed: 1 });
  const Y = await layer.forward(X);
  expect([Y.rows, Y.cols]).toEqual([1_000_000, 2]);
  const dX = await layer.backward(X, Y);
  expect([dX.rows, dX.cols]).toEqual([1_000_000, 2]);
  const { removed } = await layer.evolve({ zeta: 0.3, seed: 2 });
  expect(removed / layer.nnz).toBeGreaterThan(0.28);
  expect(removed / layer.nnz).toBeLessThan(0.32);
  const { W } = await layer.weights();
  expect(W.nnz).toBe(layer.nnz);
  layer.dispose();
});
