/**
 * safetensors in and out (https://github.com/huggingface/safetensors, docs/interop.md).
 *
 *   8 bytes   u64 little-endian N, the header's length
 *   N bytes   UTF-8 JSON object: "__metadata__" (string → string) and one
 *             entry per tensor { "dtype", "shape", "data_offsets": [begin, end] },
 *             padded with spaces so the data starts 8-byte aligned
 *   rest      the tensors' bytes, little-endian, tiling it with no hole
 *
 * Tensors are named layers.<i>.<part>, i the layer's index in the Sequential:
 *   sparse-linear  crow_indices I64 [out+1], col_indices I64 [nnz], values F32 [nnz]
 *                  (torch.sparse_csr_tensor's arguments), bias F32 [out]
 *   nm-linear      values F32 [out, in/m, n], positions U8 [out, in/m, n] (0..m-1 in each group), bias
 *   dense-linear   weight F32 [out, in] (nn.Linear's), bias F32 [out]
 * and __metadata__["wgsparse.layers"] holds the architecture (snapshot.ts).
 * Tensors are stored I64 first, then F32, then U8, so each starts aligned to
 * its element size (as the reference writer orders them) with no padding.
 */
import { CSRMatrix } from '../formats/csr.js';
import { DenseMatrix } from '../formats/dense.js';
import { NMMatrix, packPositions } from '../formats/nm.js';
import { InvalidArgumentError } from '../errors.js';
import type { LayerSnapshot, ModelSnapshot } from '../model/model-file.js';
import { InteropFormatError, type InteropErrorReason } from './errors.js';
import { checkSnapshot, layerMetaJson, readLayerMeta, type LayerMeta } from './snapshot.js';

import { SAFETENSORS_METADATA_KEY } from './constants.js';

type Dtype = 'I64' | 'F32' | 'U8';
const DTYPE_BYTES: Record<Dtype, number> = { I64: 8, F32: 4, U8: 1 };
/** Every dtype safetensors defines and its element size, so a foreign one is size-checked and named as such. */
const KNOWN_DTYPES: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 };
/** The reference reader's limit: a header is JSON, not data. */
const MAX_HEADER_BYTES = 100_000_000;

interface OutTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

function bytesOf(a: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function layerTensors(layer: LayerSnapshot, i: number): OutTensor[] {
  const p = `layers.${i}.`;
  switch (layer.kind) {
    case 'sparse-linear': {
      const { W } = layer;
      return [
        { name: `${p}crow_indices`, dtype: 'I64', shape: [W.rows + 1], bytes: bytesOf(BigInt64Array.from(W.rowPtr, BigInt)) },
        { name: `${p}col_indices`, dtype: 'I64', shape: [W.nnz], bytes: bytesOf(BigInt64Array.from(W.colIdx, BigInt)) },
        { name: `${p}values`, dtype: 'F32', shape: [W.nnz], bytes: bytesOf(W.values) },
        { name: `${p}bias`, dtype: 'F32', shape: [W.rows], bytes: bytesOf(layer.bias) },
      ];
    }
    case 'nm-linear': {
      const { W } = layer;
      const shape = [W.rows, W.groupsPerRow, W.n];
      const positions = Uint8Array.from({ length: W.nnz }, (_, k) => W.slotPosition(k));
      return [
        { name: `${p}values`, dtype: 'F32', shape, bytes: bytesOf(W.values) },
        { name: `${p}positions`, dtype: 'U8', shape, bytes: positions },
        { name: `${p}bias`, dtype: 'F32', shape: [W.rows], bytes: bytesOf(layer.bias) },
      ];
    }
    case 'dense-linear':
      return [
        { name: `${p}weight`, dtype: 'F32', shape: [layer.W.rows, layer.W.cols], bytes: bytesOf(layer.W.data) },
        { name: `${p}bias`, dtype: 'F32', shape: [layer.W.rows], bytes: bytesOf(layer.bias) },
      ];
    default:
      return [];
  }
}

/** The safetensors bytes of a layer stack. Throws InvalidArgumentError for a snapshot that is not a Sequential's. */
export function encodeSafetensors(snapshot: ModelSnapshot): Uint8Array {
  checkSnapshot(snapshot);
  const tensors = snapshot.layers.flatMap(layerTensors);
  // Stable sort: I64, F32, U8 — each tensor then starts at a multiple of its element size.
  tensors.sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype]);
  const header: Record<string, unknown> = { __metadata__: { [SAFETENSORS_METADATA_KEY]: layerMetaJson(snapshot) } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

// ---------------------------------------------------------------- import

interface InTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function fail(reason: InteropErrorReason, message: string, where: { tensor?: string; offset?: number; cause?: unknown } = {}): never {
  throw new InteropFormatError('safetensors', reason, message, where);
}

function parseHeader(bytes: Uint8Array): { tensors: Map<string, InTensor>; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'must be a Uint8Array');
  if (bytes.length < 8) fail('truncated', `the file has ${bytes.length} bytes, fewer than the 8 of its header length`, { offset: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(4, true);
  const length = view.getUint32(0, true) + high * 2 ** 32;
  if (high !== 0 || length > MAX_HEADER_BYTES) fail('corrupt', `the header length ${length} is beyond the ${MAX_HEADER_BYTES}-byte limit`, { offset: 0 });
  if (8 + length > bytes.length) fail('truncated', `the header length ${length} runs past the end of the ${bytes.length}-byte file`, { offset: 0 });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length)));
  } catch (e) {
    fail('corrupt', `the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`, { offset: 8, cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('corrupt', 'the header is not a JSON object', { offset: 8 });
  const dataStart = 8 + length;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, InTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('corrupt', '__metadata__ must be an object of strings', { offset: 8 });
      for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') fail('corrupt', `__metadata__.${k} must be a string`, { offset: 8 });
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('corrupt', 'the entry must be an object', { tensor: name });
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(KNOWN_DTYPES, dtype)) fail('corrupt', `dtype ${JSON.stringify(dtype)} is not a safetensors dtype`, { tensor: name });
    const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount)) fail('corrupt', 'shape must be an array of non-negative integers', { tensor: name });
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0]! > offsets[1]!) fail('corrupt', 'data_offsets must be [begin, end] with 0 ≤ begin ≤ end', { tensor: name });
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) fail('truncated', `its data (bytes ${begin}..${end} of the data section) runs past the end of the file (${dataLength} data bytes)`, { tensor: name, offset: dataStart + Math.min(begin, dataLength) });
    const size = KNOWN_DTYPES[dtype]!;
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) {
      fail('mismatch', `${dtype} of shape [${shape.join(', ')}] takes ${count * size} bytes but data_offsets give ${end - begin}`, { tensor: name, offset: dataStart + begin });
    }
    tensors.set(name, { name, dtype, shape: shape as number[], begin, end });
  }
  // The buffer must be tiled: no overlap, no hole (the format forbids holes, so nothing hides in one).
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last: InTensor | undefined;
  for (const t of sorted) {
    if (t.begin < covered && last) fail('corrupt', `its data (bytes ${t.begin}..${t.end}) overlaps ${last.name} (${last.begin}..${last.end})`, { tensor: t.name, offset: dataStart + t.begin });
    if (t.begin > covered) fail('corrupt', `data bytes ${covered}..${t.begin} belong to no tensor`, { tensor: t.name, offset: dataStart + covered });
    covered = Math.max(covered, t.end);
    last = t;
  }
  if (covered !== dataLength) fail('corrupt', `data bytes ${covered}..${dataLength} belong to no tensor`, { offset: dataStart + covered });
  return { tensors, metadata, dataStart };
}

/** A layer stack from safetensors bytes that carry wgsparse's architecture; validated whole, InteropFormatError otherwise. */
export function decodeSafetensors(bytes: Uint8Array): ModelSnapshot {
  const { tensors, metadata, dataStart } = parseHeader(bytes);
  const text = metadata[SAFETENSORS_METADATA_KEY];
  if (text === undefined) {
    fail('unsupported', `__metadata__ has no ${JSON.stringify(SAFETENSORS_METADATA_KEY)} entry: without the architecture (layer formats and activations) the network cannot be rebuilt`);
  }
  const meta = readLayerMeta('safetensors', text, { tensor: '__metadata__' });
  const used = new Set<string>();
  const tensor = (name: string, dtype: Dtype | Dtype[], shape: number[]): InTensor => {
    const t = tensors.get(name);
    if (!t) fail('corrupt', 'the tensor is missing', { tensor: name });
    const dtypes = Array.isArray(dtype) ? dtype : [dtype];
    if (!dtypes.includes(t.dtype as Dtype)) fail('dtype', `must be ${dtypes.join(' or ')}, is ${t.dtype}`, { tensor: name });
    if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) fail('mismatch', `has shape [${t.shape.join(', ')}], the architecture needs [${shape.join(', ')}]`, { tensor: name });
    used.add(name);
    return t;
  };
  const copy = (t: InTensor): ArrayBuffer => bytes.slice(dataStart + t.begin, dataStart + t.end).buffer;
  const f32 = (name: string, shape: number[]): Float32Array => {
    const t = tensor(name, 'F32', shape);
    const data = new Float32Array(copy(t));
    for (let k = 0; k < data.length; k++) {
      if (!Number.isFinite(data[k]!)) fail('corrupt', `element ${k} is ${data[k]}; weights must be finite`, { tensor: name, offset: dataStart + t.begin + 4 * k });
    }
    return data;
  };
  const u32 = (name: string, length: number): Uint32Array => {
    const t = tensor(name, 'I64', [length]);
    const wide = new BigInt64Array(copy(t));
    const out = new Uint32Array(length);
    for (let k = 0; k < length; k++) {
      const v = wide[k]!;
      if (v < 0n || v > 0xffffffffn) fail('corrupt', `index ${k} is ${v}`, { tensor: name, offset: dataStart + t.begin + 8 * k });
      out[k] = Number(v);
    }
    return out;
  };
  const layers = meta.map((entry: LayerMeta, i): LayerSnapshot => {
    const p = `layers.${i}.`;
    const matrix = <T>(name: string, build: () => T): T => {
      try {
        return build();
      } catch (e) {
        if (!(e instanceof InvalidArgumentError)) throw e;
        return fail('corrupt', `layer ${i} (${entry.kind}) weights are invalid: ${e.message}`, { tensor: `${p}${name}`, cause: e });
      }
    };
    switch (entry.kind) {
      case 'sparse-linear': {
        const crow = tensors.get(`${p}col_indices`);
        const nnz = crow ? crow.shape[0] ?? 0 : 0;
        const rowPtr = u32(`${p}crow_indices`, entry.out + 1);
        const colIdx = u32(`${p}col_indices`, nnz);
        const values = f32(`${p}values`, [nnz]);
        const bias = f32(`${p}bias`, [entry.out]);
        return { kind: entry.kind, init: entry.init, bias, W: matrix('crow_indices', () => new CSRMatrix({ rows: entry.out, cols: entry.in, rowPtr, colIdx, values })) };
      }
      case 'nm-linear': {
        const shape = [entry.out, entry.in / entry.m, entry.n];
        const values = f32(`${p}values`, shape);
        const t = tensor(`${p}positions`, 'U8', shape);
        const positions = bytes.subarray(dataStart + t.begin, dataStart + t.end);
        const bad = positions.findIndex((v) => v >= entry.m);
        if (bad >= 0) fail('corrupt', `position ${bad} is ${positions[bad]}, not below m = ${entry.m}`, { tensor: `${p}positions`, offset: dataStart + t.begin + bad });
        const bias = f32(`${p}bias`, [entry.out]);
        return {
          kind: entry.kind,
          init: entry.init,
          bias,
          W: matrix('positions', () => new NMMatrix({ rows: entry.out, cols: entry.in, n: entry.n, m: entry.m, values, indices: packPositions(positions, entry.m) })),
        };
      }
      case 'dense-linear': {
        const data = f32(`${p}weight`, [entry.out, entry.in]);
        return { kind: entry.kind, init: entry.init, bias: f32(`${p}bias`, [entry.out]), W: new DenseMatrix(entry.out, entry.in, data) };
      }
      default:
        return entry;
    }
  });
  for (const name of tensors.keys()) if (!used.has(name)) fail('corrupt', 'the architecture has no place for this tensor', { tensor: name });
  let prev: { i: number; out: number } | undefined;
  meta.forEach((entry, i) => {
    if (!('in' in entry)) return;
    if (prev && entry.in !== prev.out) fail('mismatch', `layer ${i} takes ${entry.in} inputs but layer ${prev.i} gives ${prev.out}`, { tensor: '__metadata__' });
    prev = { i, out: entry.out };
  });
  return { layers };
}
