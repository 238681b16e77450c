// The training step in the GPU execution model: how many dispatches one
// batch of Sequential.fit submits on WebGPU, counted from what the trainer
// really encodes (src/model/gpu-trainer.ts records the step once; a wrapper
// on GpuContext.encode sees it), for the reference SET-MLP on both kernel
// profiles, fused (the default) and with the separate passes it replaced.
// Counting needs a WebGPU device (SwiftShader will do: nothing is timed).
import { createEngine, Sequential, setMlpLayers, sgd, syntheticClassification, type Engine, type ModelLayer } from '../../src/index.js';
import type { KernelProfile } from '../../src/gpu/kernel-profile.js';
import type { Step } from '../../src/gpu/gpu-context.js';
import { trainStepRecording } from '../../src/model/gpu-trainer.js';

/** The label GpuTrainer submits a training step under. */
const STEP_LABEL = 'Sequential train step';

export interface StepCount {
  /** Dispatches of one training step (copies and empty dispatches excluded). */
  dispatches: number;
  /** Workgroups of each dispatch, in order. */
  workgroups: number[];
}

/** Fits `layers` for one batch on `engine` and counts what the trainer encoded for that step. */
export async function countTrainStep(engine: Engine, layers: ModelLayer[], features: number, classes: number, batch: number): Promise<StepCount> {
  const ctx = engine.gpuContextForLayers();
  if (!ctx) throw new Error('countTrainStep needs a WebGPU engine');
  const data = syntheticClassification({ count: batch, features, classes, seed: 5 });
  const model = new Sequential(engine, layers);
  const seen: Step[][] = [];
  const encode = ctx.encode.bind(ctx);
  ctx.encode = (encoder, steps, label, timestamps) => {
    if (label === STEP_LABEL) seen.push([...steps]);
    encode(encoder, steps, label, timestamps);
  };
  try {
    await model.fit(data, { epochs: 1, batchSize: batch, seed: 3, optimizer: sgd({ lr: 0.01, momentum: 0.9, weightDecay: 0.0002 }) });
  } finally {
    ctx.encode = encode;
    model.dispose();
  }
  if (seen.length !== 1) throw new Error(`expected one recorded training step for one batch, saw ${seen.length}`);
  const workgroups = seen[0]!.flatMap((s) => ('copy' in s || s.workgroups === 0 ? [] : [s.workgroups]));
  return { dispatches: workgroups.length, workgroups };
}

/** The SET reference's MLP (784-1000-1000-1000-10, CSR at ε = 20, alternated leaky ReLU, dropout 0.3, softmax). */
export function referenceMlp(): ModelLayer[] {
  return setMlpLayers({ sizes: [784, 1000, 1000, 1000, 10], variant: 'set-csr', epsilon: 20, dropoutRate: 0.3, seed: 1 });
}

/** One row of `model.trainSteps` in the benchmark JSON. */
export interface TrainStepModel {
  model: string;
  profile: KernelProfile;
  /** The fused step (default) or the separate passes (trainStepRecording.fused = false). */
  fused: boolean;
  batch: number;
  dispatches: number;
  /** Dispatches of fewer than 8 workgroups: too small to fill a GPU. */
  smallDispatches: number;
  workgroups: number[];
}

/** Counts the reference MLP's step (batch 128, SGD) on both profiles, fused and separate, on one device. */
export async function modelTrainSteps(device?: GPUDevice): Promise<TrainStepModel[]> {
  const rows: TrainStepModel[] = [];
  const base = device ? undefined : await createEngine({ backend: 'webgpu' });
  try {
    const shared = device ?? base!.device!;
    for (const profile of ['emulation', 'gpu'] as const) {
      const engine = await createEngine({ backend: 'webgpu', device: shared, kernels: profile });
      try {
        for (const fused of [true, false]) {
          trainStepRecording.fused = fused;
          try {
            const c = await countTrainStep(engine, referenceMlp(), 784, 10, 128);
            rows.push({ model: 'reference SET-MLP 784-1000-1000-1000-10', profile, fused, batch: 128, dispatches: c.dispatches, smallDispatches: c.workgroups.filter((w) => w < 8).length, workgroups: c.workgroups });
          } finally {
            trainStepRecording.fused = true;
          }
        }
      } finally {
        engine.dispose();
      }
    }
  } finally {
    base?.dispose();
  }
  return rows;
}

/** The lines the CLI prints. */
export function formatTrainSteps(rows: readonly TrainStepModel[]): string {
  return rows
    .map((r) => `train step, ${r.model}, batch ${r.batch}, ${r.profile} profile, ${r.fused ? 'fused' : 'separate passes'}: ${r.dispatches} dispatches (${r.smallDispatches} of under 8 workgroups)`)
    .join('\n');
}
