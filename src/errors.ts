/**
 * Typed errors. Every error a user can cause names the argument at fault, so
 * a caller can tell "my matrix is wrong" from "the GPU went away" without
 * parsing messages.
 */

import type { History } from './history.js';

export class WgsparseError extends Error {
  override name = 'WgsparseError';
}

/** An argument has the wrong value, length, range or structure. */
export class InvalidArgumentError extends WgsparseError {
  override name = 'InvalidArgumentError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}

/** Operand shapes do not agree (e.g. W.cols ≠ X.rows). */
export class ShapeMismatchError extends InvalidArgumentError {
  override name = 'ShapeMismatchError';
}

/** A buffer would exceed what the device (or the engine's configured cap) allows. */
export class DeviceLimitError extends InvalidArgumentError {
  override name = 'DeviceLimitError';
  constructor(
    argument: string,
    readonly requestedBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      argument,
      `needs a ${requestedBytes}-byte GPU buffer but the limit is ${limitBytes} bytes; ` +
        'use a smaller batch, split the matrix, or the CPU backend',
    );
  }
}

/** The object (engine, layer) was disposed and cannot be used any more. */
export class DisposedError extends WgsparseError {
  override name = 'DisposedError';
  constructor(what: string) {
    super(`${what} has been disposed; create a new one`);
  }
}

/** What survived a device loss on the host, and how to continue from it. */
export interface KeptState {
  /** E.g. "the model state at the end of epoch 3 (weights with their sparse structure, biases, optimizer state)". */
  readonly description: string;
  /** What to call to continue, e.g. "model.attach(await createEngine()); await model.fit(data, { ...sameOptions, initialEpoch: 3 })". */
  readonly resume: string;
  /** For an interrupted fit: the `initialEpoch` that resumes it (= epochs completed and kept). */
  readonly initialEpoch?: number;
  /** For an interrupted fit: the epochs it completed, up to the kept state. */
  readonly history?: History;
}

/**
 * The GPU device was lost (driver reset, tab backgrounded, GPU process crash,
 * destroy()). Whatever lived only on that device is gone; `kept` says what a
 * model or layer still holds on the host and how to continue from it. Without
 * `kept` (an Engine's one-off products) the operands you passed in are
 * host-side and intact: run them again on a new engine.
 */
export class DeviceLostError extends WgsparseError {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    readonly kept?: KeptState,
  ) {
    super(
      kept
        ? `the WebGPU device was lost (${reason}); ${kept.description} is kept on the host: ${kept.resume}`
        : `the WebGPU device was lost (${reason}); host-side operands (the matrices you passed in) are intact: ` +
            'create a new engine and run again (a layer or model keeps its own host copy: attach it to the new engine)',
    );
  }

  /** For an interrupted fit: the `initialEpoch` that resumes it. */
  get initialEpoch(): number | undefined {
    return this.kept?.initialEpoch;
  }

  /** For an interrupted fit: the epochs completed up to the kept state. */
  get history(): History | undefined {
    return this.kept?.history;
  }
}

/** WebGPU reported a validation or out-of-memory error for an engine operation. */
export class GpuError extends WgsparseError {
  override name = 'GpuError';
  constructor(
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    readonly operation: string,
    detail: string,
  ) {
    super(`WebGPU ${kind} error in ${operation}: ${detail}`);
  }
}

/** No usable backend was found for the requested configuration. */
export class BackendUnavailableError extends WgsparseError {
  override name = 'BackendUnavailableError';
}

/**
 * Training diverged: an epoch's mean loss came out NaN or infinite, so the
 * weights have overflowed and later epochs cannot recover (Sequential.fit
 * stops unless told otherwise). `history` holds every epoch up to and
 * including the diverged one.
 */
export class TrainingDivergedError extends WgsparseError {
  override name = 'TrainingDivergedError';
  constructor(
    /** 0-based epoch whose loss was not finite. */
    readonly epoch: number,
    readonly loss: number,
    readonly history: History,
  ) {
    super(
      `training diverged: the mean loss of epoch ${epoch + 1} is ${loss}; ` +
        'lower the learning rate, scale the inputs, or pass stopOnNonFinite: false to keep going',
    );
  }
}

/**
 * A host array could not be allocated: more elements than a typed array may
 * hold here, or more memory than the JavaScript engine could get.
 * `requestedBytes` says how much was asked for.
 */
export class AllocationError extends InvalidArgumentError {
  override name = 'AllocationError';
  constructor(
    argument: string,
    readonly requestedBytes: number,
    detail: string,
  ) {
    super(argument, `asks for ${formatBytes(requestedBytes)} in one array, more than this JavaScript engine could allocate (${detail}); use smaller sizes`);
  }
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${bytes} bytes (${value.toPrecision(3)} ${units[unit]})`;
}
