/**
 * What a fit reports per epoch. It lives on the ground floor because the
 * typed errors carry it (TrainingDivergedError, DeviceLostError) and errors
 * import nothing above them.
 */
/** The K strongest input features, strongest first (ties: lower index first). */
export interface SelectedFeatures {
  /** Input feature indices (e.g. pixels of a 28 × 28 image, row-major). */
  indices: Uint32Array;
  /** s_i of each, aligned with indices. */
  strengths: Float32Array;
}

/** The phases of a CPU training step (FitOptions.profile), in the order a batch runs them. */
export const TRAINING_PHASES = [
  'batch copy',
  'input corruption',
  'forward product',
  'bias',
  'activation + dropout',
  'loss',
  'gradient product',
  'gradient copy',
  'bias gradient',
  'backward product',
  'activation derivative',
  'optimizer',
  'evaluation',
  'evolution',
] as const;

export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** One phase of one layer (layer −1: the model as a whole, e.g. the loss). */
export interface PhaseTime {
  phase: TrainingPhase;
  layer: number;
  seconds: number;
  /** How many times it ran (batches, or evolutions). */
  calls: number;
}

export interface EpochLog {
  epoch: number;
  /** Mean training loss and accuracy over the epoch (with dropout, as trained). */
  loss: number;
  accuracy: number;
  /** On validationData, when given. */
  valLoss?: number;
  valAccuracy?: number;
  /** ζ of the topology update after this epoch (absent when none ran). */
  zeta?: number;
  /** Training time of the epoch, and of its topology update. */
  seconds: number;
  evolveSeconds: number;
  /**
   * With FitOptions.selectFeatures: the input layer's K strongest features
   * after this epoch's topology update (QuickSelection's ranking).
   */
  selectedFeatures?: SelectedFeatures;
  /**
   * With FitOptions.profile (CPU backend): this epoch's time per phase and
   * layer, evaluation of validationData and evolution included.
   */
  profile?: PhaseTime[];
}

export interface History {
  epochs: EpochLog[];
}
