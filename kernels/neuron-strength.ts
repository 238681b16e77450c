import { InvalidArgumentError } from '../src/errors.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import { hostKernel } from '../src/gpu/kernel.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { programs } from './programs.js';

const { THREADS } = programs.neuronStrengthCsr.layout.consts;

/** A linear layer's weights W (out × in) in any of its formats. */
export type StrengthWeights = CSRMatrix | NMMatrix | DenseMatrix;

/** The same weights resident on the GPU: the buffers of a layer's current generation. */
export type StrengthBuffers =
  | { format: 'csr'; rows: number; cols: number; rowPtr: GPUBuffer; colIdx: GPUBuffer; values: GPUBuffer }
  | { format: 'nm'; rows: number; cols: number; n: number; m: number; values: GPUBuffer; packed: GPUBuffer }
  | { format: 'dense'; rows: number; cols: number; values: GPUBuffer };

/**
 * QuickSelection's neuron strength of every input feature: strength[c] =
 * Σ_r |W[r, c]| over the stored connections of column c (shaders/
 * neuron-strength.wgsl). Summed in f32 in ascending row order on both
 * sides, so the CPU twin is bit-identical to the GPU (only additions of
 * exact |w|: nothing for a fused multiply-add to change). A column with no
 * connection has strength 0; an N:M layer's zero-valued padding slots add 0.
 */
export const neuronStrength = hostKernel<[W: StrengthWeights], Float32Array, [W: StrengthBuffers, strength: GPUBuffer]>({
  name: 'neuronStrength',
  validate(W) {
    if (!(W instanceof CSRMatrix || W instanceof NMMatrix || W instanceof DenseMatrix)) {
      throw new InvalidArgumentError('W', 'must be a CSRMatrix, NMMatrix or DenseMatrix');
    }
    if (W instanceof CSRMatrix || W instanceof NMMatrix) W.verifyStructure('W');
  },
  cpu(W) {
    // A Float32Array accumulator rounds every addition to f32, as the shader does.
    const strength = new Float32Array(W.cols);
    if (W instanceof DenseMatrix) {
      for (let r = 0; r < W.rows; r++) {
        for (let c = 0; c < W.cols; c++) strength[c]! += Math.abs(W.data[r * W.cols + c]!);
      }
      return strength;
    }
    // Entries (slots) are stored row by row, so every column sees its rows in ascending order.
    const columns = W instanceof CSRMatrix ? W.colIdx : W.slotColumns();
    for (let k = 0; k < columns.length; k++) strength[columns[k]!]! += Math.abs(W.values[k]!);
    return strength;
  },
  encode(s, W, strength) {
    const workgroups = Math.ceil(W.cols / THREADS);
    const shape = { rows: W.rows, cols: W.cols };
    switch (W.format) {
      case 'csr':
        s.dispatch(programs.neuronStrengthCsr, { bindings: { values: W.values, rowPtr: W.rowPtr, colIdx: W.colIdx, strength }, uniforms: shape, workgroups });
        return;
      case 'nm': {
        const uniforms = { ...shape, slotsPerRow: (W.cols / W.m) * W.n, n: W.n, m: W.m, bits: Math.log2(W.m) };
        s.dispatch(programs.neuronStrengthNM, { bindings: { values: W.values, packed: W.packed, strength }, uniforms, workgroups });
        return;
      }
      case 'dense':
        s.dispatch(programs.neuronStrengthDense, { bindings: { values: W.values, strength }, uniforms: shape, workgroups });
    }
  },
  upload(s, W) {
    const buffers = uploadWeights(s, W);
    return { byteLength: W.cols * 4, encodeArgs: (strength) => [buffers, strength] };
  },
  decode(bytes) {
    return new Float32Array(bytes);
  },
});

function uploadWeights(s: OperationScope, W: StrengthWeights): StrengthBuffers {
  const shape = { rows: W.rows, cols: W.cols };
  if (W instanceof CSRMatrix) return { format: 'csr', ...shape, rowPtr: s.upload('W.rowPtr', W.rowPtr), colIdx: s.upload('W.colIdx', W.colIdx), values: s.upload('W.values', W.values) };
  if (W instanceof NMMatrix) return { format: 'nm', ...shape, n: W.n, m: W.m, values: s.upload('W.values', W.values), packed: s.upload('W.indices', W.indices) };
  return { format: 'dense', ...shape, values: s.upload('W', W.data) };
}
