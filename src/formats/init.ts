import { InvalidArgumentError } from '../errors.js';

/**
 * Weight initialisations of the SET reference: He uniform (its default),
 * Glorot uniform, N(0, 1)/10 ('normal'), and plain uniform(-1, 1) for tests.
 */
export type WeightInit = 'he-uniform' | 'glorot-uniform' | 'normal' | 'uniform';

/** The uniform half-width (or the normal's standard deviation for 'normal'). */
export function initLimit(init: WeightInit, fanIn: number, fanOut: number): number {
  switch (init) {
    case 'he-uniform':
      return Math.sqrt(6 / Math.max(1, fanIn));
    case 'glorot-uniform':
      return Math.sqrt(6 / Math.max(1, fanIn + fanOut));
    case 'normal':
      return 0.1;
    case 'uniform':
      return 1;
    default:
      throw new InvalidArgumentError('init', `unknown initialisation ${String(init)}`);
  }
}
