/**
 * QuickSelection's ranking (Atashgahi et al. 2022): the strength of input
 * feature i is s_i = Σ_j |W¹_ij| over the input layer's stored connections,
 * and the K strongest features are the selection. On WebGPU the strengths
 * are computed from the layer's resident weights and ranked there (a radix
 * select and a top-k gather), so only K indices and K strengths are read
 * back; on the CPU backend the same kernels' CPU twins run on the layer's
 * arrays. Both rank the same bits (the strength kernel's f32 sum has one
 * fixed order), so both backends select the same features.
 */
import { neuronStrength as strengthKernel, type StrengthBuffers, type StrengthWeights } from '../../kernels/neuron-strength.js';
import { topK } from '../../kernels/primitives/top-k.js';
import { InvalidArgumentError } from '../errors.js';
import type { GpuContext } from '../gpu/gpu-context.js';
import { DenseLinear } from '../layers/dense-linear.js';
import { LinearLayer, type StatePart } from '../layers/linear-layer.js';
import { NMLinear } from '../layers/nm-linear.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { checkAutoencoder } from './quick-selection.js';
import { Sequential } from './sequential.js';

/** The K strongest input features, strongest first (ties: lower index first). */
export interface SelectedFeatures {
  /** Input feature indices (e.g. pixels of a 28 × 28 image, row-major). */
  indices: Uint32Array;
  /** s_i of each, aligned with indices. */
  strengths: Float32Array;
}

/**
 * s_i = Σ_j |W_ij| for every input i of a SparseLinear, NMLinear or
 * DenseLinear layer (one value per input feature; 0 for an input without
 * connections). With `model`, the layer must be the model's input layer
 * (the ranking QuickSelection means), and on WebGPU the strengths are
 * computed from its resident weights, reading back only the `in` strengths;
 * without it, from a snapshot of the weights (layer.weights(), a read-back
 * on WebGPU).
 */
export async function neuronStrength(layer: LinearLayer, options: { model?: Sequential } = {}): Promise<Float32Array> {
  checkLayer(layer);
  const model = options.model;
  if (model !== undefined) checkInputLayer(checkModel(model), layer);
  const ctx = model !== undefined && layer.isResident ? model.engine.gpuContextForLayers() : undefined;
  if (!ctx) return strengthKernel.cpu(await hostWeights(layer));
  const buffers = residentWeights(layer);
  const bytes = layer.in * 4;
  return ctx.run('neuronStrength', (s) => {
    const strength = s.output('strength', bytes);
    strengthKernel.encode(s, buffers, strength);
    return { result: strength, byteLength: bytes, decode: (b) => new Float32Array(b) };
  });
}

/**
 * QuickSelection's K features of a trained autoencoder: the K largest
 * neuron strengths of its input layer, strongest first, ties to the lower
 * index. The model's output size must equal its input size (`model`), k
 * must be in [1, features] (`k`), and options.layer, when given, must be the
 * model's input layer (`layer`). On WebGPU only the K indices and strengths
 * are read back.
 */
export async function selectFeatures(model: Sequential, k: number, options: { layer?: LinearLayer } = {}): Promise<SelectedFeatures> {
  checkAutoencoder(checkModel(model));
  const features = model.inputSize;
  if (!Number.isInteger(k) || k < 1 || k > features) throw new InvalidArgumentError('k', `must be an integer in [1, features = ${features}], got ${String(k)}`);
  const layer = model.linearLayers[0]!;
  if (options.layer !== undefined) {
    checkLayer(options.layer);
    checkInputLayer(model, options.layer);
  }
  const ctx = layer.isResident ? model.engine.gpuContextForLayers() : undefined;
  const chosen = ctx ? await selectOnGpu(ctx, layer, k) : topK.cpu(strengthKernel.cpu(await hostWeights(layer)), k);
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

function checkModel(model: Sequential): Sequential {
  if (!(model instanceof Sequential)) throw new InvalidArgumentError('model', 'must be a Sequential');
  return model;
}

function checkLayer(layer: LinearLayer): void {
  if (!(layer instanceof SparseLinear || layer instanceof NMLinear || layer instanceof DenseLinear)) {
    throw new InvalidArgumentError('layer', 'must be a SparseLinear, NMLinear or DenseLinear layer');
  }
}

function checkInputLayer(model: Sequential, layer: LinearLayer): void {
  const index = model.linearLayers.indexOf(layer);
  if (index !== 0) {
    const where = index < 0 ? 'is not a layer of the model' : `is the model's linear layer ${index}`;
    throw new InvalidArgumentError('layer', `${where}; neuron strengths rank the input features, which only the input layer (linear layer 0) connects`);
  }
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
