/**
 * The model file codec against its specification (docs/model-format.md). The
 * helpers below re-implement the framing independently (bitwise CRC-32, their
 * own preamble writer), so a test can forge a file whose checksums are valid
 * but whose content lies, which is what decodeModel's structural checks are for.
 */
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError, WgsparseError } from '../src/errors.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import {
  checkChain,
  decodeModel,
  encodeModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelFormatError,
  type LayerSnapshot,
  type ModelFormatErrorReason,
  type ModelSnapshot,
} from '../src/model/model-file.js';
import { mustThrow } from './helpers/expect-error.js';

// ------------------------------------------------------------ independent framing

function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface TensorEntry {
  name: string;
  dtype: string;
  offset: number;
  length: number;
}
type LayerEntry = Record<string, unknown> & { kind: string; tensors?: TensorEntry[] };
interface FileHeader {
  format: unknown;
  version: unknown;
  layers: LayerEntry[];
  metadata?: unknown;
}

interface ParsedFile {
  version: number;
  headerText: string;
  header: FileHeader;
  binary: Uint8Array;
}

function parseFile(bytes: Uint8Array): ParsedFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  const headerLength = view.getUint32(12, true);
  const binaryLength = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  const binaryStart = Math.ceil((28 + headerLength) / 4) * 4;
  const headerText = new TextDecoder().decode(bytes.subarray(28, 28 + headerLength));
  return { version, headerText, header: JSON.parse(headerText) as FileHeader, binary: bytes.slice(binaryStart, binaryStart + binaryLength) };
}

/** A file with valid checksums around whatever header text and binary section it is given. */
function assemble(headerText: string, binary: Uint8Array, { version = MODEL_FORMAT_VERSION, padByte = 0 } = {}): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const binaryStart = Math.ceil((28 + header.length) / 4) * 4;
  const out = new Uint8Array(binaryStart + binary.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('WGSPMDL\0'), 0);
  view.setUint32(8, version, true);
  view.setUint32(12, header.length, true);
  view.setUint32(16, binary.length, true);
  view.setUint32(20, 0, true);
  view.setUint32(24, crc32Bitwise(out.subarray(0, 24)), true);
  out.set(header, 28);
  out.fill(padByte, 28 + header.length, binaryStart);
  out.set(binary, binaryStart);
  view.setUint32(out.length - 4, crc32Bitwise(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Re-frames a valid file after `edit` changes its header (or binary), checksums recomputed. */
function forge(bytes: Uint8Array, edit: (header: FileHeader, binary: Uint8Array) => Uint8Array | void): Uint8Array {
  const { header, binary, version } = parseFile(bytes);
  const newBinary = edit(header, binary) ?? binary;
  return assemble(JSON.stringify(header), newBinary, { version });
}

function tensorOf(header: FileHeader, layer: number, name: string): TensorEntry {
  const t = header.layers[layer]!.tensors!.find((e) => e.name === name);
  if (!t) throw new Error(`test bug: no tensor ${name} in layer ${layer}`);
  return t;
}

function expectFormatError(fn: () => unknown, reason: ModelFormatErrorReason): ModelFormatError {
  const e = mustThrow(fn);
  expect(e).toBeInstanceOf(ModelFormatError);
  const err = e as ModelFormatError;
  expect(err.reason, err.message).toBe(reason);
  return err;
}

// ------------------------------------------------------------ models

function withNegativeZeros(values: Float32Array): Float32Array {
  const out = Float32Array.from(values);
  for (let i = 0; i < out.length; i += 3) out[i] = -0;
  return out;
}

function randomBias(length: number, seed: number): Float32Array {
  return withNegativeZeros(DenseMatrix.random(1, length, { seed }).data);
}

/** Every layer kind, N:M at several n:m, an empty CSR and negative zeros in every float tensor. */
function everyKindModel(): ModelSnapshot {
  const sparse = CSRMatrix.random({ rows: 12, cols: 10, density: 0.3, seed: 3 });
  const dense = DenseMatrix.random(5, 4, { seed: 9 });
  dense.data[0] = -0;
  return {
    layers: [
      { kind: 'sparse-linear', W: sparse.withValues(withNegativeZeros(sparse.values)), bias: randomBias(12, 1), init: 'he-uniform' },
      { kind: 'relu' },
      { kind: 'nm-linear', W: NMMatrix.random({ rows: 16, cols: 12, n: 2, m: 4, seed: 4 }), bias: randomBias(16, 2), init: 'glorot-uniform' },
      { kind: 'leaky-relu', alpha: 0.01 },
      { kind: 'nm-linear', W: NMMatrix.random({ rows: 8, cols: 16, n: 3, m: 8, seed: 5 }), bias: randomBias(8, 3), init: 'normal' },
      { kind: 'nm-linear', W: NMMatrix.pruneDense(DenseMatrix.random(16, 8, { seed: 6 }), { n: 1, m: 2 }), bias: randomBias(16, 4), init: 'uniform' },
      { kind: 'nm-linear', W: NMMatrix.random({ rows: 4, cols: 16, n: 7, m: 16, seed: 7 }), bias: randomBias(4, 5), init: 'he-uniform' },
      { kind: 'dropout', rate: 0.25 },
      { kind: 'dense-linear', W: dense, bias: randomBias(5, 6), init: 'glorot-uniform' },
      { kind: 'sparse-linear', W: CSRMatrix.random({ rows: 3, cols: 5, density: 0, seed: 8 }), bias: new Float32Array(3), init: 'normal' },
      { kind: 'softmax' },
    ],
    metadata: { name: 'every kind', epochs: 3, accuracy: 0.9123456789, trained: true, 'ünïcødé ключ': 'значение ✓', futureKey: 'kept' },
  };
}

function bits(a: Float32Array | Uint32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function expectSameArray(actual: Float32Array | Uint32Array, expected: Float32Array | Uint32Array, what: string): void {
  expect(actual.constructor, what).toBe(expected.constructor);
  expect(Array.from(bits(actual)), what).toEqual(Array.from(bits(expected)));
}

function expectSameModel(actual: ModelSnapshot, expected: ModelSnapshot): void {
  expect(actual.metadata).toEqual(expected.metadata);
  expect(actual.layers.map((l) => l.kind)).toEqual(expected.layers.map((l) => l.kind));
  expected.layers.forEach((e, i) => {
    const a = actual.layers[i]!;
    const where = `layer ${i} (${e.kind})`;
    if (e.kind === 'leaky-relu' && a.kind === 'leaky-relu') expect(a.alpha).toBe(e.alpha);
    if (e.kind === 'dropout' && a.kind === 'dropout') expect(a.rate).toBe(e.rate);
    if (!('W' in e) || !('W' in a)) return;
    expect(a.init, where).toBe(e.init);
    expectSameArray(a.bias, e.bias, `${where} bias`);
    expect([a.W.rows, a.W.cols], where).toEqual([e.W.rows, e.W.cols]);
    if (e.W instanceof CSRMatrix) {
      expect(a.W).toBeInstanceOf(CSRMatrix);
      const w = a.W as CSRMatrix;
      expectSameArray(w.rowPtr, e.W.rowPtr, `${where} rowPtr`);
      expectSameArray(w.colIdx, e.W.colIdx, `${where} colIdx`);
      expectSameArray(w.values, e.W.values, `${where} values`);
    } else if (e.W instanceof NMMatrix) {
      expect(a.W).toBeInstanceOf(NMMatrix);
      const w = a.W as NMMatrix;
      expect([w.n, w.m], where).toEqual([e.W.n, e.W.m]);
      expectSameArray(w.values, e.W.values, `${where} values`);
      expectSameArray(w.indices, e.W.indices, `${where} indices`);
    } else {
      expect(a.W).toBeInstanceOf(DenseMatrix);
      expectSameArray((a.W as DenseMatrix).data, e.W.data, `${where} data`);
    }
  });
}

// ------------------------------------------------------------ tests

describe('model file round trip', () => {
  test('a model of every layer kind decodes bit-exactly and re-encodes to the same bytes', () => {
    const model = everyKindModel();
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes);
    expectSameModel(decoded, model);
    expect(Object.is((decoded.layers[0] as { bias: Float32Array }).bias[0], -0)).toBe(true);
    expect(Array.from(encodeModel(decoded))).toEqual(Array.from(bytes));
  });

  test('1 × 1 layers, an empty model and a model without metadata', () => {
    const models: ModelSnapshot[] = [
      {
        layers: [
          { kind: 'sparse-linear', W: CSRMatrix.random({ rows: 1, cols: 1, density: 1, seed: 2 }), bias: Float32Array.of(-0), init: 'he-uniform' },
          { kind: 'dense-linear', W: new DenseMatrix(1, 1, Float32Array.of(-1.5)), bias: Float32Array.of(2), init: 'normal' },
        ],
      },
      { layers: [{ kind: 'nm-linear', W: NMMatrix.random({ rows: 1, cols: 2, n: 1, m: 2, seed: 1 }), bias: Float32Array.of(0.5), init: 'uniform' }] },
      { layers: [] },
      { layers: [{ kind: 'softmax' }], metadata: {} },
    ];
    for (const model of models) {
      const decoded = decodeModel(encodeModel(model));
      expectSameModel(decoded, model);
      expect('metadata' in decoded).toBe('metadata' in model);
    }
  });

  test('the bytes follow the specification: magic, preamble, header JSON, aligned tensors, CRC-32', () => {
    const model = everyKindModel();
    const bytes = encodeModel(model);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('WGSPMDL\0');
    expect(crc32Bitwise(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint32(24, true)).toBe(crc32Bitwise(bytes.subarray(0, 24)));
    expect(view.getUint32(bytes.length - 4, true)).toBe(crc32Bitwise(bytes.subarray(0, bytes.length - 4)));
    const { header, binary, version, headerText } = parseFile(bytes);
    expect(version).toBe(MODEL_FORMAT_VERSION);
    expect(header.format).toBe(MODEL_FORMAT);
    expect(header.version).toBe(MODEL_FORMAT_VERSION);
    expect(header.metadata).toEqual(model.metadata);
    // The independent framing reproduces the encoder's bytes exactly.
    expect(Array.from(assemble(headerText, binary))).toEqual(Array.from(bytes));
    const first = header.layers[0]!;
    expect(first).toMatchObject({ kind: 'sparse-linear', rows: 12, cols: 10, init: 'he-uniform' });
    const values = tensorOf(header, 0, 'values');
    expect(values.dtype).toBe('f32');
    expect(values.offset % 4).toBe(0);
    const W = (model.layers[0] as { W: CSRMatrix }).W;
    const stored = new DataView(binary.buffer, binary.byteOffset + values.offset, values.length * 4);
    for (let k = 0; k < values.length; k++) expect(stored.getUint32(k * 4, true)).toBe(bits(W.values)[k]);
    expect(header.layers[7]).toEqual({ kind: 'dropout', rate: 0.25 });
  });

  test('decodes a view with a nonzero (unaligned) byteOffset, and a Node Buffer, without aliasing them', () => {
    const model = everyKindModel();
    const bytes = encodeModel(model);
    for (const shift of [1, 3, 8]) {
      const backing = new Uint8Array(bytes.length + shift + 5).fill(0xab);
      backing.set(bytes, shift);
      const view = backing.subarray(shift, shift + bytes.length);
      const decoded = decodeModel(view);
      expectSameModel(decoded, model);
      backing.fill(0);
      expectSameModel(decoded, model);
      for (const layer of decoded.layers) if ('bias' in layer) expect(layer.bias.buffer).not.toBe(backing.buffer);
    }
    const pool = Buffer.alloc(bytes.length + 7);
    pool.set(bytes, 7);
    const decoded = decodeModel(pool.subarray(7));
    pool.fill(0xff);
    expectSameModel(decoded, model);
  });
});

describe('model file rejects bad files with ModelFormatError', () => {
  const bytes = encodeModel(everyKindModel());

  test('ModelFormatError is a WgsparseError with a name, a reason and a location', () => {
    const err = expectFormatError(() => decodeModel(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)), 'magic');
    expect(err).toBeInstanceOf(WgsparseError);
    expect(err.name).toBe('ModelFormatError');
    expect(err.offset).toBe(0);
    expect(err.message).toMatch(/not a wgsparse model file/);
  });

  test('wrong magic', () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(40));
    expectFormatError(() => decodeModel(png), 'magic');
    for (let i = 0; i < 8; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x20;
      expect(expectFormatError(() => decodeModel(bad), 'magic').offset).toBe(i);
    }
    expectFormatError(() => decodeModel(new TextEncoder().encode('WGSX')), 'magic');
    expect(mustThrow(() => decodeModel([1, 2, 3] as unknown as Uint8Array))).toBeInstanceOf(InvalidArgumentError);
  });

  test('a newer (or zero) version', () => {
    const { header, binary } = parseFile(bytes);
    for (const version of [MODEL_FORMAT_VERSION + 1, 0x10000, 0]) {
      header.version = version;
      const err = expectFormatError(() => decodeModel(assemble(JSON.stringify(header), binary, { version })), 'version');
      expect(err.message).toContain(`version ${version}`);
    }
    // A newer file is named as such even when its header is something this reader cannot parse.
    expectFormatError(() => decodeModel(assemble('{"future": [', new Uint8Array(8), { version: 2 })), 'version');
  });

  test('truncated at every length', () => {
    for (let cut = 0; cut < bytes.length; cut++) {
      const e = mustThrow(() => decodeModel(bytes.subarray(0, cut)));
      expect(e, `cut at ${cut}`).toBeInstanceOf(ModelFormatError);
      expect((e as ModelFormatError).reason, `cut at ${cut}: ${(e as Error).message}`).toBe('truncated');
    }
  });

  test('bytes appended after the end', () => {
    // The appended word is a valid CRC of all before it, so only the length check can catch it.
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    new DataView(longer.buffer).setUint32(bytes.length, crc32Bitwise(bytes), true);
    expect(expectFormatError(() => decodeModel(longer), 'corrupt').offset).toBe(bytes.length);
  });

  test('a flipped byte anywhere past the magic is corrupt', () => {
    for (let i = 8; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = bytes.slice();
        bad[i]! ^= mask;
        const e = mustThrow(() => decodeModel(bad));
        expect(e, `byte ${i} ^ ${mask}`).toBeInstanceOf(ModelFormatError);
        expect((e as ModelFormatError).reason, `byte ${i} ^ ${mask}: ${(e as Error).message}`).toBe('corrupt');
      }
    }
  });

  test('a header that lies about shapes, tensors or parameters, under valid checksums', () => {
    const lies: Array<[string, (h: FileHeader, b: Uint8Array) => Uint8Array | void]> = [
      ['rows one more than rowPtr holds', (h) => void (h.layers[0]!.rows = 13)],
      ['nnz one less than colIdx holds', (h) => void (h.layers[0]!.nnz = (h.layers[0]!.nnz as number) - 1)],
      ['rowPtr length', (h) => void (tensorOf(h, 0, 'rowPtr').length -= 1)],
      ['bias length', (h) => void (tensorOf(h, 8, 'bias').length += 1)],
      ['dense data length', (h) => void (tensorOf(h, 8, 'data').length -= 1)],
      ['N:M values length', (h) => void (tensorOf(h, 2, 'values').length -= 2)],
      ['N:M indices length', (h) => void (tensorOf(h, 4, 'indices').length += 1)],
      ['offset past the end', (h, b) => void (tensorOf(h, 0, 'values').offset = b.length)],
      ['range past the end', (h, b) => void (tensorOf(h, 8, 'bias').offset = b.length - 4)],
      ['huge length', (h) => void (tensorOf(h, 0, 'values').length = 2 ** 40)],
      ['negative offset', (h) => void (tensorOf(h, 0, 'values').offset = -4)],
      ['fractional length', (h) => void (tensorOf(h, 0, 'values').length = 1.5)],
      ['overlapping tensors', (h) => void (tensorOf(h, 0, 'colIdx').offset = tensorOf(h, 0, 'rowPtr').offset)],
      ['unaligned offset', (h) => void (tensorOf(h, 0, 'colIdx').offset += 2)],
      ['a gap after the last tensor', (_h, b) => Uint8Array.from([...b, 0, 0, 0, 0])],
      ['dtype swapped', (h) => void (tensorOf(h, 0, 'colIdx').dtype = 'f32')],
      ['unknown dtype', (h) => void (tensorOf(h, 0, 'colIdx').dtype = 'f64')],
      ['unknown tensor name', (h) => void (tensorOf(h, 0, 'colIdx').name = 'columns')],
      ['missing tensor', (h) => void h.layers[8]!.tensors!.pop()],
      ['duplicated tensor', (h) => void h.layers[8]!.tensors!.push({ ...tensorOf(h, 8, 'bias') })],
      ['tensors on an activation', (h) => void (h.layers[1]!.tensors = [tensorOf(h, 0, 'bias')])],
      ['unknown kind', (h) => void (h.layers[1]!.kind = 'conv2d')],
      ['unknown init', (h) => void (h.layers[0]!.init = 'xavier')],
      ['m not supported', (h) => void (h.layers[2]!.m = 3)],
      ['n > m', (h) => void (h.layers[2]!.n = 5)],
      ['dropout rate 1', (h) => void (h.layers[7]!.rate = 1)],
      ['dropout rate negative', (h) => void (h.layers[7]!.rate = -0.1)],
      ['alpha a string', (h) => void (h.layers[3]!.alpha = '0.01')],
      ['alpha missing', (h) => void delete h.layers[3]!.alpha],
      ['format name', (h) => void (h.format = 'other-model')],
      ['header version disagrees with the preamble', (h) => void (h.version = 2)],
      ['layers not an array', (h) => void (h.layers = {} as unknown as LayerEntry[])],
      ['layer not an object', (h) => void (h.layers[1] = 'relu' as unknown as LayerEntry)],
      ['metadata value an object', (h) => void (h.metadata = { nested: { a: 1 } })],
      ['metadata value null', (h) => void (h.metadata = { a: null })],
      ['metadata an array', (h) => void (h.metadata = ['a'])],
    ];
    for (const [what, edit] of lies) {
      const forged = forge(bytes, edit);
      const e = mustThrow(() => decodeModel(forged));
      expect(e, what).toBeInstanceOf(ModelFormatError);
      expect((e as ModelFormatError).reason, `${what}: ${(e as Error).message}`).toBe('corrupt');
    }
    const err = expectFormatError(() => decodeModel(forge(bytes, (h) => void (tensorOf(h, 4, 'indices').length += 1))), 'corrupt');
    expect(err.layer).toBe(4);
    expect(err.message).toMatch(/layer 4/);
  });

  test('a header that is not JSON, not UTF-8, holds Infinity, or has nonzero padding', () => {
    const { headerText, binary } = parseFile(bytes);
    expectFormatError(() => decodeModel(assemble(headerText.slice(0, -1), binary)), 'corrupt');
    expectFormatError(() => decodeModel(assemble('[]', new Uint8Array(0))), 'corrupt');
    const infinite = headerText.replace('"alpha":0.01', '"alpha":1e999');
    expect(infinite).not.toBe(headerText);
    expectFormatError(() => decodeModel(assemble(infinite, binary)), 'corrupt');
    const badUtf8 = assemble(headerText, binary);
    badUtf8[28 + headerText.indexOf('ü')] = 0xff;
    const view = new DataView(badUtf8.buffer);
    view.setUint32(badUtf8.length - 4, crc32Bitwise(badUtf8.subarray(0, badUtf8.length - 4)), true);
    expectFormatError(() => decodeModel(badUtf8), 'corrupt');
    // Pick a header length that leaves padding, then make the padding nonzero.
    let text = headerText;
    while ((28 + new TextEncoder().encode(text).length) % 4 === 0) text += ' ';
    decodeModel(assemble(text, binary));
    expectFormatError(() => decodeModel(assemble(text, binary, { padByte: 1 })), 'corrupt');
  });

  test('layers that do not chain are a mismatch', () => {
    const a = encodeModel({ layers: [{ kind: 'sparse-linear', W: CSRMatrix.random({ rows: 6, cols: 4, density: 0.5 }), bias: new Float32Array(6), init: 'he-uniform' }, { kind: 'relu' }] });
    const b = encodeModel({ layers: [{ kind: 'dense-linear', W: DenseMatrix.random(3, 7), bias: new Float32Array(3), init: 'he-uniform' }] });
    const pa = parseFile(a);
    const pb = parseFile(b);
    for (const layer of pb.header.layers) for (const t of layer.tensors ?? []) t.offset += pa.binary.length;
    pa.header.layers.push(...pb.header.layers);
    const joined = assemble(JSON.stringify(pa.header), Uint8Array.from([...pa.binary, ...pb.binary]));
    const err = expectFormatError(() => decodeModel(joined), 'mismatch');
    expect(err.message).toMatch(/layer 2 \(dense-linear\) takes 7 inputs but layer 0 \(sparse-linear\) before it produces 6 outputs/);
    // The same layers with matching widths load.
    const c = encodeModel({ layers: [{ kind: 'dense-linear', W: DenseMatrix.random(3, 6), bias: new Float32Array(3), init: 'he-uniform' }] });
    const pc = parseFile(c);
    const pa2 = parseFile(a);
    for (const layer of pc.header.layers) for (const t of layer.tensors ?? []) t.offset += pa2.binary.length;
    pa2.header.layers.push(...pc.header.layers);
    expect(decodeModel(assemble(JSON.stringify(pa2.header), Uint8Array.from([...pa2.binary, ...pc.binary]))).layers).toHaveLength(3);
  });

  test('weights the matrix constructors refuse (unsorted columns, bad rowPtr, bad N:M positions) are corrupt, with the cause', () => {
    const W = (everyKindModel().layers[0] as { W: CSRMatrix }).W;
    const row = Array.from(W.rowCounts()).findIndex((c) => c >= 2);
    expect(row).toBeGreaterThanOrEqual(0);
    const edits: Array<[string, (h: FileHeader, b: Uint8Array) => void]> = [
      [
        'colIdx',
        (h, b) => {
          const t = tensorOf(h, 0, 'colIdx');
          const v = new DataView(b.buffer, b.byteOffset + t.offset);
          const k = W.rowPtr[row]!;
          const first = v.getUint32(k * 4, true);
          v.setUint32(k * 4, v.getUint32(k * 4 + 4, true), true);
          v.setUint32(k * 4 + 4, first, true);
        },
      ],
      ['rowPtr', (h, b) => new DataView(b.buffer, b.byteOffset + tensorOf(h, 0, 'rowPtr').offset).setUint32(4, 1000, true)],
      ['indices', (h, b) => new DataView(b.buffer, b.byteOffset + tensorOf(h, 2, 'indices').offset).setUint32(0, 0, true)],
    ];
    for (const [argument, edit] of edits) {
      const err = expectFormatError(() => decodeModel(forge(bytes, edit)), 'corrupt');
      expect(err.cause, err.message).toBeInstanceOf(InvalidArgumentError);
      expect((err.cause as InvalidArgumentError).argument).toBe(argument);
      expect(err.offset).toBeGreaterThan(28);
    }
  });

  test('non-finite weights or biases are corrupt', () => {
    for (const [layer, name] of [
      [8, 'data'],
      [8, 'bias'],
      [0, 'values'],
      [2, 'values'],
    ] as const) {
      const forged = forge(bytes, (h, b) => new DataView(b.buffer, b.byteOffset + tensorOf(h, layer, name).offset).setFloat32(0, Number.NaN, true));
      expect(expectFormatError(() => decodeModel(forged), 'corrupt').layer).toBe(layer);
    }
  });
});

describe('encodeModel and checkChain', () => {
  const linear = (rows: number, cols: number): LayerSnapshot => ({ kind: 'dense-linear', W: DenseMatrix.random(rows, cols), bias: new Float32Array(rows), init: 'he-uniform' });

  test('checkChain follows widths through activations', () => {
    checkChain([linear(4, 3), { kind: 'relu' }, { kind: 'dropout', rate: 0.5 }, linear(2, 4), { kind: 'softmax' }]);
    checkChain([]);
    checkChain([{ kind: 'relu' }]);
    const e = mustThrow(() => checkChain([linear(4, 3), { kind: 'relu' }, linear(2, 5)]));
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect((e as Error).message).toMatch(/layer 2 \(dense-linear\) takes 5 inputs but layer 0 \(dense-linear\) before it produces 4/);
  });

  test('rejects snapshots that would not load, with typed errors', () => {
    const bad: Array<[string, unknown]> = [
      ['not chaining', { layers: [linear(4, 3), linear(2, 5)] }],
      ['bias length', { layers: [{ ...linear(4, 3), bias: new Float32Array(3) }] }],
      ['bias not Float32Array', { layers: [{ ...linear(4, 3), bias: [0, 0, 0, 0] }] }],
      ['W of the wrong class', { layers: [{ kind: 'sparse-linear', W: DenseMatrix.random(2, 2), bias: new Float32Array(2), init: 'he-uniform' }] }],
      ['unknown init', { layers: [{ ...linear(4, 3), init: 'xavier' }] }],
      ['unknown kind', { layers: [{ kind: 'conv2d' }] }],
      ['rate 1', { layers: [{ kind: 'dropout', rate: 1 }] }],
      ['alpha NaN', { layers: [{ kind: 'leaky-relu', alpha: Number.NaN }] }],
      ['metadata NaN', { layers: [], metadata: { loss: Number.NaN } }],
      ['metadata object', { layers: [], metadata: { nested: {} } }],
      ['no layers', {}],
    ];
    const nanDense = linear(2, 2) as { W: DenseMatrix };
    nanDense.W.data[1] = Number.POSITIVE_INFINITY;
    bad.push(['dense Infinity', { layers: [nanDense] }]);
    const csr = CSRMatrix.random({ rows: 3, cols: 3, density: 1 });
    csr.values[2] = Number.NaN; // values may be updated in place after construction
    bad.push(['CSR NaN', { layers: [{ kind: 'sparse-linear', W: csr, bias: new Float32Array(3), init: 'he-uniform' }] }]);
    for (const [what, model] of bad) {
      const e = mustThrow(() => encodeModel(model as ModelSnapshot));
      expect(e, what).toBeInstanceOf(InvalidArgumentError);
    }
    expect(mustThrow(() => encodeModel({ layers: [linear(4, 3), linear(2, 5)] }))).toBeInstanceOf(ShapeMismatchError);
  });
});
