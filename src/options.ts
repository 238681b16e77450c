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

/**
 * Why a CPU engine runs on one thread although more were asked for (or are
 * the default): `engine.threadsReason`.
 * - 'not-cross-origin-isolated': a browser page that is not cross-origin
 *   isolated has no SharedArrayBuffer; the page must be served with
 *   `Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp` (or `credentialless`).
 * - 'no-shared-memory': SharedArrayBuffer or Atomics is missing, or a shared
 *   WebAssembly.Memory could not be created.
 * - 'no-workers': the realm cannot start workers (no Worker constructor).
 * - 'no-wasm-simd': WebAssembly SIMD is missing, so the products run as
 *   JavaScript loops, which are not split.
 * - 'workers-failed': starting a worker failed (e.g. a Content-Security-Policy
 *   without `worker-src blob:`), or one stopped.
 * - 'webgpu-backend': the engine runs on WebGPU; CPU threads do not apply.
 */
export type ThreadsReason = 'not-cross-origin-isolated' | 'no-shared-memory' | 'no-workers' | 'no-wasm-simd' | 'workers-failed' | 'webgpu-backend';

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
