/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto,
 * proto2, IR version 8+) that an MLP needs, as a protobuf schema that
 * @bufbuild/protobuf decodes and encodes. The field numbers and types are
 * onnx.proto's; enums (data_type, AttributeProto.type, data_location) are
 * declared int32, which is the same varint on the wire. Fields not listed here
 * (training_info, functions, quantization annotations, ...) are skipped when
 * read (readUnknownFields: false) and never written.
 *
 * Why @bufbuild/protobuf: zero dependencies, ESM, no eval (protobufjs's
 * reflection compiles coders with `new Function`, which a strict
 * Content-Security-Policy blocks in the pages that use wgsparse), int64 as
 * bigint (no precision lost in dims), and a conformance-tested wire codec, so
 * a malformed file is refused by the decoder rather than misread.
 */
import { create, createFileRegistry, type Message } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { FileDescriptorProtoSchema, type FieldDescriptorProto_Type } from '@bufbuild/protobuf/wkt';

// google.protobuf.FieldDescriptorProto.Type and .Label values.
const T = { float: 2, int64: 3, int32: 5, string: 9, message: 11, bytes: 12 } as const;
const OPTIONAL = 1;
const REPEATED = 3;

type FieldSpec = [name: string, number: number, type: keyof typeof T, repeated?: 'repeated' | 'packed' | undefined, message?: string];

function message(name: string, fields: FieldSpec[], nested: Array<{ name: string; fields: FieldSpec[] }> = []) {
  const field = ([fieldName, number, type, repeated, typeName]: FieldSpec) => ({
    name: fieldName,
    number,
    label: repeated ? REPEATED : OPTIONAL,
    type: T[type] as FieldDescriptorProto_Type,
    ...(typeName === undefined ? {} : { typeName: `.onnx.${typeName}` }),
    ...(repeated === 'packed' ? { options: { packed: true } } : {}),
  });
  return { name, field: fields.map(field), nestedType: nested.map((n) => ({ name: n.name, field: n.fields.map(field) })) };
}

const file = create(FileDescriptorProtoSchema, {
  name: 'wgsparse/onnx-subset.proto',
  package: 'onnx',
  syntax: 'proto2',
  messageType: [
    message('StringStringEntryProto', [
      ['key', 1, 'string'],
      ['value', 2, 'string'],
    ]),
    message('OperatorSetIdProto', [
      ['domain', 1, 'string'],
      ['version', 2, 'int64'],
    ]),
    message('TensorProto', [
      ['dims', 1, 'int64', 'repeated'],
      ['data_type', 2, 'int32'],
      ['float_data', 4, 'float', 'packed'],
      ['int32_data', 5, 'int32', 'packed'],
      ['int64_data', 7, 'int64', 'packed'],
      ['name', 8, 'string'],
      ['raw_data', 9, 'bytes'],
      ['doc_string', 12, 'string'],
      ['external_data', 13, 'message', 'repeated', 'StringStringEntryProto'],
      ['data_location', 14, 'int32'],
    ]),
    message('SparseTensorProto', [
      ['values', 1, 'message', undefined, 'TensorProto'],
      ['indices', 2, 'message', undefined, 'TensorProto'],
      ['dims', 3, 'int64', 'repeated'],
    ]),
    message('AttributeProto', [
      ['name', 1, 'string'],
      ['f', 2, 'float'],
      ['i', 3, 'int64'],
      ['s', 4, 'bytes'],
      ['t', 5, 'message', undefined, 'TensorProto'],
      ['floats', 7, 'float', 'repeated'],
      ['ints', 8, 'int64', 'repeated'],
      ['type', 20, 'int32'],
      ['ref_attr_name', 21, 'string'],
    ]),
    message('NodeProto', [
      ['input', 1, 'string', 'repeated'],
      ['output', 2, 'string', 'repeated'],
      ['name', 3, 'string'],
      ['op_type', 4, 'string'],
      ['attribute', 5, 'message', 'repeated', 'AttributeProto'],
      ['doc_string', 6, 'string'],
      ['domain', 7, 'string'],
    ]),
    message(
      'TensorShapeProto',
      [['dim', 1, 'message', 'repeated', 'TensorShapeProto.Dimension']],
      [
        {
          name: 'Dimension',
          fields: [
            ['dim_value', 1, 'int64'],
            ['dim_param', 2, 'string'],
          ],
        },
      ],
    ),
    message(
      'TypeProto',
      [['tensor_type', 1, 'message', undefined, 'TypeProto.Tensor']],
      [
        {
          name: 'Tensor',
          fields: [
            ['elem_type', 1, 'int32'],
            ['shape', 2, 'message', undefined, 'TensorShapeProto'],
          ],
        },
      ],
    ),
    message('ValueInfoProto', [
      ['name', 1, 'string'],
      ['type', 2, 'message', undefined, 'TypeProto'],
      ['doc_string', 3, 'string'],
    ]),
    message('GraphProto', [
      ['node', 1, 'message', 'repeated', 'NodeProto'],
      ['name', 2, 'string'],
      ['initializer', 5, 'message', 'repeated', 'TensorProto'],
      ['doc_string', 10, 'string'],
      ['input', 11, 'message', 'repeated', 'ValueInfoProto'],
      ['output', 12, 'message', 'repeated', 'ValueInfoProto'],
      ['value_info', 13, 'message', 'repeated', 'ValueInfoProto'],
      ['sparse_initializer', 15, 'message', 'repeated', 'SparseTensorProto'],
    ]),
    message('ModelProto', [
      ['ir_version', 1, 'int64'],
      ['producer_name', 2, 'string'],
      ['producer_version', 3, 'string'],
      ['domain', 4, 'string'],
      ['model_version', 5, 'int64'],
      ['doc_string', 6, 'string'],
      ['graph', 7, 'message', undefined, 'GraphProto'],
      ['opset_import', 8, 'message', 'repeated', 'OperatorSetIdProto'],
      ['metadata_props', 14, 'message', 'repeated', 'StringStringEntryProto'],
    ]),
  ],
});

const registry = createFileRegistry(file, () => undefined);

function schema<Shape extends Message>(name: string): GenMessage<Shape> {
  const desc = registry.getMessage(`onnx.${name}`);
  if (!desc) throw new Error(`onnx-schema: no message ${name}`);
  // The interfaces below are written to match the descriptor; generated code makes the same cast.
  return desc as unknown as GenMessage<Shape>;
}

// The runtime shapes of the messages above (what fromBinary returns and toBinary takes).
export interface StringStringEntryProto extends Message<'onnx.StringStringEntryProto'> {
  key: string;
  value: string;
}
export interface OperatorSetIdProto extends Message<'onnx.OperatorSetIdProto'> {
  domain: string;
  version: bigint;
}
export interface TensorProto extends Message<'onnx.TensorProto'> {
  dims: bigint[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: bigint[];
  name: string;
  rawData: Uint8Array;
  docString: string;
  externalData: StringStringEntryProto[];
  dataLocation: number;
}
export interface SparseTensorProto extends Message<'onnx.SparseTensorProto'> {
  values?: TensorProto;
  indices?: TensorProto;
  dims: bigint[];
}
export interface AttributeProto extends Message<'onnx.AttributeProto'> {
  name: string;
  f: number;
  i: bigint;
  s: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: bigint[];
  type: number;
  refAttrName: string;
}
export interface NodeProto extends Message<'onnx.NodeProto'> {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  docString: string;
  domain: string;
}
export interface TensorShapeProto_Dimension extends Message<'onnx.TensorShapeProto.Dimension'> {
  dimValue: bigint;
  dimParam: string;
}
export interface TensorShapeProto extends Message<'onnx.TensorShapeProto'> {
  dim: TensorShapeProto_Dimension[];
}
export interface TypeProto_Tensor extends Message<'onnx.TypeProto.Tensor'> {
  elemType: number;
  shape?: TensorShapeProto;
}
export interface TypeProto extends Message<'onnx.TypeProto'> {
  tensorType?: TypeProto_Tensor;
}
export interface ValueInfoProto extends Message<'onnx.ValueInfoProto'> {
  name: string;
  type?: TypeProto;
  docString: string;
}
export interface GraphProto extends Message<'onnx.GraphProto'> {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  docString: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  sparseInitializer: SparseTensorProto[];
}
export interface ModelProto extends Message<'onnx.ModelProto'> {
  irVersion: bigint;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: bigint;
  docString: string;
  graph?: GraphProto;
  opsetImport: OperatorSetIdProto[];
  metadataProps: StringStringEntryProto[];
}

export const ModelProtoSchema = schema<ModelProto>('ModelProto');
export const GraphProtoSchema = schema<GraphProto>('GraphProto');
export const NodeProtoSchema = schema<NodeProto>('NodeProto');
export const AttributeProtoSchema = schema<AttributeProto>('AttributeProto');
export const TensorProtoSchema = schema<TensorProto>('TensorProto');
export const SparseTensorProtoSchema = schema<SparseTensorProto>('SparseTensorProto');
export const ValueInfoProtoSchema = schema<ValueInfoProto>('ValueInfoProto');
export const OperatorSetIdProtoSchema = schema<OperatorSetIdProto>('OperatorSetIdProto');
export const StringStringEntryProtoSchema = schema<StringStringEntryProto>('StringStringEntryProto');

/** TensorProto.DataType values wgsparse reads or writes. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, DOUBLE: 11, UINT32: 12, UINT64: 13, FLOAT16: 10, BFLOAT16: 16 } as const;
/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4 } as const;
