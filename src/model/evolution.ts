import { InvalidArgumentError } from '../errors.js';
import { assertProbability } from '../formats/validate.js';
import { cosineZeta } from '../sparsity/schedule.js';

/**
 * When and how much a model's topology evolves during fit(): after every
 * epoch but the last, every evolvable layer but the last (the SET
 * reference's choice) drops and regrows the fraction ζ of its weights.
 */
export interface Evolution {
  /**
   * 'set': regrow at random (Mocanu et al. 2018). 'rigl': regrow where the
   * loss gradient of one batch is largest among absent connections (Evci et
   * al. 2020), computed blockwise on the GPU without a dense gradient; N:M
   * layers keep their in-group evolution either way.
   */
  readonly kind: 'set' | 'rigl';
  readonly zeta: number;
  /** 'constant' is SET's; 'cosine' decays ζ to 0 over the run (RigL's schedule). */
  readonly schedule: 'constant' | 'cosine';
  /** Evolve the output layer too (the reference does not). */
  readonly includeLast: boolean;
}

/** SET evolution (Mocanu et al. 2018); ζ = 0.3 as in the reference MNIST runs. */
export function set(options: { zeta?: number; schedule?: 'constant' | 'cosine'; includeLast?: boolean } = {}): Evolution {
  const zeta = options.zeta ?? 0.3;
  assertProbability('zeta', zeta);
  const schedule = options.schedule ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine') throw new InvalidArgumentError('schedule', `must be 'constant' or 'cosine', got ${String(schedule)}`);
  return { kind: 'set', zeta, schedule, includeLast: options.includeLast ?? false };
}

/** ζ for the update after epoch `epoch` (0-based) of `epochs`. */
export function zetaAfterEpoch(evolution: Evolution, epoch: number, epochs: number): number {
  if (evolution.schedule === 'constant') return evolution.zeta;
  // Updates happen after epochs 0 … epochs − 2; the last one still moves a little.
  return cosineZeta({ zeta: evolution.zeta, step: epoch, totalSteps: Math.max(1, epochs - 1) });
}

/**
 * RigL-style evolution: SET's pruning, growth by gradient magnitude on one
 * seeded batch of the training data (after each epoch but the last); ζ
 * decays by a cosine by default, as in RigL.
 */
export function rigl(options: { zeta?: number; schedule?: 'constant' | 'cosine'; includeLast?: boolean } = {}): Evolution {
  return { ...set({ ...options, schedule: options.schedule ?? 'cosine' }), kind: 'rigl' };
}
