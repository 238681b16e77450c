import type { OperationScope } from '../../src/gpu/gpu-context.js';
import { programs } from '../programs.js';
import { exclusiveScan } from '../primitives/scan.js';
import type { CsrBuffers } from './resident-csr.js';

const { THREADS } = programs.csrScatterKept.layout.consts;

/**
 * Records the compaction of a GPU CSR to its flagged entries into `kept`
 * (capacity ≥ nnz): weights, their columns and their optimizer state move
 * together, rows stay sorted. Returns the scanned flags, whose last word
 * (positions[nnz]) is the kept count — the one counter a caller reads.
 */
export function encodeCompactCsr(s: OperationScope, csr: CsrBuffers, rows: number, nnz: number, flags: GPUBuffer, kept: CsrBuffers): GPUBuffer {
  const positions = s.output('kept positions', (nnz + 1) * 4);
  s.copy(flags, positions, nnz * 4);
  exclusiveScan.encode(s, positions, nnz + 1);
  const uniforms = s.uniforms(programs.csrScatterKept, { nnz, rows });
  const scatter = (state: GPUBuffer, keptState: GPUBuffer) =>
    s.dispatch(programs.csrScatterKept, {
      bindings: { flags, positions, colIdx: csr.colIdx, values: csr.values, state, outColIdx: kept.colIdx, outValues: kept.values, outState: keptState },
      uniforms,
      workgroups: Math.ceil(nnz / THREADS),
    });
  scatter(csr.state, kept.state);
  // A second state moves by the same scatter again (columns and values are rewritten identically).
  if (csr.second && kept.second) scatter(csr.second, kept.second);
  s.dispatch(programs.csrRowPointers, { bindings: { positions, rowPtr: csr.rowPtr, outRowPtr: kept.rowPtr }, uniforms, workgroups: Math.ceil((rows + 1) / THREADS) });
  return positions;
}
