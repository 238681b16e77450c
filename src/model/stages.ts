import type { ActivationParams, Nonlinearity } from '../../kernels/activation.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { LinearLayer } from '../layers/linear-layer.js';
import type { ActivationLayer } from './activations.js';

/** An entry of a Sequential: a linear layer or a parameter-free activation. */
export type ModelLayer = LinearLayer | ActivationLayer;

/** One linear layer with the nonlinearity and dropout that follow it, run as a fused pair of passes. */
export interface Stage {
  readonly layer: LinearLayer;
  /** Index among the stages: the dropout mask stream. */
  readonly index: number;
  /** The activation kernel's f: the leaky family (relu, leaky-relu, none), sigmoid or tanh. */
  readonly nonlinearity: Nonlinearity;
  /** The leaky family's f(z) = z for z > 0, alpha·z otherwise; 1 when no nonlinearity follows. */
  readonly alpha: number;
  readonly rate: number;
}

export interface StagePlan {
  readonly stages: readonly Stage[];
  /** Whether the model ends with softmax() (required to train with cross-entropy). */
  readonly softmax: boolean;
}

/**
 * Turns a Sequential's layer list into stages, checking its grammar:
 * (linear [relu | leaky-relu | sigmoid | tanh] [dropout])+ [softmax], consecutive sizes chained,
 * no layer instance used twice.
 */
export function planStages(layers: readonly ModelLayer[]): StagePlan {
  if (!Array.isArray(layers) || layers.length === 0) throw new InvalidArgumentError('layers', 'must be a non-empty array');
  const stages: Stage[] = [];
  const seen = new Set<LinearLayer>();
  let softmax = false;
  let current: { layer: LinearLayer; nonlinearity: Nonlinearity; alpha: number; rate: number; activated: boolean; dropped: boolean } | undefined;
  const close = () => {
    if (current) stages.push({ layer: current.layer, index: stages.length, nonlinearity: current.nonlinearity, alpha: current.alpha, rate: current.rate });
  };
  layers.forEach((entry, i) => {
    const at = `layers[${i}]`;
    if (softmax) throw new InvalidArgumentError(at, 'softmax() must be the last entry');
    if (entry instanceof LinearLayer) {
      if (seen.has(entry)) throw new InvalidArgumentError(at, 'the same layer instance appears twice');
      seen.add(entry);
      if (current && current.layer.out !== entry.in) {
        throw new ShapeMismatchError(at, `takes ${entry.in} inputs but the previous linear layer gives ${current.layer.out}`);
      }
      close();
      current = { layer: entry, nonlinearity: 'leaky', alpha: 1, rate: 0, activated: false, dropped: false };
      return;
    }
    if (typeof entry !== 'object' || entry === null || !('kind' in entry)) throw new InvalidArgumentError(at, 'must be a linear layer or an activation (relu(), leakyRelu(a), sigmoid(), tanh(), dropout(r), softmax())');
    if (!current) throw new InvalidArgumentError(at, `${entry.kind} must follow a linear layer`);
    switch (entry.kind) {
      case 'relu':
      case 'leaky-relu':
      case 'sigmoid':
      case 'tanh':
        if (current.activated || current.dropped) throw new InvalidArgumentError(at, `${entry.kind} must come right after a linear layer, once`);
        if (entry.kind === 'sigmoid' || entry.kind === 'tanh') current.nonlinearity = entry.kind;
        else current.alpha = entry.kind === 'relu' ? 0 : entry.alpha;
        current.activated = true;
        return;
      case 'dropout':
        if (current.dropped) throw new InvalidArgumentError(at, 'two dropouts in a row');
        current.rate = entry.rate;
        current.dropped = true;
        return;
      case 'softmax':
        if (current.activated || current.dropped) throw new InvalidArgumentError(at, 'softmax() must follow the last linear layer directly (its input is the logits)');
        softmax = true;
        return;
      default:
        throw new InvalidArgumentError(at, `unknown activation ${String((entry as { kind: unknown }).kind)}`);
    }
  });
  close();
  return { stages, softmax };
}

/** The activation kernels' parameters of a stage. */
export function activationParams(stage: Stage, seed: number): ActivationParams {
  return { nonlinearity: stage.nonlinearity, alpha: stage.alpha, rate: stage.rate, seed, stream: stage.index };
}
