/**
 * Sigmoid and tanh through ONNX and safetensors: exported models run in ONNX
 * Runtime and predict what model.predict does (1e-5, both backends); files
 * round-trip byte for byte; a PyTorch-style graph with Sigmoid and Tanh
 * nodes imports and predicts as ONNX Runtime and a float64 loop do; a
 * metadata entry that disagrees with the graph's operator is refused.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { expect, test } from 'vitest';
import { CSRMatrix, DenseLinear, DenseMatrix, dropout, NMLinear, NMMatrix, RandomStream, relu, Sequential, sigmoid, softmax, SparseLinear, tanh, type ModelLayer } from '../../src/index.js';
import { exportOnnx, exportSafetensors, importOnnx, importSafetensors, InteropFormatError } from '../../src/interop.js';
import { AttributeType, DataType, ModelProtoSchema } from '../../src/interop/onnx-schema.js';
import { cpuEngine, describeBackends } from '../helpers/engines.js';
import { inputs } from './models.js';
import { maxAbsDiff, predictVersusOnnxRuntime } from './ort.js';

// Nonzero biases: a dropped bias must show.
const bias = (n: number, salt: number) => Float32Array.from({ length: n }, (_, k) => Math.fround(Math.cos(salt * 5 + k) * 0.5));
const csr = (inputs: number, out: number, seed: number) => new SparseLinear({ in: inputs, out, weights: CSRMatrix.random({ rows: out, cols: inputs, density: 0.4, seed }), bias: bias(out, seed) });
const nm = (inputs: number, out: number, seed: number) => new NMLinear({ in: inputs, out, weights: NMMatrix.random({ rows: out, cols: inputs, n: 2, m: 4, seed }), bias: bias(out, seed) });
const dense = (inputs: number, out: number, seed: number) => new DenseLinear({ in: inputs, out, weights: DenseMatrix.random(out, inputs, { seed }), bias: bias(out, seed) });

const CASES: Array<{ name: string; layers: () => ModelLayer[]; kinds: string[] }> = [
  {
    name: 'CSR with sigmoid + dropout, N:M with tanh, softmax',
    layers: () => [csr(12, 16, 1), sigmoid(), dropout(0.2), nm(16, 8, 2), tanh(), dense(8, 4, 3), softmax()],
    kinds: ['sparse-linear', 'sigmoid', 'dropout', 'nm-linear', 'tanh', 'dense-linear', 'softmax'],
  },
  {
    // An autoencoder's shape: a [0, 1] output with no softmax.
    name: 'dense tanh hidden layer, sigmoid output',
    layers: () => [dense(10, 6, 4), tanh(), csr(6, 10, 5), sigmoid()],
    kinds: ['dense-linear', 'tanh', 'sparse-linear', 'sigmoid'],
  },
];

// Wide enough (±4 before the weights) to reach both tails of sigmoid and tanh.
const wideInputs = (features: number, samples: number) => inputs(features, samples, 8, 4);

describeBackends('sigmoid and tanh through ONNX and safetensors', (engine, backend) => {
  test.each(CASES)('$name: ONNX Runtime = predict, and both formats round-trip exactly', async (c) => {
    const model = new Sequential(engine(), c.layers());
    try {
      const samples = 11;
      const { X } = wideInputs(model.inputSize, samples);
      const onnx = await exportOnnx(model);
      const { predicted: expected, diff } = await predictVersusOnnxRuntime(model, onnx, X);
      console.log(`[interop activations] ${backend} ${c.name}: max |ORT - predict| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
      // The graph holds the operators (and no node for dropout).
      const ops = fromBinary(ModelProtoSchema, onnx).graph!.node.map((n) => n.opType);
      expect(ops).toEqual(c.kinds.filter((k) => k !== 'dropout').map((k) => ({ sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' })[k] ?? 'Gemm'));

      const st = await exportSafetensors(model);
      for (const [format, bytes, reimport, reexport] of [
        ['onnx', onnx, importOnnx, exportOnnx],
        ['safetensors', st, importSafetensors, exportSafetensors],
      ] as const) {
        const back = reimport(engine(), bytes);
        try {
          expect(back.layers.map((l) => ('kind' in l ? l.kind : '')).filter((k) => k !== ''), format).toEqual(c.kinds.filter((k) => !k.endsWith('-linear')));
          expect(await reexport(back), `${format}: export → import → export gives the same bytes`).toEqual(bytes);
          expect((await back.predict(X)).transpose().data, `${format}: the imported model predicts the same`).toEqual(expected);
        } finally {
          back.dispose();
        }
      }
      const header = new TextDecoder().decode(st.subarray(8, 8 + Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true))));
      const layers = JSON.parse(JSON.parse(header).__metadata__['wgsparse.layers']).layers as Array<{ kind: string }>;
      expect(layers.map((l) => l.kind)).toEqual(c.kinds);
      expect(layers.filter((l) => l.kind === 'sigmoid' || l.kind === 'tanh').every((l) => Object.keys(l).length === 1)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  test('a PyTorch-style graph (Gemm transB = 1, Sigmoid, MatMul + Add, Tanh, Gemm transB = 0) imports and predicts as ONNX Runtime and a float64 loop', async () => {
    const rng = new RandomStream(31, 7);
    const w = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1.5, 1.5));
    const [w1, b1, w2, b2, w3, b3] = [w(7 * 5), w(7), w(7 * 6), w(6), w(6 * 3), w(3)];
    const tensor = (name: string, dims: number[], data: Float32Array) => ({ name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
    const node = (name: string, opType: string, input: string[], output: string, attribute: Array<Record<string, unknown>> = []) => ({ name, opType, input, output: [output], attribute });
    const transB = (v: number) => [{ name: 'transB', type: AttributeType.INT, i: BigInt(v) }];
    const bytes = toBinary(
      ModelProtoSchema,
      create(ModelProtoSchema, {
        irVersion: 8n,
        producerName: 'pytorch',
        opsetImport: [{ domain: '', version: 17n }],
        graph: {
          name: 'main_graph',
          node: [
            node('/fc1/Gemm', 'Gemm', ['x', 'fc1.weight', 'fc1.bias'], 'h1', transB(1)),
            node('/act1/Sigmoid', 'Sigmoid', ['h1'], 'a1'),
            node('/fc2/MatMul', 'MatMul', ['a1', 'fc2.weight'], 'm2'),
            node('/fc2/Add', 'Add', ['m2', 'fc2.bias'], 'h2'),
            node('/act2/Tanh', 'Tanh', ['h2'], 'a2'),
            node('/fc3/Gemm', 'Gemm', ['a2', 'fc3.weight', 'fc3.bias'], 'y', transB(0)),
          ],
          // fc1 as nn.Linear holds it [out, in]; fc2 and fc3 [in, out].
          initializer: [tensor('fc1.weight', [7, 5], w1), tensor('fc1.bias', [7], b1), tensor('fc2.weight', [7, 6], w2), tensor('fc2.bias', [6], b2), tensor('fc3.weight', [6, 3], w3), tensor('fc3.bias', [3], b3)],
          input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 5n }] } } } }],
          output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3n }] } } } }],
        },
      }),
    );
    const model = importOnnx(engine(), bytes);
    try {
      expect(model.layers.map((l) => ('kind' in l ? l.kind : l.constructor.name))).toEqual(['DenseLinear', 'sigmoid', 'DenseLinear', 'tanh', 'DenseLinear']);
      const samples = 9;
      const { X, batchMajor } = wideInputs(5, samples);
      const { predicted, diff: fromOrt } = await predictVersusOnnxRuntime(model, bytes, X);
      // float64, batch-major, from the initializers as the file lays them out.
      const naive: number[] = [];
      for (let s = 0; s < samples; s++) {
        const x = Array.from(batchMajor.subarray(s * 5, s * 5 + 5));
        const a1 = Array.from({ length: 7 }, (_, o) => 1 / (1 + Math.exp(-(b1[o]! + x.reduce((acc, v, i) => acc + v * w1[o * 5 + i]!, 0)))));
        const a2 = Array.from({ length: 6 }, (_, o) => Math.tanh(b2[o]! + a1.reduce((acc, v, i) => acc + v * w2[i * 6 + o]!, 0)));
        for (let o = 0; o < 3; o++) naive.push(b3[o]! + a2.reduce((acc, v, i) => acc + v * w3[i * 3 + o]!, 0));
      }
      console.log(`[interop activations] ${backend} PyTorch-style: max |predict - ORT| = ${fromOrt.toExponential(2)}, |predict - float64| = ${maxAbsDiff(predicted, naive).toExponential(2)}`);
      expect(fromOrt).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(predicted, naive)).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});

test('an exported Sigmoid node swapped for Tanh (or Relu) disagrees with the metadata: a mismatch naming the node', async () => {
  const engine = await cpuEngine();
  const model = new Sequential(engine, [dense(4, 3, 1), sigmoid(), dense(3, 2, 2), softmax()]);
  try {
    const bytes = await exportOnnx(model);
    for (const op of ['Tanh', 'Relu']) {
      const proto = fromBinary(ModelProtoSchema, bytes);
      const node = proto.graph!.node.find((n) => n.opType === 'Sigmoid')!;
      node.opType = op;
      let error: unknown;
      try {
        importOnnx(engine, toBinary(ModelProtoSchema, proto));
      } catch (e) {
        error = e;
      }
      expect(error, op).toBeInstanceOf(InteropFormatError);
      expect((error as InteropFormatError).reason).toBe('mismatch');
      expect((error as InteropFormatError).node).toBe(node.name);
      expect((error as Error).message).toMatch(/sigmoid/);
    }
    // Without the metadata the graph alone decides: the swapped operator is what comes in.
    const proto = fromBinary(ModelProtoSchema, bytes);
    proto.metadataProps = [];
    proto.graph!.node.find((n) => n.opType === 'Sigmoid')!.opType = 'Tanh';
    const plain = importOnnx(engine, toBinary(ModelProtoSchema, proto));
    expect(plain.layers.map((l) => ('kind' in l ? l.kind : 'linear'))).toEqual(['linear', 'tanh', 'linear', 'softmax']);
    plain.dispose();
  } finally {
    model.dispose();
    engine.dispose();
  }
});

test('activation nodes are named <kind><layer index>, as relu nodes always were', async () => {
  const engine = await cpuEngine();
  const model = new Sequential(engine, [dense(4, 3, 1), relu(), dense(3, 3, 2), sigmoid(), dense(3, 2, 3), tanh()]);
  try {
    const nodes = fromBinary(ModelProtoSchema, await exportOnnx(model)).graph!.node.map((n) => `${n.opType}:${n.name}`);
    expect(nodes).toEqual(['Gemm:layer0', 'Relu:relu1', 'Gemm:layer1', 'Sigmoid:sigmoid3', 'Gemm:layer2', 'Tanh:tanh5']);
  } finally {
    model.dispose();
    engine.dispose();
  }
});
