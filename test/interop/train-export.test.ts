/**
 * `npm run train -- --export onnx --export safetensors` writes the trained
 * model next to its results file, and both files import back into the model
 * that was trained (ONNX Runtime runs the ONNX one as it does).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { main } from '../../bench/train-cli.js';
import { DenseMatrix } from '../../src/index.js';
import { importOnnx, importSafetensors } from '../../src/interop.js';
import { cpuEngine } from '../helpers/engines.js';
import { maxAbsDiff, runOnnx } from './ort.js';

test('the train CLI exports the trained model as ONNX and safetensors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgsparse-train-export-'));
  const engine = await cpuEngine();
  try {
    const out = join(dir, 'run.json');
    const argv = ['--data', 'synthetic', '--preset', 'small', '--hidden', '32-16', '--epochs', '2', '--train', '256', '--test', '64', '--backend', 'cpu', '--out', out, '--export', 'onnx', '--export', 'safetensors'];
    expect(await main(argv, { write: () => true, isTTY: false } as never)).toBe(0);
    const onnx = new Uint8Array(readFileSync(join(dir, 'run.onnx')));
    const st = new Uint8Array(readFileSync(join(dir, 'run.safetensors')));
    const a = importOnnx(engine, onnx);
    const b = importSafetensors(engine, st);
    try {
      // The CSR variant of the SET-MLP preset: dropout is not in ONNX's inference graph but comes back from its metadata.
      const kinds = ['SparseLinear', 'leaky-relu', 'dropout', 'SparseLinear', 'leaky-relu', 'dropout', 'SparseLinear', 'softmax'];
      expect(a.layers.map((l) => ('kind' in l ? l.kind : l.constructor.name))).toEqual(kinds);
      expect(b.layers.map((l) => ('kind' in l ? l.kind : l.constructor.name))).toEqual(kinds);
      const X = DenseMatrix.random(784, 5, { seed: 4, lo: 0, hi: 1 });
      const fromOnnx = (await a.predict(X)).transpose().data;
      expect(maxAbsDiff(fromOnnx, (await b.predict(X)).transpose().data)).toBe(0);
      expect(maxAbsDiff(await runOnnx(onnx, X.transpose().data, [5, 784]), fromOnnx)).toBeLessThanOrEqual(1e-5);
    } finally {
      a.dispose();
      b.dispose();
    }
  } finally {
    engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--export refuses a format it does not know, by name', async () => {
  expect(await main(['--export', 'tflite'])).toBe(2);
});
