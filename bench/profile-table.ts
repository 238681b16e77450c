// `npm run train -- --profile`: an epoch's EpochLog.profile as a table, one
// row per phase, one column per layer (1-based, input layer first) and one
// for the model-wide phases (batch copy, loss, evaluation, evolution), with
// each phase's share of the epoch's training seconds.
import { TRAINING_PHASES, type PhaseTime } from '../src/index.js';

/** Phases outside the epoch's training seconds (EpochLog.seconds): their share is of that time too, but they add to it. */
const OUTSIDE_TRAINING = new Set(['evaluation', 'evolution']);

const seconds = (s: number | undefined): string => (s === undefined ? '' : s.toFixed(3));

/** The table's lines (no trailing newline); `layers` is the model's linear layer count. */
export function profileTable(rows: readonly PhaseTime[], trainingSeconds: number, layers: number): string[] {
  const columns = [...Array.from({ length: layers }, (_, i) => `layer ${i + 1}`), 'model', 'total s', 'share'];
  const phaseWidth = Math.max(...TRAINING_PHASES.map((p) => p.length)) + 2;
  const cell = (text: string) => text.padStart(10);
  const lines = [`${'phase (seconds)'.padEnd(phaseWidth)}${columns.map(cell).join('')}`];
  let timed = 0;
  for (const phase of TRAINING_PHASES) {
    const of = rows.filter((r) => r.phase === phase);
    if (of.length === 0) continue;
    const total = of.reduce((sum, r) => sum + r.seconds, 0);
    if (!OUTSIDE_TRAINING.has(phase)) timed += total;
    const byLayer = (layer: number) => seconds(of.find((r) => r.layer === layer)?.seconds);
    const share = trainingSeconds > 0 ? `${((100 * total) / trainingSeconds).toFixed(1)} %` : '';
    const label = OUTSIDE_TRAINING.has(phase) ? `${phase} (after)` : phase;
    lines.push(`${label.padEnd(phaseWidth)}${[...Array.from({ length: layers }, (_, i) => byLayer(i)), byLayer(-1), seconds(total), share].map(cell).join('')}`);
  }
  // What no phase covers: the loop, the batch's metrics, the progress callbacks and the trainer's own bookkeeping.
  const rest = trainingSeconds - timed;
  lines.push(`${'other (untimed)'.padEnd(phaseWidth)}${[...Array.from({ length: layers + 1 }, () => ''), seconds(rest), trainingSeconds > 0 ? `${((100 * rest) / trainingSeconds).toFixed(1)} %` : ''].map(cell).join('')}`);
  return lines;
}
