import { InvalidArgumentError } from '../errors.js';
import { assertProbability } from '../formats/validate.js';

/**
 * RigL's cosine-decayed update fraction: ζ_t = ζ/2 · (1 + cos(π·t/T)),
 * starting at ζ and reaching 0 at t = T (no topology change at the end of
 * training). SET itself uses a constant ζ.
 */
export function cosineZeta(options: { zeta: number; step: number; totalSteps: number }): number {
  const { zeta, step, totalSteps } = options;
  assertProbability('zeta', zeta);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new InvalidArgumentError('totalSteps', `must be an integer ≥ 1, got ${totalSteps}`);
  if (!Number.isInteger(step) || step < 0 || step > totalSteps) throw new InvalidArgumentError('step', `must be an integer in [0, ${totalSteps}], got ${step}`);
  return (zeta / 2) * (1 + Math.cos((Math.PI * step) / totalSteps));
}
