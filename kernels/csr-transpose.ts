import type { BufferOwner, OperationScope, UniformBlock } from '../src/gpu/gpu-context.js';
import { CSRMatrix } from '../src/formats/csr.js';
import { checkStructure } from './checks.js';
import type { GpuPlan, HostKernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';
import { exclusiveScan } from './primitives/scan.js';

const { THREADS, BAND_THREADS } = programs.csrRowsOfEntries.layout.consts;
type Params = UniformBlock<typeof programs.csrRowsOfEntries.layout>;
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

/** One transpose build as its two strategies record it: the source CSR, the index buffers they fill, and the shared uniforms. */
interface TransposeBuild {
  s: OperationScope;
  params: Params;
  csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer };
  out: TransposeBuffers;
  cols: number;
  nnz: number;
}

/** Long columns: counts per (column, row band), one scan, then each band's rows walked in order. */
function recordTransposeByBands({ s, params, csr, out, cols, nnz }: TransposeBuild, bands: number): void {
  const table = s.output('column band counts', (cols * bands + 1) * 4);
  s.dispatch(programs.csrCountColumnBlocks, { bindings: { colIdx: csr.colIdx, rowOf: out.rowOf, colCount: table }, uniforms: params, workgroups: Math.ceil(nnz / THREADS) });
  exclusiveScan.encode(s, table, cols * bands + 1);
  s.dispatch(programs.csrColumnPointers, { bindings: { colCount: table, colPtrOut: out.colPtr }, uniforms: params, workgroups: Math.ceil((cols + 1) / THREADS) });
  if (s.kernelProfile === 'gpu') {
    // A thread per entry (see shaders/csr-transpose.wgsl): no band walk.
    s.dispatch(programs.csrScatterEntries, {
      bindings: { rowPtr: csr.rowPtr, colIdx: csr.colIdx, rowOf: out.rowOf, colCount: table, rowIdx: out.rowIdx, perm: out.perm },
      uniforms: params,
      workgroups: Math.ceil(nnz / THREADS),
    });
    return;
  }
  s.dispatch(programs.csrScatterColumnBlocks, {
    bindings: { rowPtr: csr.rowPtr, colIdx: csr.colIdx, colCount: table, rowIdx: out.rowIdx, perm: out.perm },
    uniforms: params,
    workgroups: Math.ceil(bands / BAND_THREADS),
  });
}

/** Short columns: counts, scan, an unordered scatter, then a sort of each (short) column by row. */
function recordTransposeBySort({ s, params, csr, out, cols, nnz }: TransposeBuild): void {
  const perEntry = Math.ceil(nnz / THREADS);
  const counts = s.output('column counts', (cols + 1) * 4);
  s.dispatch(programs.csrCountColumns, { bindings: { colIdx: csr.colIdx, colCount: counts }, uniforms: params, workgroups: perEntry });
  s.copy(counts, out.colPtr, cols * 4);
  exclusiveScan.encode(s, out.colPtr, cols + 1);
  s.copy(s.output('zeros', (cols + 1) * 4), counts, (cols + 1) * 4);
  s.dispatch(programs.csrScatterColumns, {
    bindings: { colIdx: csr.colIdx, rowOf: out.rowOf, colCount: counts, colPtr: out.colPtr, rowIdx: out.rowIdx, perm: out.perm },
    uniforms: params,
    workgroups: perEntry,
  });
  s.dispatch(programs.csrSortColumns, {
    bindings: { colPtr: out.colPtr, rowIdx: out.rowIdx, perm: out.perm },
    uniforms: params,
    workgroups: Math.ceil(cols / THREADS),
  });
}

type DerivedIndices = { rowOf: Uint32Array; colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array };

/**
 * The derived indices of a CSR (rows × cols, nnz entries): the row of every
 * entry and the transpose index, identical to the host's
 * CSRMatrix.rowIndices() and transposeIndex() (colPtr, rowIdx, perm). On the
 * GPU over a resident CSR (a training operand rebuilds them at every
 * install): buffers are created in `owner`; temporaries in `s`, and rowOf too
 * when the caller has no use for it (`keepRowOf` false; the build itself
 * needs it). The plan (tests) uploads a host CSR and reads them back.
 */
export const csrDerivedIndices: HostKernel<
  [W: CSRMatrix],
  DerivedIndices,
  [owner: BufferOwner, csr: { rowPtr: GPUBuffer; colIdx: GPUBuffer }, rows: number, cols: number, nnz: number, keepRowOf?: boolean],
  TransposeBuffers
> = {
  name: 'csrDerivedIndices',
  validate(W) {
    checkStructure('W', W, CSRMatrix, 'CSRMatrix');
  },
  cpu(W) {
    const { colPtr, rowIdx, perm } = W.transposeIndex();
    return { rowOf: W.rowIndices(), colPtr, rowIdx, perm };
  },
  encode(s, owner, csr, rows, cols, nnz, keepRowOf = true) {
    const out: TransposeBuffers = {
      rowOf: (keepRowOf ? owner : s).output('rowOf', nnz * 4),
      colPtr: owner.output('colPtr', (cols + 1) * 4),
      rowIdx: owner.output('transpose rowIdx', nnz * 4),
      perm: owner.output('transpose perm', nnz * 4),
    };
    const bands = transposeBands(rows, cols, nnz);
    const params = s.uniforms(programs.csrRowsOfEntries, { rows, cols, nnz, blocks: bands, rowsPerBlock: Math.max(1, Math.ceil(rows / bands)) });
    if (s.kernelProfile === 'gpu') {
      // A thread per entry searching rowPtr: no thread walks a whole (possibly dense) row.
      s.dispatch(programs.csrEntriesRows, { bindings: { rowPtr: csr.rowPtr, rowOf: out.rowOf }, uniforms: params, workgroups: Math.ceil(nnz / THREADS) });
    } else {
      s.dispatch(programs.csrRowsOfEntries, { bindings: { rowPtr: csr.rowPtr, rowOf: out.rowOf }, uniforms: params, workgroups: Math.ceil(rows / THREADS) });
    }
    const build = { s, params, csr, out, cols, nnz };
    if (bands > 1) recordTransposeByBands(build, bands);
    else recordTransposeBySort(build);
    return out;
  },
  plan(s, W): GpuPlan<DerivedIndices> {
    const { rows, cols, nnz } = W;
    const d = csrDerivedIndices.encode(s, s, { rowPtr: s.upload('W.rowPtr', W.rowPtr), colIdx: s.upload('W.colIdx', W.colIdx) }, rows, cols, nnz);
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
