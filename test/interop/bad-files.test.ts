/**
 * Bad ONNX and safetensors files give typed errors that say what and where
 * (InteropFormatError: format, reason, node / tensor / offset), and nothing
 * reaches a GPU before a file is validated. As test/model-file.test.ts does
 * for the model file: every cut length of a small file, and random byte flips.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RandomStream, type Engine } from '../../src/index.js';
import { exportOnnx, exportSafetensors, importOnnx, importSafetensors, InteropFormatError, type InteropErrorReason } from '../../src/interop.js';
import { decodeOnnx } from '../../src/interop/onnx.js';
import { DataType, ModelProtoSchema, type ModelProto } from '../../src/interop/onnx-schema.js';
import { decodeSafetensors } from '../../src/interop/safetensors.js';
import { cpuEngine, gpuEngine } from '../helpers/engines.js';
import { trackLiveBuffers } from '../helpers/live-buffers.js';
import { buildModel, MODEL_CASES } from './models.js';

function caught(fn: () => unknown): InteropFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InteropFormatError) return e;
    throw new Error(`expected an InteropFormatError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected an InteropFormatError, nothing was thrown');
}

function expectRefused(fn: () => unknown, reason: InteropErrorReason, where: { node?: string; tensor?: string; message?: RegExp } = {}): InteropFormatError {
  const e = caught(fn);
  expect(e.reason, e.message).toBe(reason);
  if (where.node !== undefined) expect(e.node, e.message).toBe(where.node);
  if (where.tensor !== undefined) expect(e.tensor, e.message).toBe(where.tensor);
  if (where.message) expect(e.message).toMatch(where.message);
  return e;
}

let engine: Engine;
let onnx: Uint8Array;
let safetensors: Uint8Array;

beforeAll(async () => {
  engine = await cpuEngine();
  // The mixed model: CSR, N:M and dense layers, every tensor kind either format writes.
  const model = buildModel(engine, MODEL_CASES[3]!);
  onnx = await exportOnnx(model);
  safetensors = await exportSafetensors(model);
  model.dispose();
});
afterAll(() => engine.dispose());

/** The exported ONNX model, edited as a message and encoded again. */
function editOnnx(edit: (m: ModelProto) => void): Uint8Array {
  // A copy: decoded bytes fields are views of the input.
  const m = fromBinary(ModelProtoSchema, onnx.slice());
  edit(m);
  return toBinary(ModelProtoSchema, m);
}

function flips(bytes: Uint8Array, count: number, seed: number, check: (b: Uint8Array) => unknown): { detected: number; accepted: number } {
  const rng = new RandomStream(seed, 0xf11b);
  let detected = 0;
  let accepted = 0;
  for (let t = 0; t < count; t++) {
    const copy = bytes.slice();
    const at = Math.floor(rng.uniform(0, copy.length));
    copy[at] = copy[at]! ^ (1 + Math.floor(rng.uniform(0, 255)));
    try {
      check(copy);
      accepted++;
    } catch (e) {
      if (!(e instanceof InteropFormatError)) throw new Error(`flipping byte ${at} gave ${String(e)}, not an InteropFormatError`, { cause: e });
      detected++;
    }
  }
  return { detected, accepted };
}

// The damage any file can suffer, checked the same way in both formats (the
// files are read through getters: they are exported in beforeAll).
describe.each([
  { format: 'ONNX', file: () => onnx, decode: decodeOnnx, seed: 1, note: ' (weight bytes carry no checksum)' },
  { format: 'safetensors', file: () => safetensors, decode: decodeSafetensors, seed: 2, note: '' },
])('$format', ({ format, file, decode, seed, note }) => {
  test('a file cut at any length is refused as truncated', () => {
    const bytes = file();
    for (let length = 0; length < bytes.length; length++) {
      const e = caught(() => decode(bytes.subarray(0, length)));
      expect(e.reason, `cut at ${length}: ${e.message}`).toBe('truncated');
    }
    expect(decode(bytes).layers.length).toBe(6);
  });

  test('random byte flips are refused with a typed error or read as another valid model, never anything else', () => {
    const { detected, accepted } = flips(file(), 2000, seed, decode);
    console.log(`[interop] ${format}: ${detected} of 2000 byte flips refused, ${accepted} read as a valid model${note}`);
    // Flips in weight bytes cannot be seen (neither format has a checksum); flips in the structure must be.
    expect(detected).toBeGreaterThan(300);
  });
});

describe('ONNX', () => {
  test('bad protobuf', () => {
    // Wire type 7 does not exist; field number 0 is illegal; a group of field 15 closed by field 16's end tag.
    expectRefused(() => decodeOnnx(Uint8Array.of(0x0f, 0x00)), 'corrupt', { message: /not a valid ONNX protobuf: .*wire type/ });
    expectRefused(() => decodeOnnx(Uint8Array.of(0x00, 0x00)), 'corrupt', { message: /not a valid ONNX protobuf: illegal tag/ });
    expectRefused(() => decodeOnnx(Uint8Array.of(0x7b, 0x84, 0x01)), 'corrupt', { message: /not a valid ONNX protobuf: invalid end group tag/ });
    // A JSON file is not a model either way (its first byte opens a protobuf group that never closes).
    expect(caught(() => decodeOnnx(new TextEncoder().encode('{"layers": []}'))).message).toMatch(/not a valid ONNX protobuf/);
    // Well-formed protobuf, but no model: only a doc_string; an IR version and nothing after it reads as a cut file.
    expectRefused(() => decodeOnnx(Uint8Array.of(0x32, 0x00)), 'corrupt', { message: /no ONNX model: no graph, IR version or opset/ });
    expectRefused(() => decodeOnnx(Uint8Array.of(0x08, 0x08)), 'truncated', { message: /ends before/ });
  });

  test('a missing initializer names the node and the tensor', () => {
    const bytes = editOnnx((m) => void (m.graph!.initializer = m.graph!.initializer.filter((t) => t.name !== 'layer1.bias')));
    expectRefused(() => decodeOnnx(bytes), 'corrupt', { node: 'layer1', tensor: 'layer1.bias', message: /missing/ });
    const noWeight = editOnnx((m) => void (m.graph!.sparseInitializer = m.graph!.sparseInitializer.slice(1)));
    expectRefused(() => decodeOnnx(noWeight), 'corrupt', { node: 'layer0', tensor: 'layer0.weight' });
  });

  test('shapes that do not match', () => {
    const dims = editOnnx((m) => void (m.graph!.initializer.find((t) => t.name === 'layer2.weight')!.dims = [4n, 9n]));
    expectRefused(() => decodeOnnx(dims), 'mismatch', { tensor: 'layer2.weight', message: /raw_data/ });
    const bias = editOnnx((m) => {
      const t = m.graph!.initializer.find((x) => x.name === 'layer0.bias')!;
      t.dims = [11n];
      t.rawData = t.rawData.slice(0, 44);
    });
    expectRefused(() => decodeOnnx(bias), 'mismatch', { node: 'layer0', tensor: 'layer0.bias' });
    const chain = editOnnx((m) => {
      const t = m.graph!.initializer.find((x) => x.name === 'layer2.weight')!;
      t.dims = [8n, 4n];
    });
    expectRefused(() => decodeOnnx(chain), 'mismatch', { node: 'layer2', message: /takes 4 inputs but its input has 8 features/ });
    const sparseOut = editOnnx((m) => void (m.graph!.sparseInitializer[0]!.dims = [12n, 2n]));
    expectRefused(() => decodeOnnx(sparseOut), 'corrupt', { tensor: 'layer0.weight', message: /outside/ });
  });

  test('a dtype other than float32', () => {
    const double = editOnnx((m) => void (m.graph!.initializer.find((t) => t.name === 'layer2.weight')!.dataType = DataType.DOUBLE));
    expectRefused(() => decodeOnnx(double), 'dtype', { tensor: 'layer2.weight', message: /float32, is double/ });
    const input = editOnnx((m) => void (m.graph!.input[0]!.type!.tensorType!.elemType = DataType.FLOAT16));
    expectRefused(() => decodeOnnx(input), 'dtype', { tensor: 'input' });
    const indices = editOnnx((m) => void (m.graph!.sparseInitializer[1]!.indices!.dataType = DataType.INT32));
    expectRefused(() => decodeOnnx(indices), 'dtype', { tensor: 'layer1.weight indices' });
  });

  test('a graph that is not a chain', () => {
    const branch = editOnnx((m) => void (m.graph!.node[2]!.input[0] = 'input'));
    expectRefused(() => decodeOnnx(branch), 'corrupt', { node: 'layer1', message: /not a chain/ });
    const twoOutputs = editOnnx((m) => void m.graph!.output.push(m.graph!.output[0]!));
    expectRefused(() => decodeOnnx(twoOutputs), 'unsupported', { message: /exactly one output/ });
    const dangling = editOnnx((m) => void (m.graph!.output[0]!.name = 'layer0.out'));
    expectRefused(() => decodeOnnx(dangling), 'corrupt', { message: /not a chain/ });
  });

  test('non-finite weights and unsorted sparse indices', () => {
    const nan = editOnnx((m) => {
      const t = m.graph!.initializer.find((x) => x.name === 'layer2.weight')!;
      new DataView(t.rawData.buffer, t.rawData.byteOffset).setFloat32(8, Number.NaN, true);
    });
    expectRefused(() => decodeOnnx(nan), 'corrupt', { tensor: 'layer2.weight', message: /element 2 is NaN/ });
    const unsorted = editOnnx((m) => void m.graph!.sparseInitializer[0]!.indices!.int64Data.reverse());
    expectRefused(() => decodeOnnx(unsorted), 'corrupt', { tensor: 'layer0.weight', message: /strictly increase/ });
  });
});

/** The exported safetensors file with its header replaced (data kept). */
function editSafetensors(edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> & { __metadata__?: unknown }) => void): Uint8Array {
  const view = new DataView(safetensors.buffer, safetensors.byteOffset);
  const n = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(safetensors.subarray(8, 8 + n)));
  edit(header);
  return withHeader(JSON.stringify(header), safetensors.subarray(8 + n));
}

function withHeader(json: string, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

describe('safetensors', () => {
  test('header length past the end', () => {
    const bytes = safetensors.slice();
    new DataView(bytes.buffer).setUint32(0, bytes.length, true);
    expectRefused(() => decodeSafetensors(bytes), 'truncated', { message: /runs past the end/ });
    new DataView(bytes.buffer).setUint32(4, 1, true);
    expectRefused(() => decodeSafetensors(bytes), 'corrupt', { message: /limit/ });
  });

  test('overlapping and out-of-range offsets', () => {
    const overlap = editSafetensors((h) => {
      const t = h['layers.0.values']!;
      h['layers.0.values'] = { ...t, data_offsets: [t.data_offsets[0]! - 4, t.data_offsets[1]! - 4] };
    });
    expectRefused(() => decodeSafetensors(overlap), 'corrupt', { message: /overlaps|belong to no tensor/ });
    const beyond = editSafetensors((h) => {
      const t = h['layers.4.bias']!;
      h['layers.4.bias'] = { ...t, data_offsets: [t.data_offsets[0]! + 1_000_000, t.data_offsets[1]! + 1_000_000] };
    });
    expectRefused(() => decodeSafetensors(beyond), 'truncated', { tensor: 'layers.4.bias', message: /past the end/ });
    const reversed = editSafetensors((h) => void (h['layers.4.bias']!.data_offsets = [16, 0]));
    expectRefused(() => decodeSafetensors(reversed), 'corrupt', { tensor: 'layers.4.bias' });
  });

  test('dtype or shape that does not match the byte length, and dtypes that are not float32', () => {
    const f64 = editSafetensors((h) => void (h['layers.4.weight']!.dtype = 'F64'));
    expectRefused(() => decodeSafetensors(f64), 'mismatch', { tensor: 'layers.4.weight', message: /takes 256 bytes but data_offsets give 128/ });
    const shape = editSafetensors((h) => void (h['layers.4.weight']!.shape = [4, 9]));
    expectRefused(() => decodeSafetensors(shape), 'mismatch', { tensor: 'layers.4.weight' });
    const i32 = editSafetensors((h) => void (h['layers.4.weight'] = { ...h['layers.4.weight']!, dtype: 'I32' }));
    expectRefused(() => decodeSafetensors(i32), 'dtype', { tensor: 'layers.4.weight', message: /must be F32, is I32/ });
    const unknown = editSafetensors((h) => void (h['layers.4.weight']!.dtype = 'F31'));
    expectRefused(() => decodeSafetensors(unknown), 'corrupt', { tensor: 'layers.4.weight' });
  });

  test('JSON that is not an object, or not JSON', () => {
    const data = new Uint8Array(0);
    expectRefused(() => decodeSafetensors(withHeader('[]', data)), 'corrupt', { message: /not a JSON object/ });
    expectRefused(() => decodeSafetensors(withHeader('{"a": ', data)), 'corrupt', { message: /not valid UTF-8 JSON/ });
    expectRefused(() => decodeSafetensors(withHeader('{}', data)), 'unsupported', { message: /architecture/ });
    const badMeta = editSafetensors((h) => void (h.__metadata__ = { 'wgsparse.layers': '{"version":1,"layers":[{"kind":"conv"}]}' }));
    expectRefused(() => decodeSafetensors(badMeta), 'corrupt', { message: /layers\[0\]\.kind "conv"/ });
  });

  test('corrupt CSR structure names the tensor', () => {
    const view = new DataView(safetensors.buffer, safetensors.byteOffset);
    const n = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(safetensors.subarray(8, 8 + n)));
    const bytes = safetensors.slice();
    // crow_indices[1] = 2^40: an index no Uint32 holds.
    new DataView(bytes.buffer).setBigInt64(8 + n + header['layers.0.crow_indices'].data_offsets[0] + 8, 2n ** 40n, true);
    expectRefused(() => decodeSafetensors(bytes), 'corrupt', { tensor: 'layers.0.crow_indices', message: /index 1 is 1099511627776/ });
    new DataView(bytes.buffer).setBigInt64(8 + n + header['layers.0.crow_indices'].data_offsets[0] + 8, 10_000n, true);
    expectRefused(() => decodeSafetensors(bytes), 'corrupt', { tensor: 'layers.0.crow_indices' });
  });
});

describe('nothing reaches a GPU before a file is validated', () => {
  let gpu: Engine;
  beforeAll(async () => {
    gpu = await gpuEngine();
  });

  test.each([
    ['onnx', () => onnx, importOnnx],
    ['safetensors', () => safetensors, importSafetensors],
  ] as const)('%s', (_format, bytes, importer) => {
    const { live, restore } = trackLiveBuffers(gpu.device!);
    try {
      const good = bytes();
      const bad = good.subarray(0, good.length - 1);
      expect(() => importer(gpu, bad)).toThrow(InteropFormatError);
      expect(live.size).toBe(0);
      const model = importer(gpu, good);
      expect(live.size).toBeGreaterThan(0);
      model.dispose();
    } finally {
      restore();
    }
  });
});
