/**
 * What a fit reports per epoch. It lives on the ground floor because the
 * typed errors carry it (TrainingDivergedError, DeviceLostError) and errors
 * import nothing above them.
 */
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
}

export interface History {
  epochs: EpochLog[];
}
