/**
 * The model file: a versioned binary snapshot of a layer stack, independent of
 * any engine, so a model saved from the WebGPU backend loads on the CPU one and
 * back. The full specification, with the versioning policy, is
 * docs/model-format.md; this block is its summary and must stay in step.
 *
 *   offset  size  field
 *   0       8     magic "WGSPMDL\0" (57 47 53 50 4D 44 4C 00)
 *   8       4     u32 version (MODEL_FORMAT_VERSION)
 *   12      4     u32 H, the header's byte length
 *   16      8     u64 D, the binary section's byte length (low word first)
 *   24      4     u32 CRC-32 of bytes 0..23 (the preamble)
 *   28      H     header: UTF-8 JSON (schema below)
 *   28+H    P     0..3 zero bytes, so the binary section starts 4-aligned
 *   B       D     binary section, B = 28 + H + P: the tensors, little-endian
 *   B+D     4     u32 CRC-32 of bytes 0..B+D-1 (everything before it)
 *
 * All integers are little-endian. CRC-32 is the IEEE/zlib one (reflected
 * polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).
 *
 * The preamble has its own checksum so that every failure gets the right name:
 * once bytes 0..27 check out, the declared total length is trustworthy, so a
 * short file is "truncated" and never "corrupt", and a flipped length byte is
 * "corrupt" and never "truncated". The preamble layout is frozen for every
 * version, which is what lets a reader name a newer version instead of calling
 * the file corrupt.
 *
 * Header JSON:
 *   { "format": "wgsparse-model", "version": 1,
 *     "layers": [ { "kind", ...shape and hyper-parameters, "tensors": [
 *        { "name", "dtype": "f32" | "u32", "offset", "length" } ] } ],
 *     "metadata": { ... } }              // optional
 * A tensor's offset is in bytes from the binary section's start (a multiple of
 * 4) and its length in elements. Tensors must tile the binary section exactly:
 * in bounds, pairwise disjoint, no gap, nothing left over.
 *
 *   sparse-linear  rows, cols, nnz, init; rowPtr u32[rows+1], colIdx u32[nnz], values f32[nnz], bias f32[rows]
 *   nm-linear      rows, cols, n, m, init; values f32[rows·cols/m·n], indices u32[packed words], bias f32[rows]
 *   dense-linear   rows, cols, init; data f32[rows·cols] (row-major), bias f32[rows]
 *   relu, sigmoid, tanh, softmax  nothing
 *   leaky-relu     alpha (finite, within float32's range)
 *   dropout        rate in [0, 1)
 */
import { InvalidArgumentError, ShapeMismatchError, WgsparseError } from '../errors.js';
import { CSRMatrix } from '../formats/csr.js';
import { DenseMatrix } from '../formats/dense.js';
import type { WeightInit } from '../formats/init.js';
import { checkNM, NMMatrix, packedWords } from '../formats/nm.js';
import { ACTIVATION_KINDS, activationOf, isActivationKind, type ActivationLayer } from './activations.js';

export type LayerSnapshot =
  | { kind: 'sparse-linear'; W: CSRMatrix; bias: Float32Array; init: WeightInit }
  | { kind: 'nm-linear'; W: NMMatrix; bias: Float32Array; init: WeightInit }
  | { kind: 'dense-linear'; W: DenseMatrix; bias: Float32Array; init: WeightInit }
  | ActivationLayer;

export type LayerKind = LayerSnapshot['kind'];

export type ModelMetadata = Record<string, string | number | boolean>;

export interface ModelSnapshot {
  layers: LayerSnapshot[];
  /** Free-form; kept whole on load, including keys this version does not know. */
  metadata?: ModelMetadata;
}

export const MODEL_FORMAT = 'wgsparse-model';
/** The format's major version: bumped only for changes an older reader would misread. */
export const MODEL_FORMAT_VERSION = 1;

export type ModelFormatErrorReason = 'magic' | 'version' | 'truncated' | 'corrupt' | 'mismatch';

/**
 * A model file cannot be loaded. `reason` separates "not a model file" (magic),
 * "written by a newer wgsparse" (version), "cut short" (truncated), "damaged or
 * malformed" (corrupt) and "layers that do not fit together" (mismatch).
 */
export class ModelFormatError extends WgsparseError {
  override name = 'ModelFormatError';
  readonly reason: ModelFormatErrorReason;
  /** Byte offset in the file where the problem was found, when there is one. */
  readonly offset: number | undefined;
  /** Index of the layer at fault, when there is one. */
  readonly layer: number | undefined;

  constructor(reason: ModelFormatErrorReason, message: string, where: { offset?: number; layer?: number; cause?: unknown } = {}) {
    const place = [
      where.layer === undefined ? undefined : `layer ${where.layer}`,
      where.offset === undefined ? undefined : `byte offset ${where.offset}`,
    ].filter((s): s is string => s !== undefined);
    super(`model file (${reason}): ${message}${place.length > 0 ? ` [${place.join(', ')}]` : ''}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.reason = reason;
    this.offset = where.offset;
    this.layer = where.layer;
  }
}

const MAGIC = Uint8Array.of(0x57, 0x47, 0x53, 0x50, 0x4d, 0x44, 0x4c, 0x00);
const PREAMBLE_BYTES = 28;
const PREAMBLE_CRC_OFFSET = 24;
const CRC_BYTES = 4;

// A Record rather than an array so that adding a WeightInit without listing it
// here is a compile error, not a file this reader rejects.
const INIT_NAMES: Record<WeightInit, true> = { 'he-uniform': true, 'glorot-uniform': true, normal: true, uniform: true };
const LINEAR_KINDS = ['sparse-linear', 'nm-linear', 'dense-linear'] as const;
const LAYER_KINDS: readonly LayerKind[] = [...LINEAR_KINDS, ...ACTIVATION_KINDS];

function isLayerKind(kind: unknown): kind is LayerKind {
  return isActivationKind(kind) || (LINEAR_KINDS as readonly unknown[]).includes(kind);
}

// Typed arrays use the host's byte order; the file is little-endian. Every
// engine wgsparse runs on is little-endian, but a big-endian host would
// otherwise read garbage silently.
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function isLinear(kind: LayerKind): kind is (typeof LINEAR_KINDS)[number] {
  return !isActivationKind(kind);
}

/** Layer shapes as the chain check sees them: a linear layer maps cols → rows, others keep the width. */
interface ChainLink {
  kind: LayerKind;
  rows?: number;
  cols?: number;
}

function findChainBreak(links: readonly ChainLink[]): string | undefined {
  let prev: { index: number; kind: LayerKind; rows: number } | undefined;
  for (let i = 0; i < links.length; i++) {
    const { kind, rows, cols } = links[i]!;
    if (rows === undefined || cols === undefined) continue;
    if (prev && cols !== prev.rows) {
      return `layer ${i} (${kind}) takes ${cols} inputs but layer ${prev.index} (${prev.kind}) before it produces ${prev.rows} outputs`;
    }
    prev = { index: i, kind, rows };
  }
  return undefined;
}

/**
 * Throws a ShapeMismatchError unless each linear layer's input width equals
 * the previous linear layer's output width (activations keep the width).
 */
export function checkChain(layers: readonly LayerSnapshot[]): void {
  const message = findChainBreak(layers.map((l) => (isLinear(l.kind) && 'W' in l ? { kind: l.kind, rows: l.W.rows, cols: l.W.cols } : { kind: l.kind })));
  if (message !== undefined) throw new ShapeMismatchError('layers', message);
}

// ---------------------------------------------------------------- encoding

type TensorData = { name: string; dtype: 'f32'; data: Float32Array } | { name: string; dtype: 'u32'; data: Uint32Array };

interface HeaderTensor {
  name: string;
  dtype: 'f32' | 'u32';
  offset: number;
  length: number;
}

function checkFinite(argument: string, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) throw new InvalidArgumentError(argument, `must be finite (a file holding it would not load), found ${v} at index ${i}`);
  }
}

function checkSnapshotLayer(layer: LayerSnapshot, where: string): void {
  if (typeof layer !== 'object' || layer === null || !isLayerKind(layer.kind)) {
    throw new InvalidArgumentError(where, `must be a layer snapshot with a known kind (${LAYER_KINDS.join(', ')})`);
  }
  switch (layer.kind) {
    case 'sparse-linear':
    case 'nm-linear':
    case 'dense-linear': {
      const ctor = layer.kind === 'sparse-linear' ? CSRMatrix : layer.kind === 'nm-linear' ? NMMatrix : DenseMatrix;
      if (!(layer.W instanceof ctor)) throw new InvalidArgumentError(`${where}.W`, `must be a ${ctor.name} for a ${layer.kind} layer`);
      if (typeof layer.init !== 'string' || !Object.hasOwn(INIT_NAMES, layer.init)) {
        throw new InvalidArgumentError(`${where}.init`, `must be one of ${Object.keys(INIT_NAMES).join(', ')}, got ${String(layer.init)}`);
      }
      if (!(layer.bias instanceof Float32Array)) throw new InvalidArgumentError(`${where}.bias`, 'must be a Float32Array');
      if (layer.bias.length !== layer.W.rows) throw new InvalidArgumentError(`${where}.bias`, `must have length W.rows = ${layer.W.rows}, got ${layer.bias.length}`);
      checkFinite(`${where}.bias`, layer.bias);
      // Values may be updated in place after construction, so they are checked again here.
      checkFinite(`${where}.W`, layer.W instanceof DenseMatrix ? layer.W.data : layer.W.values);
      return;
    }
    default:
      activationOf(layer, where);
  }
}

function checkMetadata(metadata: unknown, argument: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new InvalidArgumentError(argument, 'must be a plain object');
  for (const [key, value] of Object.entries(metadata)) {
    const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new InvalidArgumentError(`${argument}.${key}`, `must be a string, a finite number or a boolean, got ${String(value)}`);
  }
}

function layerTensors(layer: LayerSnapshot): TensorData[] {
  switch (layer.kind) {
    case 'sparse-linear':
      return [
        { name: 'rowPtr', dtype: 'u32', data: layer.W.rowPtr },
        { name: 'colIdx', dtype: 'u32', data: layer.W.colIdx },
        { name: 'values', dtype: 'f32', data: layer.W.values },
        { name: 'bias', dtype: 'f32', data: layer.bias },
      ];
    case 'nm-linear':
      return [
        { name: 'values', dtype: 'f32', data: layer.W.values },
        { name: 'indices', dtype: 'u32', data: layer.W.indices },
        { name: 'bias', dtype: 'f32', data: layer.bias },
      ];
    case 'dense-linear':
      return [
        { name: 'data', dtype: 'f32', data: layer.W.data },
        { name: 'bias', dtype: 'f32', data: layer.bias },
      ];
    default:
      return [];
  }
}

/** The header entry of a layer, keys in a fixed order so equal models encode to equal bytes. */
function layerHeader(layer: LayerSnapshot, tensors: HeaderTensor[]): Record<string, unknown> {
  switch (layer.kind) {
    case 'sparse-linear':
      return { kind: layer.kind, rows: layer.W.rows, cols: layer.W.cols, nnz: layer.W.nnz, init: layer.init, tensors };
    case 'nm-linear':
      return { kind: layer.kind, rows: layer.W.rows, cols: layer.W.cols, n: layer.W.n, m: layer.W.m, init: layer.init, tensors };
    case 'dense-linear':
      return { kind: layer.kind, rows: layer.W.rows, cols: layer.W.cols, init: layer.init, tensors };
    default:
      return activationOf(layer, 'layer');
  }
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 2 ** 32, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}

/**
 * Serialises a snapshot. Throws InvalidArgumentError for a malformed snapshot
 * (and its ShapeMismatchError subclass when the layers do not chain), so a
 * file is never written that decodeModel would refuse.
 */
export function encodeModel(model: ModelSnapshot): Uint8Array {
  if (typeof model !== 'object' || model === null || !Array.isArray(model.layers)) throw new InvalidArgumentError('model', 'must be an object with a layers array');
  model.layers.forEach((layer, i) => checkSnapshotLayer(layer, `model.layers[${i}]`));
  checkChain(model.layers);
  if (model.metadata !== undefined) checkMetadata(model.metadata, 'model.metadata');

  const all: TensorData[] = [];
  let binaryLength = 0;
  const headerLayers = model.layers.map((layer) => {
    const tensors = layerTensors(layer).map((t) => {
      all.push(t);
      const entry: HeaderTensor = { name: t.name, dtype: t.dtype, offset: binaryLength, length: t.data.length };
      binaryLength += t.data.byteLength;
      return entry;
    });
    return layerHeader(layer, tensors);
  });
  const header: Record<string, unknown> = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, layers: headerLayers };
  if (model.metadata !== undefined) header.metadata = model.metadata;
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));

  const binaryStart = align4(PREAMBLE_BYTES + headerBytes.length);
  const total = binaryStart + binaryLength + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  writeU64(view, 16, binaryLength);
  view.setUint32(PREAMBLE_CRC_OFFSET, crc32(out, 0, PREAMBLE_CRC_OFFSET), true);
  out.set(headerBytes, PREAMBLE_BYTES);
  let at = binaryStart;
  for (const t of all) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    if (!HOST_LITTLE_ENDIAN) swapWords(out, at, t.data.byteLength);
    at += t.data.byteLength;
  }
  view.setUint32(total - CRC_BYTES, crc32(out, 0, total - CRC_BYTES), true);
  return out;
}

function swapWords(bytes: Uint8Array, start: number, byteLength: number): void {
  for (let i = start; i < start + byteLength; i += 4) {
    const a = bytes[i]!;
    const b = bytes[i + 1]!;
    bytes[i] = bytes[i + 3]!;
    bytes[i + 1] = bytes[i + 2]!;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

// ---------------------------------------------------------------- decoding

/** What the header promises for a linear layer, checked but not yet read. */
interface PlannedLinear {
  kind: 'sparse-linear' | 'nm-linear' | 'dense-linear';
  rows: number;
  cols: number;
  nnz: number;
  n: number;
  m: number;
  init: WeightInit;
  tensors: Map<string, HeaderTensor>;
}

type PlannedLayer = PlannedLinear | ActivationLayer;

/** Reads and checks the header JSON; `offset` is where the header starts, for messages. */
class HeaderReader {
  constructor(readonly offset: number) {}

  fail(message: string, layer?: number, cause?: unknown): never {
    const where: { offset: number; layer?: number; cause?: unknown } = { offset: this.offset };
    if (layer !== undefined) where.layer = layer;
    if (cause !== undefined) where.cause = cause;
    throw new ModelFormatError('corrupt', `header: ${message}`, where);
  }

  object(value: unknown, what: string, layer?: number): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${what} must be a JSON object`, layer);
    return value as Record<string, unknown>;
  }

  count(obj: Record<string, unknown>, key: string, what: string, layer?: number): number {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(`${what}.${key} must be a non-negative integer, got ${JSON.stringify(v)}`, layer);
    return v;
  }
}

function expectedTensors(p: Omit<PlannedLinear, 'tensors'>): Array<{ name: string; dtype: 'f32' | 'u32'; length: number }> {
  const bias = { name: 'bias', dtype: 'f32' as const, length: p.rows };
  switch (p.kind) {
    case 'sparse-linear':
      return [
        { name: 'rowPtr', dtype: 'u32', length: p.rows + 1 },
        { name: 'colIdx', dtype: 'u32', length: p.nnz },
        { name: 'values', dtype: 'f32', length: p.nnz },
        bias,
      ];
    case 'nm-linear': {
      const slots = p.rows * (p.cols / p.m) * p.n;
      return [
        { name: 'values', dtype: 'f32', length: slots },
        { name: 'indices', dtype: 'u32', length: packedWords(slots, p.m) },
        bias,
      ];
    }
    case 'dense-linear':
      return [{ name: 'data', dtype: 'f32', length: p.rows * p.cols }, bias];
  }
}

function planLayer(h: HeaderReader, raw: unknown, i: number, binaryLength: number): PlannedLayer {
  const what = `layers[${i}]`;
  const obj = h.object(raw, what, i);
  const kind = obj.kind;
  if (!isLayerKind(kind)) h.fail(`${what}.kind ${JSON.stringify(kind)} is not a known layer kind`, i);
  const knownKind = kind;

  if (isActivationKind(knownKind)) {
    if (obj.tensors !== undefined && !(Array.isArray(obj.tensors) && obj.tensors.length === 0)) h.fail(`${what} (${knownKind}) has no weights but lists tensors`, i);
    try {
      return activationOf({ ...obj, kind: knownKind }, what);
    } catch (e) {
      if (e instanceof InvalidArgumentError) h.fail(e.message, i, e);
      throw e;
    }
  }

  const rows = h.count(obj, 'rows', what, i);
  const cols = h.count(obj, 'cols', what, i);
  const init = obj.init;
  if (typeof init !== 'string' || !Object.hasOwn(INIT_NAMES, init)) h.fail(`${what}.init ${JSON.stringify(init)} is not a known initialisation`, i);
  let nnz = 0;
  let n = 0;
  let m = 0;
  if (knownKind === 'sparse-linear') nnz = h.count(obj, 'nnz', what, i);
  if (knownKind === 'nm-linear') {
    n = h.count(obj, 'n', what, i);
    m = h.count(obj, 'm', what, i);
    try {
      checkNM(n, m);
    } catch (e) {
      h.fail(`${what}: ${(e as Error).message}`, i, e);
    }
    if (cols % m !== 0) h.fail(`${what}.cols = ${cols} is not a multiple of m = ${m}`, i);
  }
  const base = { kind: knownKind, rows, cols, nnz, n, m, init: init as WeightInit };

  if (!Array.isArray(obj.tensors)) h.fail(`${what}.tensors must be an array`, i);
  const listed = new Map<string, HeaderTensor>();
  obj.tensors.forEach((rawTensor: unknown, j: number) => {
    const tw = `${what}.tensors[${j}]`;
    const t = h.object(rawTensor, tw, i);
    const { name, dtype } = t;
    if (typeof name !== 'string') h.fail(`${tw}.name must be a string`, i);
    if (dtype !== 'f32' && dtype !== 'u32') h.fail(`${tw} (${name}).dtype must be "f32" or "u32", got ${JSON.stringify(dtype)}`, i);
    const offset = h.count(t, 'offset', tw, i);
    const length = h.count(t, 'length', tw, i);
    if (offset % 4 !== 0) h.fail(`tensor ${name} offset ${offset} is not 4-byte aligned`, i);
    if (offset > binaryLength || length > (binaryLength - offset) / 4) {
      h.fail(`tensor ${name} (${length} × 4 bytes at binary offset ${offset}) runs past the binary section's end (${binaryLength} bytes)`, i);
    }
    if (listed.has(name)) h.fail(`tensor ${name} is listed twice`, i);
    listed.set(name, { name, dtype, offset, length });
  });
  const expected = expectedTensors(base);
  for (const name of listed.keys()) {
    if (!expected.some((e) => e.name === name)) h.fail(`a ${knownKind} layer has no tensor named ${JSON.stringify(name)}`, i);
  }
  for (const e of expected) {
    const t = listed.get(e.name);
    if (!t) h.fail(`tensor ${e.name} is missing`, i);
    if (t.dtype !== e.dtype) h.fail(`tensor ${e.name} must be ${e.dtype}, got ${t.dtype}`, i);
    if (t.length !== e.length) h.fail(`tensor ${e.name} has ${t.length} elements but a ${rows} × ${cols} ${knownKind} layer needs ${e.length}`, i);
  }
  return { ...base, tensors: listed };
}

/** Tensors must tile [0, binaryLength): disjoint and gap-free, so no byte is read twice or left unexplained. */
function checkTiling(h: HeaderReader, planned: readonly PlannedLayer[], binaryLength: number): void {
  const ranges: Array<{ layer: number; name: string; start: number; end: number }> = [];
  planned.forEach((p, layer) => {
    if (!('tensors' in p)) return;
    for (const t of p.tensors.values()) ranges.push({ layer, name: t.name, start: t.offset, end: t.offset + t.length * 4 });
  });
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = 0;
  let last: (typeof ranges)[number] | undefined;
  for (const r of ranges) {
    if (r.start < covered && last) {
      h.fail(`tensor ${r.name} of layer ${r.layer} (binary bytes ${r.start}..${r.end}) overlaps tensor ${last.name} of layer ${last.layer} (${last.start}..${last.end})`, r.layer);
    }
    if (r.start > covered) h.fail(`binary bytes ${covered}..${r.start} belong to no tensor`, r.layer);
    covered = r.end;
    last = r;
  }
  if (covered !== binaryLength) h.fail(`binary bytes ${covered}..${binaryLength} belong to no tensor`);
}

function readMetadata(h: HeaderReader, raw: unknown): ModelMetadata {
  const obj = h.object(raw, 'metadata');
  const entries = Object.entries(obj);
  for (const [key, value] of entries) {
    const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) h.fail(`metadata.${key} must be a string, a finite number or a boolean, got ${JSON.stringify(value)}`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data instead of becoming a prototype.
  return Object.fromEntries(entries) as ModelMetadata;
}

/** A fresh, aligned copy of a tensor's bytes: never a view of the caller's buffer. */
function copyWords(bytes: Uint8Array, start: number, length: number): ArrayBuffer {
  const buffer = new ArrayBuffer(length * 4);
  const copy = new Uint8Array(buffer);
  copy.set(bytes.subarray(start, start + length * 4));
  if (!HOST_LITTLE_ENDIAN) swapWords(copy, 0, copy.length);
  return buffer;
}

function buildLayer(bytes: Uint8Array, binaryStart: number, p: PlannedLayer, i: number): LayerSnapshot {
  if (!('tensors' in p)) return p;
  const tensor = (name: string): HeaderTensor => p.tensors.get(name)!;
  const f32 = (name: string): Float32Array => {
    const t = tensor(name);
    return new Float32Array(copyWords(bytes, binaryStart + t.offset, t.length));
  };
  const u32 = (name: string): Uint32Array => {
    const t = tensor(name);
    return new Uint32Array(copyWords(bytes, binaryStart + t.offset, t.length));
  };
  const nonFinite = (name: string, values: Float32Array): void => {
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v - v !== 0) {
        throw new ModelFormatError('corrupt', `${p.kind} tensor ${name} holds ${v} at element ${k}; weights must be finite`, {
          layer: i,
          offset: binaryStart + tensor(name).offset + k * 4,
        });
      }
    }
  };
  const bias = f32('bias');
  nonFinite('bias', bias);
  try {
    switch (p.kind) {
      case 'sparse-linear':
        return { kind: p.kind, init: p.init, bias, W: new CSRMatrix({ rows: p.rows, cols: p.cols, rowPtr: u32('rowPtr'), colIdx: u32('colIdx'), values: f32('values') }) };
      case 'nm-linear':
        return { kind: p.kind, init: p.init, bias, W: new NMMatrix({ rows: p.rows, cols: p.cols, n: p.n, m: p.m, values: f32('values'), indices: u32('indices') }) };
      case 'dense-linear': {
        const data = f32('data');
        nonFinite('data', data);
        return { kind: p.kind, init: p.init, bias, W: new DenseMatrix(p.rows, p.cols, data) };
      }
    }
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    const at = p.tensors.get(e.argument);
    const where: { layer: number; cause: unknown; offset?: number } = { layer: i, cause: e };
    if (at) where.offset = binaryStart + at.offset;
    throw new ModelFormatError('corrupt', `${p.kind} weights are invalid: ${e.message}`, where);
  }
}

function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
}

/**
 * Parses a model file. Everything is checked (framing, checksums, header,
 * tensor ranges, shapes, layer chaining) before any tensor is copied, and the
 * result shares no memory with `bytes`. Throws ModelFormatError.
 */
export function decodeModel(bytes: Uint8Array): ModelSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'must be a Uint8Array');
  const size = bytes.length;
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= size) throw new ModelFormatError('truncated', `the file ends after ${size} bytes, inside the ${MAGIC.length}-byte magic`, { offset: size });
    if (bytes[i] !== MAGIC[i]) throw new ModelFormatError('magic', 'not a wgsparse model file (the first 8 bytes are not "WGSPMDL\\0")', { offset: i });
  }
  if (size < PREAMBLE_BYTES + CRC_BYTES) throw new ModelFormatError('truncated', `the file has ${size} bytes, fewer than the ${PREAMBLE_BYTES + CRC_BYTES} of an empty model`, { offset: size });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const preambleCrc = crc32(bytes, 0, PREAMBLE_CRC_OFFSET);
  const storedPreambleCrc = view.getUint32(PREAMBLE_CRC_OFFSET, true);
  if (preambleCrc !== storedPreambleCrc) {
    throw new ModelFormatError('corrupt', `preamble checksum mismatch (stored ${hex(storedPreambleCrc)}, computed ${hex(preambleCrc)})`, { offset: PREAMBLE_CRC_OFFSET });
  }
  const version = view.getUint32(8, true);
  if (version > MODEL_FORMAT_VERSION || version < 1) {
    throw new ModelFormatError('version', `format version ${version} is not supported; this reader reads version ${MODEL_FORMAT_VERSION}${version > MODEL_FORMAT_VERSION ? ' (upgrade wgsparse to load it)' : ''}`, { offset: 8 });
  }
  const headerLength = view.getUint32(12, true);
  const binaryLength = readU64(view, 16);
  const binaryStart = align4(PREAMBLE_BYTES + headerLength);
  const expected = binaryStart + binaryLength + CRC_BYTES;
  if (size < expected) {
    throw new ModelFormatError('truncated', `the file has ${size} bytes but its preamble declares ${expected} (header ${headerLength}, binary section ${binaryLength})`, { offset: size });
  }
  if (size > expected) throw new ModelFormatError('corrupt', `${size - expected} unexpected bytes after the end of the model`, { offset: expected });
  const fileCrc = crc32(bytes, 0, size - CRC_BYTES);
  const storedFileCrc = view.getUint32(size - CRC_BYTES, true);
  if (fileCrc !== storedFileCrc) {
    throw new ModelFormatError('corrupt', `checksum mismatch (stored ${hex(storedFileCrc)}, computed ${hex(fileCrc)}): the file was damaged`, { offset: size - CRC_BYTES });
  }
  for (let i = PREAMBLE_BYTES + headerLength; i < binaryStart; i++) {
    if (bytes[i] !== 0) throw new ModelFormatError('corrupt', 'nonzero padding between the header and the binary section', { offset: i });
  }
  if (binaryLength % 4 !== 0) throw new ModelFormatError('corrupt', `the binary section's length ${binaryLength} is not a multiple of 4`, { offset: 16 });

  const h: HeaderReader = new HeaderReader(PREAMBLE_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch (e) {
    h.fail(`not valid UTF-8 JSON (${(e as Error).message})`, undefined, e);
  }
  const header = h.object(parsed, 'the header');
  if (header.format !== MODEL_FORMAT) h.fail(`format is ${JSON.stringify(header.format)}, expected ${JSON.stringify(MODEL_FORMAT)}`);
  if (header.version !== version) h.fail(`version ${JSON.stringify(header.version)} disagrees with the preamble's ${version}`);
  if (!Array.isArray(header.layers)) h.fail('layers must be an array');
  const planned = header.layers.map((raw: unknown, i: number) => planLayer(h, raw, i, binaryLength));
  checkTiling(h, planned, binaryLength);
  const metadata = header.metadata === undefined ? undefined : readMetadata(h, header.metadata);
  const chainBreak = findChainBreak(planned);
  if (chainBreak !== undefined) throw new ModelFormatError('mismatch', `the layers do not chain: ${chainBreak}`, { offset: PREAMBLE_BYTES });

  const layers = planned.map((p, i) => buildLayer(bytes, binaryStart, p, i));
  const model: ModelSnapshot = { layers };
  if (metadata !== undefined) model.metadata = metadata;
  return model;
}
