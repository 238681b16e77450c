// What the training programs' results files (train, train --task select,
// million) record the same way, so that one reader serves them all.
import type { Engine, EpochLog } from '../src/index.js';

/** A classifier's epoch as fit logged it: 1-based, with training and test loss and accuracy. */
export interface EpochScores {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

/** The scores of an epoch that fit evaluated on its validation data (the test set). */
export function epochScores(log: EpochLog): EpochScores {
  return { epoch: log.epoch + 1, trainLoss: log.loss, trainAccuracy: log.accuracy, testLoss: log.valLoss!, testAccuracy: log.valAccuracy! };
}

export type AdapterRecord = { vendor: string; architecture: string; description: string } | null;

/** The WebGPU adapter the run used (null on the CPU backend). */
export function adapterRecord(engine: Engine): AdapterRecord {
  const a = engine.adapterInfo;
  return a ? { vendor: a.vendor, architecture: a.architecture, description: a.description } : null;
}
