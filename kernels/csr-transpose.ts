import type { OperationScope } from '../src/engine/gpu-context.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { InvalidArgumentError } from '../src/errors.js';
import type { GpuPlan, Kernel } from './kernel.js';
import { programs } from './programs.js';
import { encodeExclusiveScan } from './primitives/scan.js';

const THREADS = 256;

export interface TransposeBuffers {
  rowOf: GPUBuffer;
  colPtr: GPUBuffer;
  rowIdx: GPUBuffer;
  perm: GPUBuffer;
}

/**
 * Records the derived indices of a GPU CSR (rows × cols, nnz entries): the
 * row of every entry and the transpose index, identical to the host's
 * CSRMatrix.rowIndices() and transposeIndex() (colPtr, rowIdx, perm).
 * Buffers are created in `owner`; temporaries in `s`.
 */
export function encodeCsrDerived(
  s: OperationScope,
  owner: OperationScope,
  csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer },
  rows: number,
  cols: number,
  nnz: number,
): TransposeBuffers {
  const out: TransposeBuffers = {
    rowOf: owner.output('rowOf', nnz * 4),
    colPtr: owner.output('colPtr', (cols + 1) * 4),
    rowIdx: owner.output('transpose rowIdx', nnz * 4),
    perm: owner.output('transpose perm', nnz * 4),
  };
  const params = s.uniform([rows, cols, nnz, 0]);
  const counts = s.output('column counts', (cols + 1) * 4);
  const perEntry = Math.ceil(nnz / THREADS);
  s.dispatch({ pipeline: s.pipeline(programs.csrRowsOfEntries), buffers: [params, csr.rowPtr, undefined, out.rowOf], workgroups: Math.ceil(rows / THREADS) });
  s.dispatch({ pipeline: s.pipeline(programs.csrCountColumns), buffers: [params, undefined, csr.colIdx, undefined, counts], workgroups: perEntry });
  s.copy(counts, out.colPtr, cols * 4);
  encodeExclusiveScan(s, out.colPtr, cols + 1);
  s.copy(s.output('zeros', (cols + 1) * 4), counts, (cols + 1) * 4);
  s.dispatch({
    pipeline: s.pipeline(programs.csrScatterColumns),
    buffers: [params, undefined, csr.colIdx, out.rowOf, counts, out.colPtr, out.rowIdx, out.perm],
    workgroups: perEntry,
  });
  s.dispatch({
    pipeline: s.pipeline(programs.csrSortColumns),
    buffers: [params, undefined, undefined, undefined, undefined, out.colPtr, out.rowIdx, out.perm],
    workgroups: Math.ceil(cols / THREADS),
  });
  return out;
}

/** The derived indices of a host CSR computed on the GPU (tests; layers keep them resident). */
export const csrDerivedIndices: Kernel<[W: CSRMatrix], { rowOf: Uint32Array; colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array }> = {
  name: 'csrDerivedIndices',
  validate(W) {
    if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
  },
  cpu(W) {
    const { colPtr, rowIdx, perm } = W.transposeIndex();
    return { rowOf: W.rowIndices(), colPtr, rowIdx, perm };
  },
  plan(s, W): GpuPlan<{ rowOf: Uint32Array; colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array }> {
    const { rows, cols, nnz } = W;
    const d = encodeCsrDerived(s, s, { rowPtr: s.upload('W.rowPtr', W.rowPtr), colIdx: s.upload('W.colIdx', W.colIdx) }, rows, cols, nnz);
    const words = 3 * nnz + cols + 1;
    const out = s.output('derived indices', words * 4);
    s.copy(d.rowOf, out, nnz * 4);
    s.copy(d.colPtr, out, (cols + 1) * 4, nnz * 4);
    s.copy(d.rowIdx, out, nnz * 4, (nnz + cols + 1) * 4);
    s.copy(d.perm, out, nnz * 4, (2 * nnz + cols + 1) * 4);
    return {
      result: out,
      byteLength: words * 4,
      decode: (bytes) => {
        const u = new Uint32Array(bytes);
        return {
          rowOf: u.slice(0, nnz),
          colPtr: u.slice(nnz, nnz + cols + 1),
          rowIdx: u.slice(nnz + cols + 1, 2 * nnz + cols + 1),
          perm: u.slice(2 * nnz + cols + 1),
        };
      },
    };
  },
};
