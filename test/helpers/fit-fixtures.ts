/** What the fit tests train: a seeded classification problem with held-out samples, and the usual classifier stack. */
import { relu, softmax, subset, syntheticClassification, type Dataset, type LinearLayer, type ModelLayer, type SyntheticOptions } from '../../src/index.js';

/**
 * A synthetic classification problem (`options.count` samples) split into
 * its first `trainCount` samples to fit and the rest to validate on, so a
 * fit reports valLoss and valAccuracy on data it never trained on.
 */
export function trainValidSplit(options: SyntheticOptions, trainCount: number): { train: Dataset; valid: Dataset } {
  const all = syntheticClassification(options);
  return { train: subset(all, 0, trainCount), valid: subset(all, trainCount, options.count - trainCount) };
}

/** The linear layers with ReLU between them and softmax on top: the classifier every format mix is tested in. */
export function reluClassifier(linears: LinearLayer[]): ModelLayer[] {
  return [...linears.flatMap((layer, i): ModelLayer[] => (i === 0 ? [layer] : [relu(), layer])), softmax()];
}
