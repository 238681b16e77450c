import type { PreparedOperation } from '../src/index.js';
import { median, minimum } from './stats.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  repeatsPerRun: number;
  timing: 'timestamp' | 'wall';
}

/** The Timing fields of a case result, exactly (a timer's result may carry more). */
export function timingFields(t: Timing): Timing {
  return { medianMs: t.medianMs, minMs: t.minMs, runs: t.runs, repeatsPerRun: t.repeatsPerRun, timing: t.timing };
}

export interface TimingOptions {
  runs: number;
  warmups: number;
  /** Aim for timed runs at least this long, by repeating the product inside one run. */
  targetRunMs: number;
  maxRepeats: number;
}

/**
 * One thing to time, a run at a time, so that several can take turns: the
 * ratios the benchmark reports then compare runs taken under the same
 * conditions, not runs minutes apart on a shared, drifting machine.
 */
export interface Sampler {
  /** Warm-up runs (excluded) and calibration of the products per run. */
  prepare(): Promise<void>;
  /** One timed run: milliseconds per product. */
  sample(): Promise<number>;
  readonly repeatsPerRun: number;
  readonly timing: 'timestamp' | 'wall';
  /** Releases what the sampler created (not the operation it times). */
  dispose(): void;
}

/**
 * Samples a prepared GPU operation: each run records `repeats` products in one
 * compute pass and one submission. With timestamp-query the pass's GPU time
 * is used, else wall time from submit to onSubmittedWorkDone.
 */
export function gpuSampler(device: GPUDevice, op: PreparedOperation<unknown>, options: TimingOptions): Sampler {
  let repeats = 1;
  let timestamps: { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | undefined;
  const wallRun = async (n: number): Promise<number> => {
    const encoder = device.createCommandEncoder();
    op.encode(encoder, n);
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  const timestampRun = async (): Promise<number> => {
    const { querySet, resolve, read } = timestamps!;
    const encoder = device.createCommandEncoder();
    op.encode(encoder, repeats, { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    return Number(end! - begin!) / 1e6 / repeats;
  };
  const dropTimestamps = () => {
    timestamps?.querySet.destroy();
    timestamps?.resolve.destroy();
    timestamps?.read.destroy();
    timestamps = undefined;
  };
  return {
    get repeatsPerRun() {
      return repeats;
    },
    get timing() {
      return timestamps ? 'timestamp' : 'wall';
    },
    async prepare() {
      for (let i = 0; i < options.warmups; i++) await wallRun(1);
      repeats = await calibrateRepeats(wallRun, options);
      if (!device.features.has('timestamp-query')) return;
      timestamps = {
        querySet: device.createQuerySet({ type: 'timestamp', count: 2 }),
        resolve: device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
      // Some implementations report zeros (quantised or unsupported timestamps): use wall time there.
      if (!((await timestampRun()) > 0)) dropTimestamps();
    },
    async sample() {
      if (timestamps) {
        const ms = await timestampRun();
        if (ms > 0) return ms;
        dropTimestamps(); // a zero mid-way: wall time from here on, and the case says 'wall'
      }
      return (await wallRun(repeats)) / repeats;
    },
    dispose: dropTimestamps,
  };
}

/** Samples a function that runs `repeats` products and returns its own elapsed ms (CPU kernels, peers). */
export function repeatedSampler(run: (repeats: number) => Promise<number>, options: TimingOptions): Sampler {
  let repeats = 1;
  return {
    get repeatsPerRun() {
      return repeats;
    },
    timing: 'wall',
    async prepare() {
      for (let i = 0; i < options.warmups; i++) await run(1);
      repeats = await calibrateRepeats(run, options);
    },
    async sample() {
      return (await run(repeats)) / repeats;
    },
    dispose() {},
  };
}

/**
 * Times samplers in turns: all are prepared, then each round takes one run of
 * every sampler, starting one further along each round so none always runs
 * right after the same neighbour. Returns one Timing per sampler, in order.
 */
export async function timeInterleaved(samplers: readonly Sampler[], runs: number): Promise<Timing[]> {
  for (const s of samplers) await s.prepare();
  const samples = samplers.map(() => [] as number[]);
  const modes = samplers.map((s) => s.timing);
  // Usually exactly `runs` rounds; more only for a sampler that had to start over.
  for (let round = 0; samples.some((x) => x.length < runs); round++) {
    for (let j = 0; j < samplers.length; j++) {
      const i = (round + j) % samplers.length;
      if (samples[i]!.length >= runs) continue;
      const ms = await samplers[i]!.sample();
      if (samplers[i]!.timing !== modes[i]) {
        // Timestamps stopped working mid-way: GPU pass times and wall times do
        // not mix in one median, so the case starts over in its new mode.
        samples[i]!.length = 0;
        modes[i] = samplers[i]!.timing;
      }
      samples[i]!.push(ms);
    }
  }
  return samplers.map((s, i) => ({ medianMs: median(samples[i]!), minMs: minimum(samples[i]!), runs: runs, repeatsPerRun: s.repeatsPerRun, timing: s.timing }));
}

/** Times one prepared GPU operation on its own (see gpuSampler). Returns ms per product. */
export async function timeGpuOperation(device: GPUDevice, op: PreparedOperation<unknown>, options: TimingOptions): Promise<Timing> {
  const sampler = gpuSampler(device, op, options);
  try {
    return (await timeInterleaved([sampler], options.runs))[0]!;
  } finally {
    sampler.dispose();
  }
}

/** Times one function that runs `repeats` products and returns its own elapsed ms. */
export async function timeRepeated(run: (repeats: number) => Promise<number>, options: TimingOptions): Promise<Timing> {
  return (await timeInterleaved([repeatedSampler(run, options)], options.runs))[0]!;
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
