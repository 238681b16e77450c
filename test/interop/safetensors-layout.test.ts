/**
 * The safetensors layout as docs/interop.md's PyTorch snippet reads it,
 * replayed step by step by an independent reader (header JSON, tensors by
 * data_offsets, torch.sparse_csr_tensor(...).to_dense(), zeros.scatter_ of the
 * N:M positions, nn.Linear, the activations named in __metadata__): its
 * predictions equal model.predict on both backends.
 */
import { expect, test } from 'vitest';
import type { Engine } from '../../src/index.js';
import { exportSafetensors } from '../../src/interop.js';
import { describeBackends } from '../helpers/engines.js';
import { buildModel, inputs, MODEL_CASES } from './models.js';
import { maxAbsDiff } from './ort.js';

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };

function loadFile(bytes: Uint8Array): { metadata: Record<string, string>; tensors: Map<string, { shape: number[]; data: number[] }> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, Entry> & { __metadata__: Record<string, string> };
  const tensors = new Map<string, { shape: number[]; data: number[] }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = e as Entry;
    const at = 8 + n + begin;
    const data: number[] = [];
    for (let p = at; p < 8 + n + end; ) {
      if (dtype === 'F32') (data.push(view.getFloat32(p, true)), (p += 4));
      else if (dtype === 'I64') (data.push(Number(view.getBigInt64(p, true))), (p += 8));
      else if (dtype === 'U8') (data.push(view.getUint8(p)), (p += 1));
      else throw new Error(`dtype ${dtype}`);
    }
    tensors.set(name, { shape, data });
  }
  return { metadata: header.__metadata__, tensors };
}

type Layer = { kind: string; in: number; out: number; m: number; alpha: number };

/** The snippet's network, in float64, on batch-major rows. */
function rebuild(bytes: Uint8Array): (rows: number[][]) => number[][] {
  const { metadata, tensors } = loadFile(bytes);
  const layers = (JSON.parse(metadata['wgsparse.layers']!) as { layers: Layer[] }).layers;
  const steps = layers.map((layer, i) => {
    const part = (name: string) => tensors.get(`layers.${i}.${name}`)!.data;
    if (layer.kind.endsWith('-linear')) {
      const weight = Array.from({ length: layer.out }, () => new Array<number>(layer.in).fill(0));
      if (layer.kind === 'sparse-linear') {
        const [crow, col, values] = [part('crow_indices'), part('col_indices'), part('values')];
        for (let r = 0; r < layer.out; r++) for (let k = crow[r]!; k < crow[r + 1]!; k++) weight[r]![col[k]!] = values[k]!;
      } else if (layer.kind === 'nm-linear') {
        const [values, positions] = [part('values'), part('positions')];
        const shape = tensors.get(`layers.${i}.values`)!.shape as [number, number, number];
        const [, groups, n] = shape;
        for (let r = 0; r < layer.out; r++)
          for (let g = 0; g < groups; g++) for (let s = 0; s < n; s++) weight[r]![g * layer.m + positions[(r * groups + g) * n + s]!] = values[(r * groups + g) * n + s]!;
      } else {
        const data = part('weight');
        for (let r = 0; r < layer.out; r++) for (let c = 0; c < layer.in; c++) weight[r]![c] = data[r * layer.in + c]!;
      }
      const bias = part('bias');
      return (x: number[]) => weight.map((w, r) => w.reduce((s, v, c) => s + v * x[c]!, bias[r]!));
    }
    switch (layer.kind) {
      case 'relu':
        return (x: number[]) => x.map((v) => Math.max(0, v));
      case 'leaky-relu':
        return (x: number[]) => x.map((v) => (v > 0 ? v : layer.alpha * v));
      case 'dropout':
        return (x: number[]) => x;
      case 'softmax':
        return (x: number[]) => {
          const top = Math.max(...x);
          const e = x.map((v) => Math.exp(v - top));
          const sum = e.reduce((a, b) => a + b, 0);
          return e.map((v) => v / sum);
        };
      default:
        throw new Error(`layer kind ${layer.kind}`);
    }
  });
  return (rows) => rows.map((row) => steps.reduce((x, step) => step(x), row));
}

describeBackends('the safetensors file rebuilds the network', (engine) => {
  test.each(MODEL_CASES)('$name', async (c) => {
    const model = buildModel(engine(), c);
    try {
      const samples = 6;
      const { X } = inputs(model.inputSize, samples, 9);
      const rows = X.transpose().toArray();
      const got = rebuild(await exportSafetensors(model))(rows).flat();
      const expected = (await model.predict(X)).transpose().data;
      expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
