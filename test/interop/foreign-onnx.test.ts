/**
 * MLPs as PyTorch's and Keras's exporters write them (Gemm with transB = 1,
 * MatMul + Add, a Flatten or Reshape at the input, float_data or raw_data
 * initializers, Constant shapes), built here message by message, import into
 * wgsparse and predict what ONNX Runtime predicts from the same bytes, on
 * both backends; operators wgsparse does not run are refused by name.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { DenseMatrix, RandomStream } from '../../src/index.js';
import { exportOnnx, importOnnx, UnsupportedOperatorError } from '../../src/interop.js';
import { decodeOnnx } from '../../src/interop/onnx.js';
import { AttributeType, DataType, ModelProtoSchema } from '../../src/interop/onnx-schema.js';
import { cpuEngine, describeBackends } from '../helpers/engines.js';
import { maxAbsDiff, runOnnx } from './ort.js';

type Node = { op: string; inputs: string[]; attrs?: Record<string, number | bigint> };
type Init = { name: string; dims: number[]; data: Float32Array | BigInt64Array; as?: 'raw' | 'float_data' | 'int64_data' };

function randomFloats(count: number, seed: number): Float32Array {
  const rng = new RandomStream(seed, 0xf0e1);
  return Float32Array.from({ length: count }, () => rng.uniform(-0.8, 0.8));
}

/** A model as an exporter would write it: nodes named op_index (PyTorch style "/fc1/Gemm" names are tried too). */
function foreignModel(spec: { inputDims: Array<number | string>; outputWidth: number; nodes: Node[]; inits: Init[]; opset?: number; names?: string[] }): Uint8Array {
  let current = 'x';
  const node = spec.nodes.map((n, i) => {
    const output = i === spec.nodes.length - 1 ? 'y' : `t${i}`;
    const built = {
      name: spec.names?.[i] ?? `${n.op}_${i}`,
      opType: n.op,
      input: n.inputs.map((s) => (s === '$' ? current : s)),
      output: [output],
      attribute: Object.entries(n.attrs ?? {}).map(([name, v]) => (typeof v === 'bigint' ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v })),
    };
    if (n.op !== 'Constant') current = output;
    else built.output = [n.inputs[0]!];
    if (n.op === 'Constant') {
      const t = spec.inits.find((x) => x.name === n.inputs[0])!;
      built.input = [];
      built.attribute = [{ name: 'value', type: AttributeType.TENSOR, t: tensor(t) } as never];
    }
    return built;
  });
  const dims = (d: Array<number | string>) => d.map((v) => (typeof v === 'string' ? { dimParam: v } : { dimValue: BigInt(v) }));
  const graph = {
    name: 'torch_jit',
    node,
    initializer: spec.inits.filter((t) => !spec.nodes.some((n) => n.op === 'Constant' && n.inputs[0] === t.name)).map(tensor),
    input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims(spec.inputDims) } } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims(['batch', spec.outputWidth]) } } } }],
  };
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n, producerName: 'pytorch', producerVersion: '2.5.0', graph, opsetImport: [{ domain: '', version: BigInt(spec.opset ?? 17) }] }));
}

function tensor(t: Init) {
  const base = { name: t.name, dims: t.dims.map(BigInt) };
  if (t.data instanceof BigInt64Array) {
    return t.as === 'int64_data' ? { ...base, dataType: DataType.INT64, int64Data: Array.from(t.data) } : { ...base, dataType: DataType.INT64, rawData: new Uint8Array(t.data.buffer.slice(0)) };
  }
  return t.as === 'float_data' ? { ...base, dataType: DataType.FLOAT, floatData: Array.from(t.data) } : { ...base, dataType: DataType.FLOAT, rawData: new Uint8Array(t.data.buffer.slice(0)) };
}

const CASES = [
  {
    // torch.onnx.export of nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1)).
    name: 'PyTorch: Flatten, Gemm (transB = 1), Relu, Softmax',
    inputDims: ['batch', 1, 4, 4],
    outputWidth: 3,
    names: ['/0/Flatten', '/1/Gemm', '/2/Relu', '/3/Gemm', '/4/Softmax'],
    nodes: [
      { op: 'Flatten', inputs: ['$'], attrs: { axis: 1n } },
      { op: 'Gemm', inputs: ['$', 'fc1.weight', 'fc1.bias'], attrs: { alpha: 1, beta: 1, transB: 1n } },
      { op: 'Relu', inputs: ['$'] },
      { op: 'Gemm', inputs: ['$', 'fc2.weight', 'fc2.bias'], attrs: { transB: 1n } },
      { op: 'Softmax', inputs: ['$'], attrs: { axis: 1n } },
    ],
    inits: [
      { name: 'fc1.weight', dims: [8, 16], data: randomFloats(128, 1) },
      { name: 'fc1.bias', dims: [8], data: randomFloats(8, 2) },
      { name: 'fc2.weight', dims: [3, 8], data: randomFloats(24, 3) },
      { name: 'fc2.bias', dims: [3], data: randomFloats(3, 4) },
    ],
  },
  {
    // tf2onnx of a Keras Sequential: Reshape with a Constant shape, MatMul (in × out) + Add, LeakyRelu, float_data.
    name: 'Keras: Reshape (Constant shape), MatMul + Add, LeakyRelu, Softmax',
    inputDims: ['unk__6', 4, 4],
    outputWidth: 5,
    nodes: [
      { op: 'Constant', inputs: ['shape'] },
      { op: 'Reshape', inputs: ['$', 'shape'] },
      { op: 'MatMul', inputs: ['$', 'dense/kernel'] },
      { op: 'Add', inputs: ['$', 'dense/bias'] },
      { op: 'LeakyRelu', inputs: ['$'], attrs: { alpha: 0.2 } },
      { op: 'MatMul', inputs: ['$', 'dense_1/kernel'] },
      { op: 'Add', inputs: ['$', 'dense_1/bias'] },
      { op: 'Softmax', inputs: ['$'], attrs: { axis: -1n } },
    ],
    inits: [
      { name: 'shape', dims: [2], data: BigInt64Array.of(-1n, 16n), as: 'int64_data' as const },
      { name: 'dense/kernel', dims: [16, 10], data: randomFloats(160, 5), as: 'float_data' as const },
      { name: 'dense/bias', dims: [10], data: randomFloats(10, 6), as: 'float_data' as const },
      { name: 'dense_1/kernel', dims: [10, 5], data: randomFloats(50, 7) },
      { name: 'dense_1/bias', dims: [1, 5], data: randomFloats(5, 8) },
    ],
  },
  {
    // Older exporters: Gemm without transB (weight in × out), no bias, opset 11, a MatMul with no Add, Identity.
    name: 'Gemm with transB = 0 and no bias, MatMul without Add, Identity, opset 11',
    inputDims: ['N', 6],
    outputWidth: 2,
    opset: 11,
    nodes: [
      { op: 'Gemm', inputs: ['$', 'w0'] },
      { op: 'Relu', inputs: ['$'] },
      { op: 'Identity', inputs: ['$'] },
      { op: 'MatMul', inputs: ['$', 'w1'] },
    ],
    inits: [
      { name: 'w0', dims: [6, 7], data: randomFloats(42, 9) },
      { name: 'w1', dims: [7, 2], data: randomFloats(14, 10) },
    ],
  },
];

describeBackends('foreign MLPs', (engine, backend) => {
  test.each(CASES)('$name', async (c) => {
    const bytes = foreignModel(c);
    const model = importOnnx(engine(), bytes);
    try {
      const samples = 6;
      const features = model.inputSize;
      const X = DenseMatrix.random(features, samples, { seed: 21, lo: -2, hi: 2 });
      const shape = [samples, ...c.inputDims.slice(1).map(Number)];
      const expected = await runOnnx(bytes, X.transpose().data, shape);
      const got = (await model.predict(X)).transpose().data;
      const diff = maxAbsDiff(got, expected);
      console.log(`[interop] ${backend} import of ${c.name}: max |predict - ORT| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);
      // Imported weights become DenseLinear layers; exporting them again gives a model ONNX Runtime runs the same.
      const again = await exportOnnx(model);
      expect(maxAbsDiff(await runOnnx(again, X.transpose().data, [samples, features]), expected)).toBeLessThanOrEqual(1e-5);
      expect(decodeOnnx(again).layers.map((l) => l.kind)).toEqual(decodeOnnx(bytes).layers.map((l) => l.kind));
    } finally {
      model.dispose();
    }
  });
});

describe('operators wgsparse does not import are refused by name', () => {
  const mlp = (op: string, attrs?: Record<string, number | bigint>) =>
    foreignModel({
      inputDims: ['batch', 4],
      outputWidth: 3,
      names: ['/fc/Gemm', `/act/${op}`],
      nodes: [{ op: 'Gemm', inputs: ['$', 'w', 'b'], attrs: { transB: 1n } }, { op, inputs: ['$'], ...(attrs ? { attrs } : {}) }],
      inits: [
        { name: 'w', dims: [3, 4], data: randomFloats(12, 1) },
        { name: 'b', dims: [3], data: randomFloats(3, 2) },
      ],
    });

  test.each(['Conv', 'BatchNormalization', 'Gelu', 'Elu'])('%s', (op) => {
    let error: unknown;
    try {
      decodeOnnx(mlp(op));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedOperatorError);
    const e = error as UnsupportedOperatorError;
    expect(e.operator).toBe(op);
    expect(e.node).toBe(`/act/${op}`);
    expect(e.message).toContain(`operator ${op}`);
    expect(e.message).toContain(`node /act/${op}`);
  });

  test('unsupported forms of supported operators', () => {
    expect(() => decodeOnnx(mlp('Softmax', { axis: 0n }))).toThrow(/Softmax: axis 0/);
    expect(() => decodeOnnx(mlp('LeakyRelu', { beta: 1 }))).toThrow(/attribute beta is not supported/);
    const scaled = foreignModel({
      inputDims: ['batch', 4],
      outputWidth: 3,
      nodes: [{ op: 'Gemm', inputs: ['$', 'w', 'b'], attrs: { transB: 1n, alpha: 2 } }],
      inits: [
        { name: 'w', dims: [3, 4], data: randomFloats(12, 1) },
        { name: 'b', dims: [3], data: randomFloats(3, 2) },
      ],
    });
    expect(() => decodeOnnx(scaled)).toThrow(UnsupportedOperatorError);
  });

  test('a relu after softmax, or two activations in a row, is not a Sequential', async () => {
    const engine = await cpuEngine();
    try {
      const bytes = foreignModel({
        inputDims: ['batch', 4],
        outputWidth: 3,
        nodes: [
          { op: 'Gemm', inputs: ['$', 'w', 'b'], attrs: { transB: 1n } },
          { op: 'Relu', inputs: ['$'] },
          { op: 'LeakyRelu', inputs: ['$'] },
        ],
        inits: [
          { name: 'w', dims: [3, 4], data: randomFloats(12, 1) },
          { name: 'b', dims: [3], data: randomFloats(3, 2) },
        ],
      });
      expect(() => importOnnx(engine, bytes)).toThrow(/mismatch.*do not form a wgsparse Sequential/);
    } finally {
      engine.dispose();
    }
  });
});
