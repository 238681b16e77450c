/**
 * ONNX in and out (docs/interop.md). A Sequential becomes a chain of Gemm
 * (transB = 1) nodes with Relu / LeakyRelu / Sigmoid / Tanh / Softmax between them; a sparse
 * layer's weight is a sparse initializer (values + linear int64 indices, so
 * the file grows with the nonzeros), a dense one an ordinary initializer.
 * What ONNX cannot say (the layer format, N:M's n and m, the initialisation,
 * dropout) travels in metadata_props["wgsparse.layers"], so export → import
 * → export gives the same bytes.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { CSRMatrix } from '../formats/csr.js';
import { DenseMatrix } from '../formats/dense.js';
import type { WeightInit } from '../formats/init.js';
import { NMMatrix, packPositions } from '../formats/nm.js';
import { checkChain, type LayerSnapshot, type ModelSnapshot } from '../model/model-file.js';
import { InteropFormatError, UnsupportedOperatorError } from './errors.js';
import {
  AttributeType,
  DataType,
  GraphProtoSchema,
  ModelProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type SparseTensorProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-schema.js';
import { checkSnapshot, layerMetaJson, type LinearKind, type LayerMeta, readLayerMeta } from './snapshot.js';

import { ONNX_IR_VERSION, ONNX_METADATA_KEY, ONNX_OPSET } from './constants.js';

const INPUT = 'input';
const OUTPUT = 'output';

/** The activations without attributes and their ONNX operators, one table for both directions. */
const PLAIN_OPERATORS = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' } as const;
type PlainKind = keyof typeof PLAIN_OPERATORS;
const PLAIN_KINDS = new Map(Object.entries(PLAIN_OPERATORS).map(([kind, op]) => [op as string, kind as PlainKind]));

// ---------------------------------------------------------------- export

function f32Bytes(data: Float32Array): Uint8Array {
  // ONNX raw_data is little-endian, as is every host wgsparse runs on (model-file.ts checks the same).
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function floatTensor(name: string, dims: number[], data: Float32Array) {
  return { name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData: f32Bytes(data) };
}

/** A CSR or N:M weight as a SparseTensorProto: values and ascending linear indices r·cols + c. */
function sparseWeight(name: string, W: CSRMatrix | NMMatrix) {
  const nnz = W.nnz;
  const columns = W instanceof CSRMatrix ? W.colIdx : W.slotColumns();
  const rowPtr = W instanceof CSRMatrix ? W.rowPtr : W.rowPointers();
  // int64_data is a packed varint: an index below 2^21 takes 3 bytes, not raw_data's 8.
  const indices = new Array<bigint>(nnz);
  for (let r = 0; r < W.rows; r++) {
    for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) indices[k] = BigInt(r * W.cols + columns[k]!);
  }
  return {
    values: floatTensor(name, [nnz], W.values),
    indices: { name: `${name}.indices`, dims: [BigInt(nnz)], dataType: DataType.INT64, int64Data: indices },
    dims: [BigInt(W.rows), BigInt(W.cols)],
  };
}

function intAttribute(name: string, value: number) {
  return { name, type: AttributeType.INT, i: BigInt(value) };
}

function valueInfo(name: string, width: number) {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: BigInt(width) }] } } } };
}

/**
 * The ONNX bytes of a layer stack (inference graph; dropout is left out of
 * the graph and kept in the metadata). Throws InvalidArgumentError for a
 * snapshot that is not a Sequential's.
 */
export function encodeOnnx(snapshot: ModelSnapshot, options: { producerVersion?: string } = {}): Uint8Array {
  checkSnapshot(snapshot);
  const nodes: Array<Record<string, unknown>> = [];
  const initializer: Array<ReturnType<typeof floatTensor>> = [];
  const sparseInitializer: Array<ReturnType<typeof sparseWeight>> = [];
  let current = INPUT;
  let linear = 0;
  let width = 0;
  let inputWidth = 0;
  const emit = (opType: string, name: string, inputs: string[], attribute: Array<Record<string, unknown>> = []) => {
    const output = `${name}.out`;
    nodes.push({ input: inputs, output: [output], name, opType, attribute });
    current = output;
  };
  snapshot.layers.forEach((layer, i) => {
    switch (layer.kind) {
      case 'sparse-linear':
      case 'nm-linear':
      case 'dense-linear': {
        const name = `layer${linear++}`;
        if (linear === 1) inputWidth = layer.W.cols;
        width = layer.W.rows;
        if (layer.kind === 'dense-linear') initializer.push(floatTensor(`${name}.weight`, [layer.W.rows, layer.W.cols], layer.W.data));
        else sparseInitializer.push(sparseWeight(`${name}.weight`, layer.W));
        initializer.push(floatTensor(`${name}.bias`, [layer.W.rows], layer.bias));
        emit('Gemm', name, [current, `${name}.weight`, `${name}.bias`], [intAttribute('transB', 1)]);
        return;
      }
      case 'relu':
      case 'sigmoid':
      case 'tanh':
        emit(PLAIN_OPERATORS[layer.kind], `${layer.kind}${i}`, [current]);
        return;
      case 'leaky-relu':
        emit('LeakyRelu', `leaky_relu${i}`, [current], [{ name: 'alpha', type: AttributeType.FLOAT, f: layer.alpha }]);
        return;
      case 'softmax':
        emit('Softmax', `softmax${i}`, [current], [intAttribute('axis', -1)]);
        return;
      case 'dropout':
        return;
    }
  });
  const last = nodes[nodes.length - 1]!;
  last.output = [OUTPUT];
  const graph = create(GraphProtoSchema, {
    name: 'wgsparse',
    node: nodes,
    initializer,
    sparseInitializer,
    input: [valueInfo(INPUT, inputWidth)],
    output: [valueInfo(OUTPUT, width)],
  });
  const meta = layerMetaJson(snapshot);
  const head = create(ModelProtoSchema, {
    irVersion: BigInt(ONNX_IR_VERSION),
    producerName: 'wgsparse',
    producerVersion: options.producerVersion ?? '',
    opsetImport: [{ domain: '', version: BigInt(ONNX_OPSET) }],
    metadataProps: [{ key: ONNX_METADATA_KEY, value: meta }],
  });
  // The graph goes last, as one length-delimited field: a file cut anywhere
  // then lacks its graph or ends inside it, so no prefix of it parses as a
  // smaller valid model (protobuf has no end marker of its own).
  const writer = new BinaryWriter();
  writer.raw(toBinary(ModelProtoSchema, head));
  writer.tag(7, WireType.LengthDelimited).bytes(toBinary(GraphProtoSchema, graph));
  return writer.finish();
}

// ---------------------------------------------------------------- import

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);
const MIN_OPSET = 7;

function dtypeName(t: number): string {
  const entry = Object.entries(DataType).find(([, v]) => v === t);
  return entry ? entry[0].toLowerCase() : `data type ${t}`;
}

function fail(reason: 'truncated' | 'corrupt' | 'dtype' | 'mismatch' | 'unsupported', message: string, where: { node?: string; tensor?: string; cause?: unknown } = {}): never {
  throw new InteropFormatError('onnx', reason, message, where);
}

function dimsOf(t: { dims: bigint[] }, tensor: string): number[] {
  return t.dims.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) fail('corrupt', `dimension ${d} is not a size`, { tensor });
    return Number(d);
  });
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkInline(t: TensorProto, tensor: string): void {
  if (t.dataLocation !== 0 || t.externalData.length > 0) fail('unsupported', 'tensor data stored outside the file (external data) cannot be imported from bytes', { tensor });
}

/** A float32 tensor's values (raw_data or float_data), checked against its dims and for finiteness. */
function readFloats(t: TensorProto, tensor: string): { dims: number[]; data: Float32Array } {
  checkInline(t, tensor);
  if (t.dataType !== DataType.FLOAT) fail('dtype', `must be float32, is ${dtypeName(t.dataType)}`, { tensor });
  const dims = dimsOf(t, tensor);
  const count = elementCount(dims);
  let data: Float32Array;
  if (t.rawData.length > 0 || t.floatData.length === 0) {
    if (t.floatData.length > 0) fail('corrupt', 'has both raw_data and float_data', { tensor });
    if (t.rawData.length !== count * 4) fail('mismatch', `has ${t.rawData.length} bytes of raw_data but its shape [${dims.join(', ')}] needs ${count * 4}`, { tensor });
    data = new Float32Array(t.rawData.slice().buffer);
  } else {
    if (t.floatData.length !== count) fail('mismatch', `has ${t.floatData.length} float_data values but its shape [${dims.join(', ')}] needs ${count}`, { tensor });
    data = Float32Array.from(t.floatData);
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]!)) fail('corrupt', `element ${k} is ${data[k]}; weights must be finite`, { tensor });
  }
  return { dims, data };
}

/** An int64 tensor's values (raw_data or int64_data) as numbers, each checked to be a safe non-negative integer. */
function readIndices(t: TensorProto, tensor: string): { dims: number[]; data: Float64Array } {
  checkInline(t, tensor);
  if (t.dataType !== DataType.INT64) fail('dtype', `sparse indices must be int64 (the ONNX specification), are ${dtypeName(t.dataType)}`, { tensor });
  const dims = dimsOf(t, tensor);
  const count = elementCount(dims);
  const data = new Float64Array(count);
  if (t.rawData.length > 0) {
    if (t.int64Data.length > 0) fail('corrupt', 'has both raw_data and int64_data', { tensor });
    if (t.rawData.length !== count * 8) fail('mismatch', `has ${t.rawData.length} bytes of raw_data but its shape [${dims.join(', ')}] needs ${count * 8}`, { tensor });
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let k = 0; k < count; k++) {
      const v = view.getBigInt64(k * 8, true);
      if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) fail('corrupt', `index ${k} is ${v}`, { tensor });
      data[k] = Number(v);
    }
  } else {
    if (t.int64Data.length !== count) fail('mismatch', `has ${t.int64Data.length} int64_data values but its shape [${dims.join(', ')}] needs ${count}`, { tensor });
    for (let k = 0; k < count; k++) {
      const v = t.int64Data[k]!;
      if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) fail('corrupt', `index ${k} is ${v}`, { tensor });
      data[k] = Number(v);
    }
  }
  return { dims, data };
}

/** A weight as rows × cols nonzeros: from a sparse initializer, kept sparse (COO, row-major order). */
interface SparseWeight {
  kind: 'sparse';
  rows: number;
  cols: number;
  rowIdx: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}
interface DenseWeight {
  kind: 'dense';
  dims: number[];
  data: Float32Array;
}

function readSparse(s: SparseTensorProto, name: string): SparseWeight {
  if (!s.values || !s.indices) fail('corrupt', 'a sparse initializer needs both values and indices', { tensor: name });
  const dims = dimsOf(s, name);
  if (dims.length !== 2) fail('unsupported', `a sparse weight must be a matrix; its shape is [${dims.join(', ')}]`, { tensor: name });
  const [rows, cols] = dims as [number, number];
  const values = readFloats(s.values, name);
  if (values.dims.length !== 1) fail('mismatch', `sparse values must be 1-D, are [${values.dims.join(', ')}]`, { tensor: name });
  const nnz = values.data.length;
  const idx = readIndices(s.indices, `${name} indices`);
  const linear = idx.dims.length === 1;
  if (!(linear ? idx.dims[0] === nnz : idx.dims.length === 2 && idx.dims[0] === nnz && idx.dims[1] === 2)) {
    fail('mismatch', `indices of shape [${idx.dims.join(', ')}] do not fit ${nnz} values of a rank-2 tensor (need [${nnz}] or [${nnz}, 2])`, { tensor: name });
  }
  const rowIdx = new Uint32Array(nnz);
  const colIdx = new Uint32Array(nnz);
  let prev = -1;
  for (let k = 0; k < nnz; k++) {
    const r = linear ? Math.floor(idx.data[k]! / cols) : idx.data[2 * k]!;
    const c = linear ? idx.data[k]! % cols : idx.data[2 * k + 1]!;
    if (r >= rows || c >= cols) fail('corrupt', `nonzero ${k} at (${r}, ${c}) lies outside the ${rows} × ${cols} shape`, { tensor: name });
    const at = r * cols + c;
    if (at <= prev) fail('corrupt', `nonzero ${k}: indices must strictly increase (the ONNX specification), found (${r}, ${c}) after linear index ${prev}`, { tensor: name });
    prev = at;
    rowIdx[k] = r;
    colIdx[k] = c;
  }
  return { kind: 'sparse', rows, cols, rowIdx, colIdx, values: values.data };
}

function toCsr(w: SparseWeight): CSRMatrix {
  const rowPtr = new Uint32Array(w.rows + 1);
  for (let k = 0; k < w.rowIdx.length; k++) rowPtr[w.rowIdx[k]! + 1]!++;
  for (let r = 0; r < w.rows; r++) rowPtr[r + 1]! += rowPtr[r]!;
  return new CSRMatrix({ rows: w.rows, cols: w.cols, rowPtr, colIdx: w.colIdx, values: w.values });
}

function transposeSparse(w: SparseWeight): SparseWeight {
  // Sort (col, row) pairs into the transpose's row-major order.
  const order = Array.from(w.values.keys()).sort((a, b) => w.colIdx[a]! - w.colIdx[b]! || w.rowIdx[a]! - w.rowIdx[b]!);
  return {
    kind: 'sparse',
    rows: w.cols,
    cols: w.rows,
    rowIdx: Uint32Array.from(order, (k) => w.colIdx[k]!),
    colIdx: Uint32Array.from(order, (k) => w.rowIdx[k]!),
    values: Float32Array.from(order, (k) => w.values[k]!),
  };
}

function transposeDense(rows: number, cols: number, data: Float32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function toNm(w: SparseWeight, n: number, m: number, tensor: string): NMMatrix {
  if (w.cols % m !== 0) fail('mismatch', `an ${n}:${m} weight needs a multiple of ${m} columns, has ${w.cols}`, { tensor });
  const groups = w.cols / m;
  const slots = w.rows * groups * n;
  if (w.values.length !== slots) fail('mismatch', `an ${n}:${m} weight of ${w.rows} × ${w.cols} has ${slots} slots, the file holds ${w.values.length} values`, { tensor });
  const positions = new Uint8Array(slots);
  for (let s = 0; s < slots; s++) {
    const group = Math.floor(s / n);
    const r = Math.floor(group / groups);
    const g = group % groups;
    if (w.rowIdx[s] !== r || Math.floor(w.colIdx[s]! / m) !== g) fail('corrupt', `slot ${s} is not in group ${g} of row ${r}: every group of ${m} must keep exactly ${n}`, { tensor });
    positions[s] = w.colIdx[s]! % m;
  }
  return new NMMatrix({ rows: w.rows, cols: w.cols, n, m, values: w.values, indices: packPositions(positions, m) });
}

function attributes(node: NodeProto, where: string): Map<string, AttributeProto> {
  const map = new Map<string, AttributeProto>();
  for (const a of node.attribute) {
    if (a.refAttrName !== '') throw new UnsupportedOperatorError(node.opType, where, `attribute ${a.name} refers to a function attribute`);
    if (map.has(a.name)) fail('corrupt', `attribute ${a.name} is given twice`, { node: where });
    map.set(a.name, a);
  }
  return map;
}

function intAttr(attrs: Map<string, AttributeProto>, name: string, fallback: number, node: NodeProto, where: string): number {
  const a = attrs.get(name);
  if (!a) return fallback;
  if (a.type !== AttributeType.INT && a.type !== 0) fail('corrupt', `attribute ${name} must be an int`, { node: where });
  if (a.i < -(2n ** 31n) || a.i >= 2n ** 31n) throw new UnsupportedOperatorError(node.opType, where, `attribute ${name} = ${a.i} is out of range`);
  return Number(a.i);
}

function floatAttr(attrs: Map<string, AttributeProto>, name: string, fallback: number, where: string): number {
  const a = attrs.get(name);
  if (!a) return fallback;
  if (a.type !== AttributeType.FLOAT && a.type !== 0) fail('corrupt', `attribute ${name} must be a float`, { node: where });
  if (!Number.isFinite(a.f)) fail('corrupt', `attribute ${name} is ${a.f}`, { node: where });
  return a.f;
}

function allowOnly(attrs: Map<string, AttributeProto>, allowed: string[], node: NodeProto, where: string): void {
  for (const name of attrs.keys()) {
    if (!allowed.includes(name)) throw new UnsupportedOperatorError(node.opType, where, `attribute ${name} is not supported`);
  }
}

/** A graph layer before the metadata names its format: a linear map, or an activation. */
type GraphLayer =
  | { kind: 'linear'; node: string; weight: SparseWeight | DenseMatrix; weightName: string; bias: Float32Array }
  | { kind: PlainKind | 'softmax'; node: string }
  | { kind: 'leaky-relu'; node: string; alpha: number };

function parse(bytes: Uint8Array): { graph: GraphProto; metadata: string | undefined; opset: number } {
  if (!(bytes instanceof Uint8Array)) fail('corrupt', 'the input must be a Uint8Array');
  if (bytes.length === 0) fail('truncated', 'the file is empty', {});
  let model;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // The decoder runs off the end of a cut file: "premature EOF", or a RangeError reading a fixed-width value.
    const truncated = /premature EOF|outside the bounds|out of range/i.test(message);
    fail(truncated ? 'truncated' : 'corrupt', `not a valid ONNX protobuf: ${message}`, { cause: e });
  }
  if (!model.graph) {
    // A model header without a graph is most likely a file cut before it (exportOnnx writes the graph last).
    const header = model.irVersion !== 0n || model.opsetImport.length > 0 || model.producerName !== '';
    fail(header ? 'truncated' : 'corrupt', header ? 'the model has no graph: the file ends before it' : 'no ONNX model: no graph, IR version or opset');
  }
  let opset: number | undefined;
  for (const o of model.opsetImport) if (DEFAULT_DOMAINS.has(o.domain)) opset = Number(o.version);
  if (opset === undefined) fail('corrupt', 'the model imports no opset of the default ONNX domain');
  if (opset < MIN_OPSET) fail('unsupported', `opset ${opset} is older than ${MIN_OPSET}, the oldest this importer reads`);
  const meta = model.metadataProps.filter((p) => p.key === ONNX_METADATA_KEY);
  if (meta.length > 1) fail('corrupt', `metadata_props holds ${ONNX_METADATA_KEY} twice`);
  return { graph: model.graph, metadata: meta[0]?.value, opset };
}

function staticWidth(info: ValueInfoProto | undefined): { rank: number; dims: Array<number | undefined> } | undefined {
  const shape = info?.type?.tensorType?.shape;
  if (!shape) return undefined;
  return { rank: shape.dim.length, dims: shape.dim.map((d) => (d.dimParam === '' && d.dimValue > 0n ? Number(d.dimValue) : undefined)) };
}

/** Walks the graph as a chain from its one input to its one output, refusing anything else. */
function readGraph(graph: GraphProto): GraphLayer[] {
  const dense = new Map<string, TensorProto>();
  const sparse = new Map<string, SparseTensorProto>();
  for (const t of graph.initializer) {
    if (dense.has(t.name)) fail('corrupt', 'two initializers share this name', { tensor: t.name });
    dense.set(t.name, t);
  }
  for (const s of graph.sparseInitializer) {
    const name = s.values?.name ?? '';
    if (dense.has(name) || sparse.has(name)) fail('corrupt', 'two initializers share this name', { tensor: name });
    sparse.set(name, s);
  }
  const constants = new Map<string, TensorProto>(dense);
  const inputs = graph.input.filter((i) => !dense.has(i.name) && !sparse.has(i.name));
  if (inputs.length !== 1) fail('unsupported', `the graph must have exactly one input that is not an initializer, has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  if (graph.output.length !== 1) fail('unsupported', `the graph must have exactly one output, has ${graph.output.length}`);
  const input = inputs[0]!;
  const inputType = input.type?.tensorType;
  if (inputType && inputType.elemType !== DataType.FLOAT) fail('dtype', `the graph input must be float32, is ${dtypeName(inputType.elemType)}`, { tensor: input.name });
  const inputShape = staticWidth(input);

  const layers: GraphLayer[] = [];
  let current = input.name;
  /** Width of `current` once known (after Flatten/Reshape or a linear layer), for shape checks. */
  let width: number | undefined = inputShape && inputShape.rank === 2 ? inputShape.dims[1] : undefined;
  let flattened = inputShape === undefined || inputShape.rank === 2;
  let pendingMatMul: { node: string; weight: DenseMatrix; weightName: string } | undefined;

  const weightOf = (name: string | undefined, where: string, node: NodeProto): { sparse: SparseWeight } | { dense: DenseWeight } => {
    if (name === undefined || name === '') fail('corrupt', 'a weight input is missing', { node: where });
    const s = sparse.get(name);
    if (s) return { sparse: readSparse(s, name) };
    const t = constants.get(name);
    if (!t) {
      if (name === current) throw new UnsupportedOperatorError(node.opType, where, 'both operands are activations; only a constant weight is supported');
      fail('corrupt', `the initializer ${name} is missing`, { node: where, tensor: name });
    }
    const { dims, data } = readFloats(t, name);
    return { dense: { kind: 'dense', dims, data } };
  };
  const biasOf = (name: string, out: number, where: string): Float32Array => {
    const t = constants.get(name);
    if (!t) fail('corrupt', `the initializer ${name} is missing`, { node: where, tensor: name });
    const { dims, data } = readFloats(t, name);
    const ok = (dims.length === 1 && dims[0] === out) || (dims.length === 2 && dims[0] === 1 && dims[1] === out);
    if (!ok) fail('mismatch', `a bias of shape [${dims.join(', ')}] does not fit ${out} outputs`, { node: where, tensor: name });
    return data;
  };
  const checkWidth = (where: string, weight: SparseWeight | DenseMatrix, weightName: string) => {
    if (!flattened) fail('mismatch', `a linear layer needs a 2-D input; add a Flatten before it (input shape rank ${inputShape?.rank})`, { node: where });
    if (width !== undefined && weight.cols !== width) fail('mismatch', `the weight takes ${weight.cols} inputs but its input has ${width} features`, { node: where, tensor: weightName });
  };
  const pushLinear = (where: string, weight: SparseWeight | DenseMatrix, weightName: string, bias: Float32Array) => {
    checkWidth(where, weight, weightName);
    width = weight.rows;
    layers.push({ kind: 'linear', node: where, weight, weightName, bias });
  };
  const flushMatMul = () => {
    if (!pendingMatMul) return;
    pushLinear(pendingMatMul.node, pendingMatMul.weight, pendingMatMul.weightName, new Float32Array(pendingMatMul.weight.rows));
    pendingMatMul = undefined;
  };

  graph.node.forEach((node, index) => {
    const where = node.name !== '' ? node.name : `#${index}`;
    if (!DEFAULT_DOMAINS.has(node.domain)) throw new UnsupportedOperatorError(`${node.domain}.${node.opType}`, where, 'only operators of the default ONNX domain are imported');
    if (node.opType === 'Constant') {
      const attrs = attributes(node, where);
      const value = attrs.get('value');
      if (attrs.size !== 1 || !value?.t || node.output.length !== 1) throw new UnsupportedOperatorError('Constant', where, 'only a Constant with a tensor `value` is supported');
      constants.set(node.output[0]!, value.t);
      return;
    }
    if (node.input[0] !== current) {
      fail('corrupt', `the graph is not a chain: this ${node.opType} reads ${JSON.stringify(node.input[0] ?? '')} but the previous step produced ${JSON.stringify(current)}`, { node: where });
    }
    if (node.output.length !== 1 || node.output[0] === '') throw new UnsupportedOperatorError(node.opType, where, `has ${node.output.length} outputs; only single-output nodes are imported`);
    const attrs = attributes(node, where);
    const arity = (min: number, max: number) => {
      if (node.input.length < min || node.input.length > max) fail('corrupt', `${node.opType} takes ${min === max ? min : `${min} to ${max}`} inputs, has ${node.input.length}`, { node: where });
    };
    if (node.opType !== 'Add') flushMatMul();
    switch (node.opType) {
      case 'Flatten': {
        arity(1, 1);
        allowOnly(attrs, ['axis'], node, where);
        const axis = intAttr(attrs, 'axis', 1, node, where);
        if (layers.length > 0) throw new UnsupportedOperatorError('Flatten', where, 'is imported only at the input, before the first linear layer');
        if (axis !== 1) throw new UnsupportedOperatorError('Flatten', where, `axis ${axis}: only axis 1 (keep the batch dimension) is supported`);
        if (inputShape && inputShape.rank >= 2) {
          const rest = inputShape.dims.slice(1);
          width = rest.every((d) => d !== undefined) ? elementCount(rest as number[]) : undefined;
        }
        flattened = true;
        break;
      }
      case 'Reshape': {
        arity(2, 2);
        allowOnly(attrs, ['allowzero'], node, where);
        if (layers.length > 0) throw new UnsupportedOperatorError('Reshape', where, 'is imported only at the input, before the first linear layer');
        const shapeTensor = constants.get(node.input[1]!);
        if (!shapeTensor) throw new UnsupportedOperatorError('Reshape', where, `its shape ${node.input[1]} is not a constant`);
        if (shapeTensor.dataType !== DataType.INT64) fail('dtype', `a Reshape shape must be int64, is ${dtypeName(shapeTensor.dataType)}`, { node: where, tensor: node.input[1]! });
        const target = readIndicesSigned(shapeTensor, node.input[1]!);
        if (target.length !== 2 || !(target[0] === -1 || target[0] === 0) || !(target[1]! > 0 || (target[1] === -1 && target[0] === 0))) {
          throw new UnsupportedOperatorError('Reshape', where, `to [${target.join(', ')}]: only [-1, features], [0, features] or [0, -1] (flatten all but the batch) are supported`);
        }
        const inRest = inputShape && inputShape.rank >= 2 ? inputShape.dims.slice(1) : undefined;
        const known = inRest && inRest.every((d) => d !== undefined) ? elementCount(inRest as number[]) : undefined;
        if (target[1]! > 0 && known !== undefined && known !== target[1]) fail('mismatch', `reshapes ${known} features per sample into ${target[1]}`, { node: where });
        width = target[1]! > 0 ? target[1] : known;
        flattened = true;
        break;
      }
      case 'Gemm': {
        arity(2, 3);
        allowOnly(attrs, ['alpha', 'beta', 'transA', 'transB'], node, where);
        if (floatAttr(attrs, 'alpha', 1, where) !== 1 || floatAttr(attrs, 'beta', 1, where) !== 1) throw new UnsupportedOperatorError('Gemm', where, 'alpha and beta other than 1 are not supported');
        if (intAttr(attrs, 'transA', 0, node, where) !== 0) throw new UnsupportedOperatorError('Gemm', where, 'transA = 1 (a transposed activation) is not supported');
        const transB = intAttr(attrs, 'transB', 0, node, where);
        const w = weightOf(node.input[1], where, node);
        const name = node.input[1]!;
        let weight: SparseWeight | DenseMatrix;
        if ('sparse' in w) weight = transB ? w.sparse : transposeSparse(w.sparse);
        else {
          if (w.dense.dims.length !== 2) fail('mismatch', `a Gemm weight must be 2-D, is [${w.dense.dims.join(', ')}]`, { node: where, tensor: name });
          const [a, b] = w.dense.dims as [number, number];
          weight = transB ? new DenseMatrix(a, b, w.dense.data) : new DenseMatrix(b, a, transposeDense(a, b, w.dense.data));
        }
        checkWidth(where, weight, name);
        const bias = node.input.length === 3 && node.input[2] !== '' ? biasOf(node.input[2]!, weight.rows, where) : new Float32Array(weight.rows);
        pushLinear(where, weight, name, bias);
        break;
      }
      case 'MatMul': {
        arity(2, 2);
        allowOnly(attrs, [], node, where);
        const w = weightOf(node.input[1], where, node);
        const name = node.input[1]!;
        if ('sparse' in w) throw new UnsupportedOperatorError('MatMul', where, 'a sparse MatMul weight is not supported; use Gemm');
        if (w.dense.dims.length !== 2) fail('mismatch', `a MatMul weight must be 2-D, is [${w.dense.dims.join(', ')}]`, { node: where, tensor: name });
        const [a, b] = w.dense.dims as [number, number];
        pendingMatMul = { node: where, weight: new DenseMatrix(b, a, transposeDense(a, b, w.dense.data)), weightName: name };
        break;
      }
      case 'Add': {
        arity(2, 2);
        allowOnly(attrs, [], node, where);
        if (!pendingMatMul) throw new UnsupportedOperatorError('Add', where, 'is imported only as the bias right after a MatMul');
        const { weight, weightName, node: matmul } = pendingMatMul;
        pendingMatMul = undefined;
        pushLinear(matmul, weight, weightName, biasOf(node.input[1]!, weight.rows, where));
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
        arity(1, 1);
        allowOnly(attrs, [], node, where);
        layers.push({ kind: PLAIN_KINDS.get(node.opType)!, node: where });
        break;
      case 'LeakyRelu': {
        arity(1, 1);
        allowOnly(attrs, ['alpha'], node, where);
        layers.push({ kind: 'leaky-relu', node: where, alpha: floatAttr(attrs, 'alpha', 0.01, where) });
        break;
      }
      case 'Softmax': {
        arity(1, 1);
        allowOnly(attrs, ['axis'], node, where);
        const axis = intAttr(attrs, 'axis', -1, node, where);
        if (axis !== -1 && axis !== 1) throw new UnsupportedOperatorError('Softmax', where, `axis ${axis}: only the class axis (1 or -1) of a 2-D output is supported`);
        layers.push({ kind: 'softmax', node: where });
        break;
      }
      case 'Identity':
        arity(1, 1);
        break;
      default:
        throw new UnsupportedOperatorError(node.opType, where, 'is not an operator of the MLPs wgsparse imports (Gemm, MatMul + Add, Flatten/Reshape at the input, Relu, LeakyRelu, Sigmoid, Tanh, Softmax)');
    }
    current = node.output[0]!;
  });
  flushMatMul();
  const output = graph.output[0]!;
  if (output.name !== current) fail('corrupt', `the graph is not a chain: its output ${JSON.stringify(output.name)} is not the last node's result ${JSON.stringify(current)}`);
  const outShape = staticWidth(output);
  if (outShape && outShape.rank === 2 && outShape.dims[1] !== undefined && width !== undefined && outShape.dims[1] !== width) {
    fail('mismatch', `the graph output declares ${outShape.dims[1]} features but the network produces ${width}`, { tensor: output.name });
  }
  if (!layers.some((l) => l.kind === 'linear')) fail('unsupported', 'the graph holds no linear layer');
  return layers;
}

function readIndicesSigned(t: TensorProto, tensor: string): number[] {
  checkInline(t, tensor);
  const dims = dimsOf(t, tensor);
  const count = elementCount(dims);
  if (dims.length !== 1) fail('mismatch', `a shape must be 1-D, is [${dims.join(', ')}]`, { tensor });
  if (t.rawData.length > 0) {
    if (t.rawData.length !== count * 8) fail('mismatch', `has ${t.rawData.length} bytes of raw_data but needs ${count * 8}`, { tensor });
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: count }, (_, k) => Number(view.getBigInt64(k * 8, true)));
  }
  if (t.int64Data.length !== count) fail('mismatch', `has ${t.int64Data.length} int64_data values but needs ${count}`, { tensor });
  return t.int64Data.map(Number);
}

/**
 * An ONNX model as a layer snapshot (the form model-file.ts and Sequential
 * share), validated whole: protobuf, opset, operators, chain, dtypes, shapes,
 * sparse indices, finite weights. Throws InteropFormatError (or its
 * UnsupportedOperatorError) saying what and where.
 */
export function decodeOnnx(bytes: Uint8Array): ModelSnapshot {
  const { graph, metadata } = parse(bytes);
  const graphLayers = readGraph(graph);
  const meta = metadata === undefined ? undefined : readLayerMeta('onnx', metadata);
  const layers: LayerSnapshot[] = [];
  let g = 0;
  const take = (kind: LayerMeta['kind'] | undefined): GraphLayer => {
    const layer = graphLayers[g++];
    if (!layer) fail('mismatch', `the metadata lists a ${kind} layer the graph does not have`);
    return layer;
  };
  const linearLayer = (layer: GraphLayer & { kind: 'linear' }, kind: LinearKind, init: WeightInit, nm?: { n: number; m: number }): LayerSnapshot => {
    const { weight, bias, weightName, node } = layer;
    try {
      if (kind === 'dense-linear') return { kind, init, bias, W: weight instanceof DenseMatrix ? weight : denseOf(weight) };
      const w = weight instanceof DenseMatrix ? sparseOf(weight) : weight;
      if (kind === 'nm-linear') return { kind, init, bias, W: toNm(w, nm!.n, nm!.m, weightName) };
      return { kind, init, bias, W: toCsr(w) };
    } catch (e) {
      if (e instanceof InteropFormatError) throw e;
      throw new InteropFormatError('onnx', 'corrupt', `the weight is not a valid ${kind} matrix: ${e instanceof Error ? e.message : String(e)}`, { node, tensor: weightName, cause: e });
    }
  };
  if (meta) {
    for (const entry of meta) {
      if (entry.kind === 'dropout') {
        layers.push({ kind: 'dropout', rate: entry.rate });
        continue;
      }
      const layer = take(entry.kind);
      const isLinear = entry.kind === 'sparse-linear' || entry.kind === 'nm-linear' || entry.kind === 'dense-linear';
      if ((layer.kind === 'linear') !== isLinear || (!isLinear && layer.kind !== entry.kind)) {
        fail('mismatch', `the metadata's layer ${layers.length} is ${entry.kind} but the graph has ${layer.kind} there`, { node: layer.node });
      }
      if (layer.kind === 'linear' && 'init' in entry) {
        if (layer.weight.rows !== entry.out || layer.weight.cols !== entry.in) {
          fail('mismatch', `the metadata gives layer ${layers.length} ${entry.in} inputs and ${entry.out} outputs, its weight is ${layer.weight.rows} × ${layer.weight.cols}`, { node: layer.node, tensor: layer.weightName });
        }
        const nm = entry.kind === 'nm-linear' ? { n: entry.n, m: entry.m } : undefined;
        layers.push(linearLayer(layer, entry.kind, entry.init, nm));
      } else if (layer.kind === 'leaky-relu') {
        // The node holds the slope as float32 (what both backends compute with); the metadata keeps the double it was given.
        if (entry.kind === 'leaky-relu' && Math.fround(entry.alpha) !== layer.alpha) fail('mismatch', `the metadata's slope ${entry.alpha} differs from the node's alpha ${layer.alpha}`, { node: layer.node });
        layers.push({ kind: 'leaky-relu', alpha: entry.kind === 'leaky-relu' ? entry.alpha : layer.alpha });
      } else if (layer.kind !== 'linear') layers.push({ kind: layer.kind });
    }
    if (g !== graphLayers.length) fail('mismatch', `the graph has ${graphLayers.length - g} layer(s) more than its metadata lists`, { node: graphLayers[g]!.node });
  } else {
    for (const layer of graphLayers) {
      if (layer.kind === 'linear') layers.push(linearLayer(layer, layer.weight instanceof DenseMatrix ? 'dense-linear' : 'sparse-linear', DEFAULT_INIT));
      else layers.push(layer.kind === 'leaky-relu' ? { kind: 'leaky-relu', alpha: layer.alpha } : { kind: layer.kind });
    }
  }
  try {
    checkChain(layers);
  } catch (e) {
    fail('mismatch', e instanceof Error ? e.message : String(e), { cause: e });
  }
  return { layers };
}

/** The initialisation recorded for imported layers (used only if SET regrows their connections). */
const DEFAULT_INIT: WeightInit = 'he-uniform';

function denseOf(w: SparseWeight): DenseMatrix {
  const data = new Float32Array(w.rows * w.cols);
  for (let k = 0; k < w.values.length; k++) data[w.rowIdx[k]! * w.cols + w.colIdx[k]!] = w.values[k]!;
  return new DenseMatrix(w.rows, w.cols, data);
}

function sparseOf(d: DenseMatrix): SparseWeight {
  const rowIdx: number[] = [];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    for (let c = 0; c < d.cols; c++) {
      const v = d.data[r * d.cols + c]!;
      if (v !== 0) {
        rowIdx.push(r);
        colIdx.push(c);
        values.push(v);
      }
    }
  }
  return { kind: 'sparse', rows: d.rows, cols: d.cols, rowIdx: Uint32Array.from(rowIdx), colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) };
}
