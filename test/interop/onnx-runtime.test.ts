/**
 * Exported ONNX models run in ONNX Runtime (onnxruntime-web, its WebAssembly
 * backend in Node) and predict what model.predict does, on both backends.
 */
import { expect, test } from 'vitest';
import type { Engine } from '../../src/index.js';
import { exportOnnx } from '../../src/interop.js';
import { describeBackends } from '../helpers/engines.js';
import { buildModel, inputs, MODEL_CASES } from './models.js';
import { maxAbsDiff, runOnnx } from './ort.js';

describeBackends('ONNX Runtime runs exported models', (engine, backend) => {
  test.each(MODEL_CASES)('$name', async (c) => {
    const model = buildModel(engine(), c);
    try {
      const samples = 9;
      const { X, batchMajor } = inputs(model.inputSize, samples);
      const expected = (await model.predict(X)).transpose().data;
      const bytes = await exportOnnx(model);
      const got = await runOnnx(bytes, batchMajor, [samples, model.inputSize]);
      const diff = maxAbsDiff(got, expected);
      console.log(`[interop] ${backend} ${c.name}: ${bytes.length} bytes, max |ORT - predict| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
