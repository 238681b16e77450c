/**
 * Exported ONNX models run in ONNX Runtime (onnxruntime-web, its WebAssembly
 * backend in Node) and predict what model.predict does, on both backends.
 */
import { expect, test } from 'vitest';
import type { Engine } from '../../src/index.js';
import { exportOnnx } from '../../src/interop.js';
import { describeBackends } from '../helpers/engines.js';
import { buildModel, inputs, MODEL_CASES } from './models.js';
import { predictVersusOnnxRuntime } from './ort.js';

describeBackends('ONNX Runtime runs exported models', (engine, backend) => {
  test.each(MODEL_CASES)('$name', async (c) => {
    const model = buildModel(engine(), c);
    try {
      const samples = 9;
      const { X } = inputs(model.inputSize, samples);
      const bytes = await exportOnnx(model);
      const { diff } = await predictVersusOnnxRuntime(model, bytes, X);
      console.log(`[interop] ${backend} ${c.name}: ${bytes.length} bytes, max |ORT - predict| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
