/**
 * The layer-level half of QuickSelection's ranking (feature-selection.ts is
 * the public, validating half): the strengths of a layer's inputs and their
 * top k, on the GPU from the resident weights or on the host from a copy.
 * It imports no Sequential, so Sequential.fit can rank after every epoch
 * (FitOptions.selectFeatures) without an import cycle.
 */
import { neuronStrength as strengthKernel, type StrengthBuffers, type StrengthWeights } from '../../kernels/neuron-strength.js';
import { topK } from '../../kernels/primitives/top-k.js';
import { InvalidArgumentError } from '../errors.js';
import type { GpuContext } from '../gpu/gpu-context.js';
import type { SelectedFeatures } from '../history.js';
import { DenseLinear } from '../layers/dense-linear.js';
import type { LinearLayer, StatePart } from '../layers/linear-layer.js';
import { NMLinear } from '../layers/nm-linear.js';
import { SparseLinear } from '../layers/sparse-linear.js';

/** s_i = Σ_j |W_ij| of every input of `layer`: on `ctx` from its resident weights (one read-back of `in` floats), else from a host copy. */
export async function inputStrengths(ctx: GpuContext | undefined, layer: LinearLayer): Promise<Float32Array> {
  if (!ctx || !layer.isResident) return strengthKernel.cpu(await hostWeights(layer));
  const buffers = residentWeights(layer);
  const bytes = layer.in * 4;
  return ctx.run('neuronStrength', (s) => {
    const strength = s.output('strength', bytes);
    strengthKernel.encode(s, buffers, strength);
    return { result: strength, byteLength: bytes, decode: (b) => new Float32Array(b) };
  });
}

/** The k strongest inputs of `layer` (k already checked), strongest first; on `ctx` only the k indices and strengths are read back. */
export async function strongestInputs(ctx: GpuContext | undefined, layer: LinearLayer, k: number): Promise<SelectedFeatures> {
  const chosen = ctx && layer.isResident ? await selectOnGpu(ctx, layer, k) : topK.cpu(strengthKernel.cpu(await hostWeights(layer)), k);
  return strongestFirst(chosen.indices, chosen.values);
}

async function selectOnGpu(ctx: GpuContext, layer: LinearLayer, k: number): Promise<{ indices: Uint32Array; values: Float32Array }> {
  const buffers = residentWeights(layer);
  const features = layer.in;
  return ctx.run('selectFeatures', (s) => {
    const strength = s.output('strength', features * 4);
    strengthKernel.encode(s, buffers, strength);
    const out = s.output('top-k', 8 * k);
    topK.encode(s, strength, features, k, out);
    return {
      result: out,
      byteLength: 8 * k,
      decode: (b) => ({ indices: new Uint32Array(b, 0, k).slice(), values: new Float32Array(b, 4 * k, k).slice() }),
    };
  });
}

/** The top-k kernels give index order; a selection reads strongest first. */
function strongestFirst(indices: Uint32Array, strengths: Float32Array): SelectedFeatures {
  const order = Array.from(indices.keys()).sort((a, b) => strengths[b]! - strengths[a]! || indices[a]! - indices[b]!);
  return { indices: Uint32Array.from(order, (i) => indices[i]!), strengths: Float32Array.from(order, (i) => strengths[i]!) };
}

/** The layer's weights on the host (a copy; read back on WebGPU). */
async function hostWeights(layer: LinearLayer): Promise<StrengthWeights> {
  if (layer instanceof SparseLinear) return (await layer.weights()).W;
  if (layer instanceof NMLinear || layer instanceof DenseLinear) return layer.weights();
  throw new InvalidArgumentError('layer', 'must be a SparseLinear, NMLinear or DenseLinear layer');
}

/**
 * The current generation's weight buffers of a resident layer, taken from
 * keptStateParts() (biases and their moments, then the operand's parts() in
 * its format's order): the layer has no accessor for its operand's buffers
 * by name, so the order is checked here and a change fails loudly.
 */
function residentWeights(layer: LinearLayer): StrengthBuffers {
  const parts = layer.keptStateParts().slice(3);
  const part = (i: number, type: StatePart['type'], length: number, what: string): GPUBuffer => {
    const p = parts[i];
    if (!p || p.type !== type || p.length !== length) {
      throw new Error(`internal: ${layer.constructor.name}'s resident part ${i} is not ${what} (${type} × ${length}); keptStateParts() changed its order`);
    }
    return p.buffer;
  };
  const shape = { rows: layer.out, cols: layer.in };
  const nnz = layer.weightCount;
  if (layer instanceof SparseLinear) {
    return { format: 'csr', ...shape, rowPtr: part(0, 'u32', layer.out + 1, 'W.rowPtr'), colIdx: part(1, 'u32', nnz, 'W.colIdx'), values: part(2, 'f32', nnz, 'W.values') };
  }
  if (layer instanceof NMLinear) {
    const packed = parts[1];
    return { format: 'nm', ...shape, n: layer.n, m: layer.m, values: part(0, 'f32', nnz, 'W.values'), packed: part(1, 'u32', packed?.length ?? -1, 'W.indices') };
  }
  if (layer instanceof DenseLinear) return { format: 'dense', ...shape, values: part(0, 'f32', nnz, 'W') };
  throw new InvalidArgumentError('layer', 'must be a SparseLinear, NMLinear or DenseLinear layer');
}
