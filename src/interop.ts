/**
 * `wgsparse/interop`: models in and out as ONNX and safetensors
 * (docs/interop.md). A separate entry so that the main bundle carries no
 * protobuf codec: only applications that import this path load it.
 */
import type { Engine } from './engine/engine.js';
import { InvalidArgumentError } from './errors.js';
import { decodeModel, encodeModel, ModelFormatError, type ModelSnapshot } from './model/model-file.js';
import { Sequential } from './model/sequential.js';
import { InteropFormatError, type InteropFormat } from './interop/errors.js';
import { decodeOnnx, encodeOnnx } from './interop/onnx.js';
import { decodeSafetensors, encodeSafetensors } from './interop/safetensors.js';
import { sparsifySnapshot, type SparsifyOptions, type SparsifyTarget } from './interop/sparsify.js';

export { InteropFormatError, UnsupportedOperatorError, type InteropFormat, type InteropErrorReason } from './interop/errors.js';
export { ONNX_OPSET, ONNX_IR_VERSION, ONNX_METADATA_KEY, SAFETENSORS_METADATA_KEY } from './interop/constants.js';
export type { LayerMeta } from './interop/snapshot.js';
export type { SparsifyOptions, SparsifyTarget } from './interop/sparsify.js';

/** The model's layers and weights, read through save() so a fit in progress or a lost device is handled as there. */
async function snapshotOf(model: Sequential): Promise<ModelSnapshot> {
  if (!(model instanceof Sequential)) throw new InvalidArgumentError('model', 'must be a Sequential');
  return decodeModel(await model.save());
}

function build(format: InteropFormat, engine: Engine, snapshot: ModelSnapshot): Sequential {
  // Sequential.load validates the layer grammar before any layer reaches the engine's device.
  try {
    return Sequential.load(engine, encodeModel(snapshot));
  } catch (e) {
    if (e instanceof ModelFormatError) throw new InteropFormatError(format, 'mismatch', `the layers do not form a wgsparse Sequential: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * The model as an ONNX model (opset 17) for inference: Gemm nodes (sparse
 * layers as sparse initializers, so the file grows with the nonzeros), Relu,
 * LeakyRelu, Sigmoid, Tanh, Softmax; dropout is left out of the graph. ONNX Runtime runs it
 * as it is (it densifies sparse initializers when it loads them).
 */
export async function exportOnnx(model: Sequential): Promise<Uint8Array> {
  return encodeOnnx(await snapshotOf(model));
}

/**
 * A Sequential from ONNX bytes: a model exportOnnx wrote (exactly as it was),
 * or an MLP as PyTorch's and Keras's exporters write it (Gemm, MatMul + Add,
 * Flatten/Reshape at the input, Relu, LeakyRelu, Sigmoid, Tanh, Softmax), whose weights
 * become DenseLinear layers (CSR ones for sparse initializers). The file is
 * validated whole before anything reaches the engine; a bad file throws
 * InteropFormatError, an operator outside that list UnsupportedOperatorError.
 */
export function importOnnx(engine: Engine, bytes: Uint8Array): Sequential {
  return build('onnx', engine, decodeOnnx(bytes));
}

/**
 * The model as safetensors: CSR layers as PyTorch sparse-CSR triplets
 * (crow_indices, col_indices, values), N:M layers as values plus in-group
 * positions, dense layers as weight and bias, and the architecture in
 * __metadata__ (docs/interop.md has the PyTorch code that rebuilds it).
 */
export async function exportSafetensors(model: Sequential): Promise<Uint8Array> {
  return encodeSafetensors(await snapshotOf(model));
}

/** A Sequential from safetensors bytes exportSafetensors wrote; validated whole first, InteropFormatError otherwise. */
export function importSafetensors(engine: Engine, bytes: Uint8Array): Sequential {
  return build('safetensors', engine, decodeSafetensors(bytes));
}

/**
 * A new model on the same engine with the dense layers pruned by weight
 * magnitude: to CSR at a `density` (per layer, or one threshold over all with
 * `scope: 'global'`) or at SET's `epsilon` density, or to N:M with `{ n, m }`.
 * The output layer stays dense unless `includeLast`. The result fine-tunes
 * with `fit({ evolution: set(...) })`; the original model is left as it is.
 */
export async function sparsify(model: Sequential, target: SparsifyTarget, options: SparsifyOptions = {}): Promise<Sequential> {
  const snapshot = sparsifySnapshot(await snapshotOf(model), target, options);
  return Sequential.load(model.engine, encodeModel(snapshot));
}
