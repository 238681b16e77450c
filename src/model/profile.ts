/**
 * Where a CPU training epoch's time goes (FitOptions.profile): the host
 * trainer and the layers' host passes time each phase of a batch per layer
 * with performance.now(), so `npm run train -- --profile` can say which part
 * of an epoch is worth fusing next. Off (no clock), a phase costs one
 * undefined check.
 */
import { TRAINING_PHASES, type PhaseTime, type TrainingPhase } from '../history.js';

export { TRAINING_PHASES, type PhaseTime, type TrainingPhase };

/** Accumulates phase times; one per fit, read per epoch. */
export class PhaseClock {
  private readonly totals = new Map<string, PhaseTime>();

  /** Runs fn and adds its wall time to (phase, layer). */
  measure<T>(phase: TrainingPhase, layer: number, fn: () => T): T {
    const started = globalThis.performance.now();
    try {
      return fn();
    } finally {
      this.add(phase, layer, (globalThis.performance.now() - started) / 1000);
    }
  }

  /** The same for work that awaits (evolution, evaluation). */
  async measureAsync<T>(phase: TrainingPhase, layer: number, fn: () => Promise<T>): Promise<T> {
    const started = globalThis.performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, layer, (globalThis.performance.now() - started) / 1000);
    }
  }

  add(phase: TrainingPhase, layer: number, seconds: number): void {
    const key = `${phase}\u0000${layer}`;
    const row = this.totals.get(key);
    if (row) {
      row.seconds += seconds;
      row.calls++;
    } else {
      this.totals.set(key, { phase, layer, seconds, calls: 1 });
    }
  }

  /** The rows since the last take, in phase order then layer order; resets the clock. */
  take(): PhaseTime[] {
    const rows = [...this.totals.values()].sort((a, b) => TRAINING_PHASES.indexOf(a.phase) - TRAINING_PHASES.indexOf(b.phase) || a.layer - b.layer);
    this.totals.clear();
    return rows;
  }
}

/** A clock and the layer it times: what a layer's host pass receives. */
export interface PhaseProbe {
  clock: PhaseClock;
  layer: number;
}

/** fn(), timed under `phase` when a probe is given. */
export function timed<T>(probe: PhaseProbe | undefined, phase: TrainingPhase, fn: () => T): T {
  return probe ? probe.clock.measure(phase, probe.layer, fn) : fn();
}

/** The same for work that awaits. */
export function timedAsync<T>(probe: PhaseProbe | undefined, phase: TrainingPhase, fn: () => Promise<T>): Promise<T> {
  return probe ? probe.clock.measureAsync(phase, probe.layer, fn) : fn();
}
