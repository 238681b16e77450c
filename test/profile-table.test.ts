/**
 * bench/profile-table.ts (`npm run train -- --profile`): one row per phase in
 * the trainer's order, a column per layer plus the model-wide one, totals and
 * shares of the epoch's training seconds, and what no phase timed.
 */
import { describe, expect, test } from 'vitest';
import { profileTable } from '../bench/profile-table.js';
import type { PhaseTime } from '../src/index.js';

const rows: PhaseTime[] = [
  { phase: 'optimizer', layer: 1, seconds: 0.5, calls: 10 },
  { phase: 'forward product', layer: 0, seconds: 2, calls: 10 },
  { phase: 'forward product', layer: 1, seconds: 1, calls: 10 },
  { phase: 'loss', layer: -1, seconds: 0.25, calls: 10 },
  { phase: 'evolution', layer: -1, seconds: 4, calls: 1 },
];

describe('profileTable', () => {
  test('rows in phase order with per-layer cells, totals and shares; evolution marked as outside the training seconds', () => {
    const lines = profileTable(rows, 5, 2);
    expect(lines[0]).toMatch(/^phase \(seconds\)\s+layer 1\s+layer 2\s+model\s+total s\s+share$/);
    const cells = (line: string) => line.trim().split(/\s{2,}/);
    expect(cells(lines[1]!)).toEqual(['forward product', '2.000', '1.000', '3.000', '60.0 %']);
    expect(cells(lines[2]!)).toEqual(['loss', '0.250', '0.250', '5.0 %']);
    expect(cells(lines[3]!)).toEqual(['optimizer', '0.500', '0.500', '10.0 %']);
    expect(cells(lines[4]!)).toEqual(['evolution (after)', '4.000', '4.000', '80.0 %']);
    // 5 s of training, 3.75 s of it timed by phases (evolution is after the epoch's seconds).
    expect(cells(lines[5]!)).toEqual(['other (untimed)', '1.250', '25.0 %']);
    expect(lines).toHaveLength(6);
  });
});
