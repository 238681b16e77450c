import { DenseLinear } from '../layers/dense-linear.js';
import type { LinearLayer } from '../layers/linear-layer.js';
import { NMLinear } from '../layers/nm-linear.js';
import { SparseLinear } from '../layers/sparse-linear.js';
import { WgsparseError } from '../errors.js';
import { activationOf } from './activations.js';
import type { LayerSnapshot, ModelSnapshot } from './model-file.js';
import type { ModelLayer } from './stages.js';

/** A snapshot of a layer list: weights read back once (saving is not a hot path). */
export async function snapshotLayers(layers: readonly ModelLayer[]): Promise<LayerSnapshot[]> {
  const out: LayerSnapshot[] = [];
  for (const entry of layers) {
    if (entry instanceof SparseLinear) {
      const { W, bias } = await entry.weights();
      out.push({ kind: 'sparse-linear', W, bias, init: entry.init });
    } else if (entry instanceof NMLinear) {
      out.push({ kind: 'nm-linear', W: await entry.weights(), bias: await entry.biases(), init: entry.init });
    } else if (entry instanceof DenseLinear) {
      out.push({ kind: 'dense-linear', W: await entry.weights(), bias: await entry.biases(), init: entry.init });
    } else if ('kind' in entry) {
      out.push(activationOf(entry, `layers[${out.length}]`));
    } else {
      throw new WgsparseError(`cannot save a ${(entry as LinearLayer).constructor.name}: only SparseLinear, NMLinear and DenseLinear have a file format`);
    }
  }
  return out;
}

/** Fresh layers holding a decoded snapshot's weights (not yet attached to an engine). */
export function layersFromSnapshot(snapshot: ModelSnapshot): ModelLayer[] {
  return snapshot.layers.map((l, i): ModelLayer => {
    switch (l.kind) {
      case 'sparse-linear':
        return new SparseLinear({ in: l.W.cols, out: l.W.rows, weights: l.W, bias: l.bias, init: l.init });
      case 'nm-linear':
        return new NMLinear({ in: l.W.cols, out: l.W.rows, weights: l.W, bias: l.bias, init: l.init });
      case 'dense-linear':
        return new DenseLinear({ in: l.W.cols, out: l.W.rows, weights: l.W, bias: l.bias, init: l.init });
      default:
        return activationOf(l, `layers[${i}]`);
    }
  });
}
