/**
 * The option objects of the public operations. They sit on the ground floor
 * so that kernels (which take them) and the library's top (which exports
 * them) both import them downward.
 */
import type { CSRMatrix } from './formats/csr.js';
import type { WeightInit } from './formats/init.js';

/** SGD with momentum and weight decay, the SET reference's rule: v ← μv − lr·g; w ← w + v − wd·w. */
export interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Adam (Kingma & Ba 2015). */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled: w ← w − wd·w after the Adam step (the SGD rule's decay, AdamW-style). */
  weightDecay: number;
}

export interface GemmOptions {
  /** Use Aᵀ (A is stored K × M). */
  transA?: boolean;
  /** Use Bᵀ (B is stored N × K). */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
}

export interface SddmmOptions {
  /** Scale of the result, e.g. 1/batch for a mean gradient. Default 1. */
  alpha?: number;
}

export interface EvolveSetOptions {
  /** Fraction of the negative and of the positive weights removed (SET's ζ, ≈ 0.3). */
  zeta: number;
  /** Seed of the regrowth draws. */
  seed: number;
  /** Per-weight optimizer state (e.g. momentum) that moves with its weight; zeros if omitted. */
  state?: Float32Array;
  /** A second per-weight state (e.g. Adam's second moment) moved the same way; returned as `second`. */
  second?: Float32Array;
  /** Initialisation of regrown weights, with the layer's own fan-in (default 'he-uniform', as the reference). */
  init?: WeightInit;
}

export interface EvolveSetResult {
  W: CSRMatrix;
  state: Float32Array;
  second?: Float32Array;
  /** Connections removed (and regrown). */
  removed: number;
  /** Regrowth rounds it took. */
  rounds: number;
}
