import { WgsparseError } from '../errors.js';

export type InteropFormat = 'onnx' | 'safetensors';

/**
 * Why a file was refused:
 * - `truncated`: it ends before the data it declares;
 * - `corrupt`: not well-formed (bad protobuf, bad JSON, overlapping or
 *   out-of-range offsets, a graph that is not a chain, non-finite weights);
 * - `dtype`: a tensor is not float32 where a weight must be (or an index
 *   tensor has a type it cannot have);
 * - `mismatch`: shapes or byte lengths that do not agree;
 * - `unsupported`: well-formed, but outside what wgsparse runs (an operator,
 *   external data, an activation the library lacks).
 */
export type InteropErrorReason = 'truncated' | 'corrupt' | 'dtype' | 'mismatch' | 'unsupported';

export interface InteropErrorPlace {
  /** The ONNX node (its name, or `#index` when it has none). */
  node?: string;
  /** The tensor (initializer, safetensors entry) at fault. */
  tensor?: string;
  /** Byte offset in the file, where one applies. */
  offset?: number;
  cause?: unknown;
}

/**
 * An ONNX or safetensors file cannot be imported. Nothing has been allocated
 * on a GPU when it is thrown: files are validated whole before a layer is built.
 */
export class InteropFormatError extends WgsparseError {
  override name = 'InteropFormatError';
  readonly format: InteropFormat;
  readonly reason: InteropErrorReason;
  readonly node: string | undefined;
  readonly tensor: string | undefined;
  readonly offset: number | undefined;

  constructor(format: InteropFormat, reason: InteropErrorReason, message: string, where: InteropErrorPlace = {}) {
    const place = [
      where.node === undefined ? undefined : `node ${where.node}`,
      where.tensor === undefined ? undefined : `tensor ${where.tensor}`,
      where.offset === undefined ? undefined : `byte offset ${where.offset}`,
    ].filter((s): s is string => s !== undefined);
    super(`${format} (${reason}): ${message}${place.length > 0 ? ` [${place.join(', ')}]` : ''}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.format = format;
    this.reason = reason;
    this.node = where.node;
    this.tensor = where.tensor;
    this.offset = where.offset;
  }
}

/** An ONNX node whose operator (or form of it) wgsparse does not import. */
export class UnsupportedOperatorError extends InteropFormatError {
  override name = 'UnsupportedOperatorError';
  readonly operator: string;

  constructor(operator: string, node: string, message: string) {
    super('onnx', 'unsupported', `operator ${operator}: ${message}`, { node });
    this.operator = operator;
  }
}
