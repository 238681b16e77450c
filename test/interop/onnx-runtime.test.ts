/**
 * Exported ONNX models run in ONNX Runtime (onnxruntime-web, its WebAssembly
 * backend in Node) and predict what model.predict does, on both backends.
 */
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Engine } from '../../src/index.js';
import { exportOnnx } from '../../src/interop.js';
import { cpuEngine, gpuEngine } from '../helpers/engines.js';
import { buildModel, inputs, MODEL_CASES } from './models.js';

ort.env.wasm.numThreads = 1;

export async function runOnnx(bytes: Uint8Array, batchMajor: Float32Array, features: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const samples = batchMajor.length / features;
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', batchMajor, [samples, features]) });
    return result[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe.each([
  ['cpu', cpuEngine],
  ['webgpu', gpuEngine],
] as const)('ONNX Runtime runs exported models (%s backend)', (backend, makeEngine) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine();
  });
  afterAll(() => {
    if (backend === 'cpu') engine.dispose();
  });

  test.each(MODEL_CASES)('$name', async (c) => {
    const model = buildModel(engine, c);
    try {
      const samples = 9;
      const { X, batchMajor } = inputs(model.inputSize, samples);
      const expected = (await model.predict(X)).transpose().data;
      const bytes = await exportOnnx(model);
      const got = await runOnnx(bytes, batchMajor, model.inputSize);
      const diff = maxAbsDiff(got, expected);
      console.log(`[interop] ${backend} ${c.name}: ${bytes.length} bytes, max |ORT - predict| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
