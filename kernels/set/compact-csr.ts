import type { OperationScope } from '../../src/gpu/gpu-context.js';
import { programs } from '../programs.js';
import { encodeExclusiveScan } from '../primitives/scan.js';
import type { CsrBuffers } from './resident-csr.js';

const THREADS = 256;

/**
 * Records the compaction of a GPU CSR to its flagged entries into `kept`
 * (capacity ≥ nnz): weights, their columns and their optimizer state move
 * together, rows stay sorted. Returns the scanned flags, whose last word
 * (positions[nnz]) is the kept count — the one counter a caller reads.
 */
export function encodeCompactCsr(s: OperationScope, csr: CsrBuffers, rows: number, nnz: number, flags: GPUBuffer, kept: CsrBuffers): GPUBuffer {
  const positions = s.output('kept positions', (nnz + 1) * 4);
  s.copy(flags, positions, nnz * 4);
  encodeExclusiveScan(s, positions, nnz + 1);
  const params = s.uniform([nnz, rows, 0, 0]);
  const scatter = (state: GPUBuffer, keptState: GPUBuffer) =>
    s.dispatch({
      pipeline: s.pipeline(programs.csrScatterKept),
      buffers: [params, flags, positions, csr.colIdx, csr.values, state, kept.colIdx, kept.values, keptState],
      workgroups: Math.ceil(nnz / THREADS),
    });
  scatter(csr.state, kept.state);
  // A second state moves by the same scatter again (columns and values are rewritten identically).
  if (csr.second && kept.second) scatter(csr.second, kept.second);
  s.dispatch({
    pipeline: s.pipeline(programs.csrRowPointers),
    buffers: [params, undefined, positions, undefined, undefined, undefined, undefined, undefined, undefined, csr.rowPtr, kept.rowPtr],
    workgroups: Math.ceil((rows + 1) / THREADS),
  });
  return positions;
}
