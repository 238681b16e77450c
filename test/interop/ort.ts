/** ONNX Runtime (onnxruntime-web's WebAssembly backend, in Node): the independent engine the exports are checked against. */
import * as ort from 'onnxruntime-web';
import type { DenseMatrix, Sequential } from '../../src/index.js';

ort.env.wasm.numThreads = 1;

/** Runs a one-input, one-output model on a batch-major input (samples × features). */
export async function runOnnx(bytes: Uint8Array, batchMajor: Float32Array, inputShape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', batchMajor, inputShape) });
    return result[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/**
 * model.predict against ONNX Runtime running `onnx` (an export or the file the
 * model was imported from) on the samples of X (features × samples): predict's
 * output batch-major, as ONNX Runtime lays it out, and the largest difference.
 */
export async function predictVersusOnnxRuntime(model: Sequential, onnx: Uint8Array, X: DenseMatrix): Promise<{ predicted: Float32Array; diff: number }> {
  const predicted = (await model.predict(X)).transpose().data;
  const fromOrt = await runOnnx(onnx, X.transpose().data, [X.cols, X.rows]);
  return { predicted, diff: maxAbsDiff(predicted, fromOrt) };
}
