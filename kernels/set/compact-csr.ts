import type { OperationScope } from '../../src/gpu/gpu-context.js';
import type { Kernel } from '../../src/gpu/kernel.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { programs } from '../programs.js';
import { exclusiveScan } from '../primitives/scan.js';
import type { CsrBuffers } from './resident-csr.js';

const { THREADS } = programs.csrScatterKept.layout.consts;

/** A pruned layer: the surviving weights and their optimizer state, moved together. */
export interface PrunedCsr {
  W: CSRMatrix;
  state: Float32Array;
  second?: Float32Array;
}

/**
 * The compaction of a CSR to its flagged entries (0/1 flags aligned with its
 * values): weights, their columns and their optimizer state (and an optional
 * second state) move together, rows stay sorted. On the GPU into `kept`
 * (capacity ≥ nnz), returning the scanned flags, whose last word
 * (positions[nnz]) is the kept count — the one counter a caller reads.
 */
export const compactCsr: Kernel<
  [W: CSRMatrix, state: Float32Array, flags: Uint32Array, second?: Float32Array],
  PrunedCsr,
  [csr: CsrBuffers, rows: number, nnz: number, flags: GPUBuffer, kept: CsrBuffers],
  GPUBuffer
> = {
  name: 'compactCsr',
  cpu(W, state, flags, second) {
    let keptNnz = 0;
    for (let k = 0; k < flags.length; k++) keptNnz += flags[k]!;
    const rowPtr = new Uint32Array(W.rows + 1);
    const colIdx = new Uint32Array(keptNnz);
    const values = new Float32Array(keptNnz);
    const kept = new Float32Array(keptNnz);
    const keptSecond = second ? new Float32Array(keptNnz) : undefined;
    let out = 0;
    for (let r = 0; r < W.rows; r++) {
      for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) {
        if (!flags[k]) continue;
        colIdx[out] = W.colIdx[k]!;
        values[out] = W.values[k]!;
        kept[out] = state[k]!;
        if (keptSecond) keptSecond[out] = second![k]!;
        out++;
      }
      rowPtr[r + 1] = out;
    }
    return {
      W: new CSRMatrix({ rows: W.rows, cols: W.cols, rowPtr, colIdx, values }),
      state: kept,
      ...(keptSecond ? { second: keptSecond } : {}),
    };
  },
  encode: recordCompactCsr,
};

function recordCompactCsr(s: OperationScope, csr: CsrBuffers, rows: number, nnz: number, flags: GPUBuffer, kept: CsrBuffers): GPUBuffer {
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
