/**
 * Sparsifying a dense model (one trained elsewhere and imported, or a dense
 * wgsparse model) by weight magnitude, into CSR layers SET can then evolve or
 * N:M layers; the layers read through the model file's snapshot form, so the
 * result is a new Sequential and the original is left as it is.
 */
import { InvalidArgumentError } from '../errors.js';
import { CSRMatrix, erdosRenyiDensity } from '../formats/csr.js';
import type { DenseMatrix } from '../formats/dense.js';
import { checkNM, NMMatrix } from '../formats/nm.js';
import type { LayerSnapshot, ModelSnapshot } from '../model/model-file.js';

export type SparsifyTarget =
  /** Keep this fraction of each dense layer's weights (or of all of them, with `scope: 'global'`). */
  | { density: number }
  /** Keep SET's Erdős–Rényi density ε(in + out)/(in · out) in each layer. */
  | { epsilon: number }
  /** N:M layers: the n largest of every group of m inputs. */
  | { n: number; m: number };

export interface SparsifyOptions {
  /**
   * 'layer' (default): each layer keeps its share of its own weights.
   * 'global': one magnitude threshold over all the layers sparsified (with `density` only).
   */
  scope?: 'layer' | 'global';
  /** Sparsify the output layer too (default false: it stays dense, as in SET). */
  includeLast?: boolean;
}

/** The magnitudes at or above which `keep` of `values` survive; ties go to the earlier index. */
function keepLargest(values: Float32Array, keep: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  if (keep <= 0) return mask;
  if (keep >= values.length) return mask.fill(1);
  const sorted = Float32Array.from(values, Math.abs).sort();
  const threshold = sorted[values.length - keep]!;
  let above = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) > threshold) above++;
  let ties = keep - above;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > threshold || (a === threshold && ties-- > 0)) mask[i] = 1;
  }
  return mask;
}

function csrFromMask(W: DenseMatrix, mask: Uint8Array, offset: number): CSRMatrix {
  const rowPtr = new Uint32Array(W.rows + 1);
  const cols: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < W.rows; r++) {
    for (let c = 0; c < W.cols; c++) {
      const k = r * W.cols + c;
      if (mask[offset + k]) {
        cols.push(c);
        values.push(W.data[k]!);
      }
    }
    rowPtr[r + 1] = cols.length;
  }
  return new CSRMatrix({ rows: W.rows, cols: W.cols, rowPtr, colIdx: Uint32Array.from(cols), values: Float32Array.from(values) });
}

function checkTarget(target: SparsifyTarget, options: SparsifyOptions): void {
  if (typeof target !== 'object' || target === null) throw new InvalidArgumentError('target', 'must be { density }, { epsilon } or { n, m }');
  const keys = ['density' in target, 'epsilon' in target, 'n' in target || 'm' in target].filter(Boolean).length;
  if (keys !== 1) throw new InvalidArgumentError('target', 'must give exactly one of density, epsilon or n and m');
  if ('density' in target && !(target.density > 0 && target.density <= 1)) throw new InvalidArgumentError('target.density', `must be in (0, 1], got ${target.density}`);
  if ('epsilon' in target && !(target.epsilon > 0 && Number.isFinite(target.epsilon))) throw new InvalidArgumentError('target.epsilon', `must be a finite number > 0, got ${target.epsilon}`);
  if ('n' in target || 'm' in target) checkNM((target as { n: number }).n, (target as { m: number }).m);
  if (options.scope !== undefined && options.scope !== 'layer' && options.scope !== 'global') throw new InvalidArgumentError('options.scope', `must be 'layer' or 'global', got ${String(options.scope)}`);
  if (options.scope === 'global' && !('density' in target)) throw new InvalidArgumentError('options.scope', "'global' goes with a density target");
}

/**
 * The snapshot with its dense layers (all but the last unless includeLast)
 * pruned by magnitude into CSR or N:M layers; biases, activations and the
 * other layers are kept. Throws InvalidArgumentError for a bad target or when
 * no layer is left to sparsify.
 */
export function sparsifySnapshot(snapshot: ModelSnapshot, target: SparsifyTarget, options: SparsifyOptions = {}): ModelSnapshot {
  checkTarget(target, options);
  const linear = snapshot.layers.flatMap((l, i) => ('W' in l ? [i] : []));
  const last = linear[linear.length - 1];
  const chosen = snapshot.layers.flatMap((l, i) => (l.kind === 'dense-linear' && (options.includeLast || i !== last) ? [i] : []));
  if (chosen.length === 0) throw new InvalidArgumentError('model', `has no dense layer to sparsify${options.includeLast ? '' : ' (the output layer stays dense unless includeLast)'}`);

  let globalMask: Uint8Array | undefined;
  const offsets = new Map<number, number>();
  if (options.scope === 'global' && 'density' in target) {
    const total = chosen.reduce((s, i) => s + (snapshot.layers[i] as { W: DenseMatrix }).W.data.length, 0);
    const all = new Float32Array(total);
    let at = 0;
    for (const i of chosen) {
      const { data } = (snapshot.layers[i] as { W: DenseMatrix }).W;
      offsets.set(i, at);
      all.set(data, at);
      at += data.length;
    }
    globalMask = keepLargest(all, Math.round(target.density * total));
  }

  const layers = snapshot.layers.map((layer, i): LayerSnapshot => {
    if (!chosen.includes(i) || layer.kind !== 'dense-linear') return layer;
    const { W, bias, init } = layer;
    if ('n' in target) {
      if (W.cols % target.m !== 0) throw new InvalidArgumentError(`model.layers[${i}]`, `has ${W.cols} inputs, not a multiple of m = ${target.m}; N:M needs whole groups`);
      return { kind: 'nm-linear', W: NMMatrix.pruneDense(W, { n: target.n, m: target.m }), bias, init };
    }
    if (globalMask) return { kind: 'sparse-linear', W: csrFromMask(W, globalMask, offsets.get(i)!), bias, init };
    const density = 'density' in target ? target.density : erdosRenyiDensity({ rows: W.rows, cols: W.cols, epsilon: target.epsilon });
    return { kind: 'sparse-linear', W: csrFromMask(W, keepLargest(W.data, Math.round(density * W.data.length)), 0), bias, init };
  });
  return { layers, ...(snapshot.metadata === undefined ? {} : { metadata: snapshot.metadata }) };
}
