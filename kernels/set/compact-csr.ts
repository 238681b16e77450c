import type { OperationScope } from '../../src/engine/gpu-context.js';
import { programs } from '../programs.js';
import { encodeExclusiveScan } from '../primitives/scan.js';

const THREADS = 256;

/** A CSR (and one per-weight optimizer state array, e.g. momentum) living in GPU buffers. */
export interface GpuCsrBuffers {
  rows: number;
  cols: number;
  nnz: number;
  rowPtr: GPUBuffer;
  colIdx: GPUBuffer;
  values: GPUBuffer;
  state: GPUBuffer;
}

/**
 * Records the compaction of a GPU CSR to its flagged entries: weights, their
 * columns and their optimizer state move together, rows stay sorted. The
 * result's nnz is on the GPU (positions[nnz]); `keptCount` is that buffer,
 * for the caller to read as a single counter when it needs it.
 */
export function encodeCompactCsr(s: OperationScope, csr: GpuCsrBuffers, flags: GPUBuffer): { kept: Omit<GpuCsrBuffers, 'nnz'>; positions: GPUBuffer } {
  const { rows, cols, nnz } = csr;
  const positions = s.output('kept positions', (nnz + 1) * 4);
  s.copy(flags, positions, nnz * 4);
  encodeExclusiveScan(s, positions, nnz + 1);
  const kept = {
    rows,
    cols,
    rowPtr: s.output('kept rowPtr', (rows + 1) * 4),
    // Sized for the worst case (everything kept); the tail beyond the kept count is unused.
    colIdx: s.output('kept colIdx', nnz * 4),
    values: s.output('kept values', nnz * 4),
    state: s.output('kept state', nnz * 4),
  };
  const params = s.uniform([nnz, rows, 0, 0]);
  s.dispatch({
    pipeline: s.pipeline(programs.csrScatterKept),
    buffers: [params, flags, positions, csr.colIdx, csr.values, csr.state, kept.colIdx, kept.values, kept.state],
    workgroups: Math.ceil(nnz / THREADS),
  });
  s.dispatch({
    pipeline: s.pipeline(programs.csrRowPointers),
    buffers: [params, undefined, positions, undefined, undefined, undefined, undefined, undefined, undefined, csr.rowPtr, kept.rowPtr],
    workgroups: Math.ceil((rows + 1) / THREADS),
  });
  return { kept, positions };
}
