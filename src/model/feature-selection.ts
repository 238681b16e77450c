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
import { InvalidArgumentError } from '../errors.js';
import type { SelectedFeatures } from '../history.js';
import { DenseLinear } from '../layers/dense-linear.js';
import type { LinearLayer } from '../layers/linear-layer.js';
import { NMLinear } from '../layers/nm-linear.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { inputStrengths, strongestInputs } from './input-ranking.js';
import { checkAutoencoder } from './quick-selection.js';
import { Sequential } from './sequential.js';

export type { SelectedFeatures } from '../history.js';

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
  return inputStrengths(model !== undefined ? model.engine.gpuContextForLayers() : undefined, layer);
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
  return strongestInputs(model.engine.gpuContextForLayers(), layer, k);
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

