import { bindings, type BufferOwner, type OperationScope } from '../src/gpu/gpu-context.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { InvalidArgumentError } from '../src/errors.js';
import type { GpuPlan, Kernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';
import { encodeExclusiveScan } from './primitives/scan.js';

const THREADS = 256;
/** Must match BAND_THREADS in shaders/csr-transpose.wgsl. */
const BAND_THREADS = 16;
/** Mean column length from which the band-wise counting sort replaces the per-column sort. */
const BANDS_FROM_COLUMN_LENGTH = 32;

/**
 * How many row bands the transpose build uses: 1 selects the sort path (short
 * columns); otherwise about one band per entry of a mean column, so the
 * (column, band) table is no larger than the index itself (≤ nnz + 1 words)
 * and each band thread walks ~cols entries.
 */
export function transposeBands(rows: number, cols: number, nnz: number): number {
  const meanColumn = cols === 0 ? 0 : Math.floor(nnz / cols);
  return meanColumn < BANDS_FROM_COLUMN_LENGTH ? 1 : Math.min(meanColumn, rows);
}

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
 * Buffers are created in `owner`; temporaries in `s`, and rowOf too when the
 * caller has no use for it (`keepRowOf` false; the build itself needs it).
 */
export function encodeCsrDerived(
  s: OperationScope,
  owner: BufferOwner,
  csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer },
  rows: number,
  cols: number,
  nnz: number,
  keepRowOf = true,
): TransposeBuffers {
  const out: TransposeBuffers = {
    rowOf: (keepRowOf ? owner : s).output('rowOf', nnz * 4),
    colPtr: owner.output('colPtr', (cols + 1) * 4),
    rowIdx: owner.output('transpose rowIdx', nnz * 4),
    perm: owner.output('transpose perm', nnz * 4),
  };
  const bands = transposeBands(rows, cols, nnz);
  const params = s.uniform([rows, cols, nnz, bands, Math.max(1, Math.ceil(rows / bands)), 0, 0, 0]);
  s.dispatch({ pipeline: s.pipeline(programs.csrRowsOfEntries), buffers: bindings({ 0: params, 1: csr.rowPtr, 3: out.rowOf }), workgroups: Math.ceil(rows / THREADS) });
  if (bands > 1) encodeTransposeByBands(s, params, csr, out, cols, nnz, bands);
  else encodeTransposeBySort(s, params, csr, out, cols, nnz);
  return out;
}

/** Long columns: counts per (column, row band), one scan, then each band's rows walked in order. */
function encodeTransposeByBands(
  s: OperationScope,
  params: GPUBuffer,
  csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer },
  out: TransposeBuffers,
  cols: number,
  nnz: number,
  bands: number,
): void {
  const table = s.output('column band counts', (cols * bands + 1) * 4);
  s.dispatch({ pipeline: s.pipeline(programs.csrCountColumnBlocks), buffers: bindings({ 0: params, 2: csr.colIdx, 3: out.rowOf, 4: table }), workgroups: Math.ceil(nnz / THREADS) });
  encodeExclusiveScan(s, table, cols * bands + 1);
  s.dispatch({ pipeline: s.pipeline(programs.csrColumnPointers), buffers: bindings({ 0: params, 4: table, 8: out.colPtr }), workgroups: Math.ceil((cols + 1) / THREADS) });
  s.dispatch({
    pipeline: s.pipeline(programs.csrScatterColumnBlocks),
    buffers: bindings({ 0: params, 1: csr.rowPtr, 2: csr.colIdx, 4: table, 6: out.rowIdx, 7: out.perm }),
    workgroups: Math.ceil(bands / BAND_THREADS),
  });
}

/** Short columns: counts, scan, an unordered scatter, then a sort of each (short) column by row. */
function encodeTransposeBySort(
  s: OperationScope,
  params: GPUBuffer,
  csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer },
  out: TransposeBuffers,
  cols: number,
  nnz: number,
): void {
  const perEntry = Math.ceil(nnz / THREADS);
  const counts = s.output('column counts', (cols + 1) * 4);
  s.dispatch({ pipeline: s.pipeline(programs.csrCountColumns), buffers: bindings({ 0: params, 2: csr.colIdx, 4: counts }), workgroups: perEntry });
  s.copy(counts, out.colPtr, cols * 4);
  encodeExclusiveScan(s, out.colPtr, cols + 1);
  s.copy(s.output('zeros', (cols + 1) * 4), counts, (cols + 1) * 4);
  s.dispatch({
    pipeline: s.pipeline(programs.csrScatterColumns),
    buffers: bindings({ 0: params, 2: csr.colIdx, 3: out.rowOf, 4: counts, 5: out.colPtr, 6: out.rowIdx, 7: out.perm }),
    workgroups: perEntry,
  });
  s.dispatch({
    pipeline: s.pipeline(programs.csrSortColumns),
    buffers: bindings({ 0: params, 5: out.colPtr, 6: out.rowIdx, 7: out.perm }),
    workgroups: Math.ceil(cols / THREADS),
  });
}

/** The derived indices of a host CSR computed on the GPU (tests; layers keep them resident). */
export const csrDerivedIndices: Kernel<[W: CSRMatrix], { rowOf: Uint32Array; colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array }> = {
  name: 'csrDerivedIndices',
  validate(W) {
    if (!(W instanceof CSRMatrix)) throw new InvalidArgumentError('W', 'must be a CSRMatrix');
    W.verifyStructure('W');
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
