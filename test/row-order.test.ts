/**
 * The gpu profile's gather schedule (kernels/row-order.ts): the GPU's counting
 * sort by length bin against its CPU twin and against a naive sort, on row
 * counts around the 256-row blocks, lengths around the 128-entry long-row
 * threshold, empty rows, one very long row and no rows at all.
 */
import { describe, expect, test } from 'vitest';
import { LONG_ROW, longRowThreshold, rowSchedule, SCHEDULE, scheduleWords } from '../kernels/row-order.js';
import { RandomStream } from '../src/index.js';
import { gpuEngine } from './helpers/engines.js';
import { runOnGpu } from './helpers/run-kernel.js';

const gpu = await gpuEngine();

function pointers(lengths: number[]): Uint32Array {
  const ptr = new Uint32Array(lengths.length + 1);
  lengths.forEach((len, r) => (ptr[r + 1] = ptr[r]! + len));
  return ptr;
}

/** Written from the definition: rows sorted by ⌊log2 length⌋ (empty rows last), descending, then by index. */
function naiveSchedule(lengths: number[]): Uint32Array {
  const bin = (len: number) => (len === 0 ? -1 : Math.floor(Math.log2(len)));
  const rows = lengths.map((len, r) => ({ r, b: bin(len) })).sort((a, b) => b.b - a.b || a.r - b.r);
  const ptr = pointers(lengths);
  const out = new Uint32Array(SCHEDULE.header + SCHEDULE.stride * lengths.length);
  const nnz = lengths.reduce((a, b) => a + b, 0);
  // Long: at least 128 entries and 4 × the mean, rounded up to a power of two.
  let threshold = LONG_ROW;
  while (threshold < (4 * nnz) / lengths.length) threshold *= 2;
  out[0] = lengths.filter((len) => len >= threshold).length;
  rows.forEach(({ r }, slot) => out.set([r, ptr[r]!, ptr[r + 1]!], SCHEDULE.header + SCHEDULE.stride * slot));
  return out;
}

const rng = new RandomStream(13);
const cases: Array<{ name: string; lengths: number[] }> = [
  { name: 'one row', lengths: [5] },
  { name: 'lengths around the long-row threshold (127, 128, 129) and empty rows', lengths: [0, 127, 128, 129, 0, 1, 255, 256, 64, 63] },
  { name: '257 rows (two blocks), power law', lengths: Array.from({ length: 257 }, (_, r) => Math.floor(4000 / (r + 1))) },
  { name: '1000 rows, random lengths 0–300', lengths: Array.from({ length: 1000 }, () => rng.nextInt(301)) },
  { name: '700 rows, one of 100000 entries, the rest empty', lengths: Array.from({ length: 700 }, (_, r) => (r === 411 ? 100_000 : 0)) },
  { name: 'every row empty (nnz 0)', lengths: new Array<number>(300).fill(0) },
  { name: 'rows of 150–250 entries: none 4 × the mean, none split', lengths: Array.from({ length: 300 }, () => 150 + rng.nextInt(101)) },
  { name: 'a mean of 200: rows of 1024 and more are long, 1023 is not', lengths: [...new Array<number>(60).fill(180), 1023, 1024, 5000] },
];

describe('row schedule: GPU vs CPU twin vs a naive sort', () => {
  for (const { name, lengths } of cases) {
    test(name, async () => {
      const ptr = pointers(lengths);
      const expected = naiveSchedule(lengths);
      expect(rowSchedule.cpu(ptr, lengths.length)).toEqual(expected);
      expect(await runOnGpu(gpu, rowSchedule, ptr, lengths.length)).toEqual(expected);
    });
  }

  test('no rows: the header alone, no pass recorded', async () => {
    expect(scheduleWords(0)).toBe(SCHEDULE.header);
    expect(rowSchedule.cpu(new Uint32Array(1), 0)).toEqual(new Uint32Array(SCHEDULE.header));
    expect(await runOnGpu(gpu, rowSchedule, new Uint32Array(1), 0)).toEqual(new Uint32Array(SCHEDULE.header));
  });

  test('the long-row threshold: 128 at least, else the power of two at or above 4 × the mean', () => {
    expect(longRowThreshold(100, 0)).toBe(128);
    expect(longRowThreshold(100, 3200)).toBe(128);
    expect(longRowThreshold(100, 3300)).toBe(256);
    expect(longRowThreshold(63, 200 * 63)).toBe(1024);
    expect(longRowThreshold(0, 0)).toBe(128);
  });

  test('the long rows are the first slots', () => {
    // A mean of about 94: rows of 512 and more are long.
    const lengths = [3, 500, 128, 127, 9000, 0, 600, ...new Array<number>(100).fill(2)];
    const s = rowSchedule.cpu(pointers(lengths), lengths.length);
    expect(s[0]).toBe(2);
    expect([0, 1, 2].map((slot) => s[SCHEDULE.header + SCHEDULE.stride * slot])).toEqual([4, 6, 1]);
  });
});
