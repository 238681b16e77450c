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
}

export interface History {
  epochs: EpochLog[];
}
