/**
 * Export → import → export gives the same bytes (ONNX and safetensors), the
 * imported model predicts what the original did, on both backends; the
 * reference SET-MLP exports within the size floor.
 */
import { describe, expect, test } from 'vitest';
import { Sequential, setMlpLayers } from '../../src/index.js';
import { exportOnnx, exportSafetensors, importOnnx, importSafetensors } from '../../src/interop.js';
import { decodeModel } from '../../src/model/model-file.js';
import { cpuEngine, describeBackends } from '../helpers/engines.js';
import { buildModel, inputs, MODEL_CASES } from './models.js';
import { predictVersusOnnxRuntime } from './ort.js';

const FORMATS = [
  ['onnx', exportOnnx, importOnnx],
  ['safetensors', exportSafetensors, importSafetensors],
] as const;

describeBackends('round trips', (engine) => {
  for (const [format, exporter, importer] of FORMATS) {
    test.each(MODEL_CASES)(`${format}: $name`, async (c) => {
      const model = buildModel(engine(), c);
      const first = await exporter(model);
      const imported = importer(engine(), first);
      try {
        expect(await exporter(imported)).toEqual(first);
        // The same layers, weights and metadata as the original, tensor for tensor (the model file compares them all).
        const original = decodeModel(await model.save());
        const back = decodeModel(await imported.save());
        expect(back.layers.map((l) => l.kind)).toEqual(original.layers.map((l) => l.kind));
        expect(back).toEqual(original);
        const { X } = inputs(model.inputSize, 7);
        expect((await imported.predict(X)).data).toEqual((await model.predict(X)).data);
      } finally {
        model.dispose();
        imported.dispose();
      }
    });
  }
});

describe('the reference SET-MLP (784-1000-1000-1000-10, epsilon 20)', () => {
  test('exports to at most 1.5 MB of ONNX, and ONNX Runtime predicts as the CPU backend does', async () => {
    const engine = await cpuEngine();
    const model = new Sequential(engine, setMlpLayers({ sizes: [784, 1000, 1000, 1000, 10], variant: 'set-csr' }));
    try {
      const nnz = model.parameterCount - (1000 + 1000 + 1000 + 10);
      const denseWeights = 784 * 1000 + 1000 * 1000 * 2 + 1000 * 10;
      const bytes = await exportOnnx(model);
      const safetensors = await exportSafetensors(model);
      console.log(
        `[interop] SET-MLP: ${nnz} weights (${((100 * nnz) / denseWeights).toFixed(2)} %), ONNX ${bytes.length} bytes (${(bytes.length / nnz).toFixed(2)} per weight), ` +
          `safetensors ${safetensors.length} bytes, dense float32 weights ${denseWeights * 4} bytes`,
      );
      expect(nnz / denseWeights).toBeLessThan(0.05);
      expect(bytes.length).toBeLessThanOrEqual(1_500_000);
      const { diff } = await predictVersusOnnxRuntime(model, bytes, inputs(784, 16, 5).X);
      console.log(`[interop] SET-MLP: max |ORT - predict| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
      engine.dispose();
    }
  });
});
