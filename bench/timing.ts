import type { PreparedOperation } from '../src/index.js';
import { median, minimum } from './stats.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  repeatsPerRun: number;
  timing: 'timestamp' | 'wall';
}

export interface TimingOptions {
  runs: number;
  warmups: number;
  /** Aim for timed runs at least this long, by repeating the product inside one run. */
  targetRunMs: number;
  maxRepeats: number;
}

/**
 * Times a prepared GPU operation: warm-up runs excluded; each timed run
 * records `repeats` products in one compute pass and one submission. With
 * timestamp-query the pass's GPU time is used, else wall time from submit to
 * onSubmittedWorkDone. Returns ms per product.
 */
export async function timeGpuOperation(device: GPUDevice, op: PreparedOperation<unknown>, options: TimingOptions): Promise<Timing> {
  const wallRun = async (repeats: number): Promise<number> => {
    const encoder = device.createCommandEncoder();
    op.encode(encoder, repeats);
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  for (let i = 0; i < options.warmups; i++) await wallRun(1);
  const repeats = await calibrateRepeats(wallRun, options);

  const useTimestamps = device.features.has('timestamp-query');
  const samples: number[] = [];
  if (useTimestamps) {
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      for (let i = 0; i < options.runs; i++) {
        const encoder = device.createCommandEncoder();
        op.encode(encoder, repeats, { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
        encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
        device.queue.submit([encoder.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        const [begin, end] = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        samples.push(Number(end! - begin!) / 1e6 / repeats);
      }
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
    // Some implementations report zeros (quantised or unsupported timestamps): fall back to wall time.
    if (samples.every((s) => s > 0)) return summarise(samples, repeats, 'timestamp');
    samples.length = 0;
  }
  for (let i = 0; i < options.runs; i++) samples.push((await wallRun(repeats)) / repeats);
  return summarise(samples, repeats, 'wall');
}

/** Times a function that runs `repeats` products and returns its own elapsed ms (peers). */
export async function timeRepeated(run: (repeats: number) => Promise<number>, options: TimingOptions): Promise<Timing> {
  for (let i = 0; i < options.warmups; i++) await run(1);
  const repeats = await calibrateRepeats(run, options);
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) samples.push((await run(repeats)) / repeats);
  return summarise(samples, repeats, 'wall');
}

/** Timer resolution can be coarse (browsers: ~0.1 ms); never let a run round to zero. */
const MAX_REPEATS_FOR_RESOLUTION = 1 << 16;

/**
 * Grows the repeats per run until one run lasts at least targetRunMs (or
 * maxRepeats is reached with a measurable time), so short products are not
 * lost in timer resolution and long ones are not repeated needlessly.
 */
async function calibrateRepeats(run: (repeats: number) => Promise<number>, options: TimingOptions): Promise<number> {
  let repeats = 1;
  for (;;) {
    const ms = await run(repeats);
    if (ms >= options.targetRunMs) return repeats;
    if (repeats >= options.maxRepeats && ms > 0) return repeats;
    if (repeats >= MAX_REPEATS_FOR_RESOLUTION) return repeats;
    const grown = ms > 0 ? Math.ceil((repeats * options.targetRunMs) / ms) : repeats * 8;
    repeats = Math.min(ms > 0 ? options.maxRepeats : MAX_REPEATS_FOR_RESOLUTION, Math.max(repeats + 1, grown));
  }
}

function summarise(samples: number[], repeatsPerRun: number, timing: 'timestamp' | 'wall'): Timing {
  return { medianMs: median(samples), minMs: minimum(samples), runs: samples.length, repeatsPerRun, timing };
}
