/** Small Sequentials of every layer format and activation, shared by the interop tests. */
import { CSRMatrix, DenseLinear, DenseMatrix, NMLinear, NMMatrix, Sequential, SparseLinear, dropout, leakyRelu, relu, softmax, type Engine, type ModelLayer, type WeightInit } from '../../src/index.js';

export type ModelCase = { name: string; layers: () => ModelLayer[] };

const bias = (n: number, salt: number) => Float32Array.from({ length: n }, (_, k) => Math.fround(Math.sin(salt * 7 + k) * 0.5));
// Biases are not zero: fresh layers have zero biases, which would hide a dropped bias.
const csr = (inputs: number, out: number, density: number, seed: number, init: WeightInit = 'he-uniform') =>
  new SparseLinear({ in: inputs, out, init, weights: CSRMatrix.random({ rows: out, cols: inputs, density, seed, init }), bias: bias(out, seed) });
const nm = (inputs: number, out: number, n: number, m: number, seed: number) =>
  new NMLinear({ in: inputs, out, weights: NMMatrix.random({ rows: out, cols: inputs, n, m, seed }), bias: bias(out, seed) });
const dense = (inputs: number, out: number, seed: number, init: WeightInit = 'he-uniform') =>
  new DenseLinear({ in: inputs, out, init, weights: DenseMatrix.random(out, inputs, { seed }), bias: bias(out, seed) });

export const MODEL_CASES: ModelCase[] = [
  {
    // The SET reference's alternated slopes (-0.6, +0.6, -0.6), CSR throughout, dropout (not in the ONNX graph).
    name: 'CSR with alternated leaky ReLU and dropout',
    layers: () => [csr(12, 16, 0.3, 1), leakyRelu(-0.6), dropout(0.3), csr(16, 16, 0.3, 2), leakyRelu(0.6), csr(16, 8, 0.3, 3), leakyRelu(-0.6), csr(8, 5, 0.5, 4), softmax()],
  },
  {
    name: '2:4, 1:4 and 3:8 N:M with ReLU',
    layers: () => [nm(16, 12, 2, 4, 5), relu(), nm(12, 8, 1, 4, 6), relu(), nm(8, 4, 3, 8, 7), softmax()],
  },
  {
    name: 'dense, no softmax, no activation between two layers',
    layers: () => [dense(10, 7, 8), dense(7, 6, 9, 'glorot-uniform'), relu(), dense(6, 3, 10)],
  },
  {
    name: 'mixed CSR, N:M and dense',
    layers: () => [csr(8, 12, 0.4, 11, 'normal'), relu(), nm(12, 8, 2, 4, 12), leakyRelu(0.01), dense(8, 4, 13), softmax()],
  },
];

export function buildModel(engine: Engine, c: ModelCase): Sequential {
  return new Sequential(engine, c.layers());
}

/** Inputs in [-range, range], features × samples (wgsparse's orientation), and the same batch-major for ONNX Runtime. */
export function inputs(features: number, samples: number, seed = 3, range = 2): { X: DenseMatrix; batchMajor: Float32Array } {
  const X = DenseMatrix.random(features, samples, { seed, lo: -range, hi: range });
  return { X, batchMajor: X.transpose().data };
}
