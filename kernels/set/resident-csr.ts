import type { BufferOwner, GpuContext } from '../../src/gpu/gpu-context.js';
import { CSRMatrix } from '../../src/formats/csr.js';

/** A CSR layer and its per-weight optimizer state, living in GPU buffers. */
export interface CsrBuffers {
  rowPtr: GPUBuffer;
  colIdx: GPUBuffer;
  values: GPUBuffer;
  state: GPUBuffer;
  /** A second per-weight state (Adam's second moment), moved like `state` when present. */
  second?: GPUBuffer;
}

/** Uploads a host CSR and its state into buffers owned by `owner`. */
export function uploadCsr(owner: BufferOwner, W: CSRMatrix, state: Float32Array, second?: Float32Array): CsrBuffers {
  return {
    rowPtr: owner.upload('W.rowPtr', W.rowPtr),
    colIdx: owner.upload('W.colIdx', W.colIdx),
    values: owner.upload('W.values', W.values),
    state: owner.upload('state', state),
    ...(second ? { second: owner.upload('second state', second) } : {}),
  };
}

/** Buffers for a layer of up to `capacity` entries. */
export function allocateCsr(owner: BufferOwner, name: string, rows: number, capacity: number, withSecond = false): CsrBuffers {
  return {
    rowPtr: owner.output(`${name} rowPtr`, (rows + 1) * 4),
    colIdx: owner.output(`${name} colIdx`, capacity * 4),
    values: owner.output(`${name} values`, capacity * 4),
    state: owner.output(`${name} state`, capacity * 4),
    ...(withSecond ? { second: owner.output(`${name} second state`, capacity * 4) } : {}),
  };
}

/**
 * Reads a GPU layer back into a host CSRMatrix and state (one read of one
 * packed buffer); the second state too when asked for and held.
 */
export function readCsr(
  ctx: GpuContext,
  buffers: CsrBuffers,
  rows: number,
  cols: number,
  nnz: number,
  withSecond = false,
): Promise<{ W: CSRMatrix; state: Float32Array; second?: Float32Array }> {
  const second = withSecond ? buffers.second : undefined;
  const arrays = second ? 4 : 3;
  const words = rows + 1 + arrays * nnz;
  return ctx.run('read CSR', (s) => {
    const out = s.output('CSR read-back', words * 4);
    s.copy(buffers.rowPtr, out, (rows + 1) * 4);
    s.copy(buffers.colIdx, out, nnz * 4, (rows + 1) * 4);
    s.copy(buffers.values, out, nnz * 4, (rows + 1 + nnz) * 4);
    s.copy(buffers.state, out, nnz * 4, (rows + 1 + 2 * nnz) * 4);
    if (second) s.copy(second, out, nnz * 4, (rows + 1 + 3 * nnz) * 4);
    return {
      result: out,
      byteLength: words * 4,
      decode: (bytes) => {
        const u32 = new Uint32Array(bytes);
        const f32 = new Float32Array(bytes);
        const base = rows + 1;
        return {
          W: new CSRMatrix({ rows, cols, rowPtr: u32.slice(0, base), colIdx: u32.slice(base, base + nnz), values: f32.slice(base + nnz, base + 2 * nnz) }),
          state: f32.slice(base + 2 * nnz, base + 3 * nnz),
          ...(second ? { second: f32.slice(base + 3 * nnz, base + 4 * nnz) } : {}),
        };
      },
    };
  });
}
