import type { BufferOwner } from '../src/gpu/gpu-context.js';
import { checkStructure } from './checks.js';
import { NMMatrix } from '../src/formats/nm.js';
import { csrDerivedIndices } from './csr-transpose.js';
import type { GpuPlan, HostKernel } from '../src/gpu/kernel.js';
import { programs } from './programs.js';

const { THREADS } = programs.nmColumns.layout.consts;

/** The transpose index of an N:M matrix in GPU buffers (as NMMatrix.transposeIndex() holds it). */
export interface NMTransposeBuffers {
  colPtr: GPUBuffer;
  rowIdx: GPUBuffer;
  perm: GPUBuffer;
}

type TransposeIndex = { colPtr: Uint32Array; rowIdx: Uint32Array; perm: Uint32Array };

/**
 * The transpose index of an N:M matrix (as NMMatrix.transposeIndex() holds
 * it). On the GPU for resident weights whose mask may have changed there
 * (NMLinear.evolve): the slots' columns are decoded from the packed positions,
 * then indexed like a CSR's with the implicit row pointers `rowPtr`
 * (r · slotsPerRow, rows + 1 words). Index buffers are created in `owner`,
 * temporaries in `s`; nothing is read back. The plan (tests) uploads a host
 * matrix and reads the index back.
 */
export const nmTransposeIndex: HostKernel<
  [W: NMMatrix],
  TransposeIndex,
  [owner: BufferOwner, W: { rows: number; cols: number; n: number; m: number }, indices: GPUBuffer, rowPtr: GPUBuffer],
  NMTransposeBuffers
> = {
  name: 'nmTransposeIndex',
  validate(W) {
    checkStructure('W', W, NMMatrix, 'NMMatrix');
  },
  cpu(W) {
    const { colPtr, rowIdx, perm } = W.transposeIndex();
    return { colPtr, rowIdx, perm };
  },
  encode(s, owner, W, indices, rowPtr) {
    const groupsPerRow = W.cols / W.m;
    const slots = W.rows * groupsPerRow * W.n;
    const columns = s.output('N:M slot columns', slots * 4);
    s.dispatch(programs.nmColumns, {
      bindings: { packed: indices, columns },
      uniforms: { slots, n: W.n, m: W.m, bits: Math.log2(W.m), groupsPerRow },
      workgroups: Math.ceil(slots / THREADS),
    });
    const { colPtr, rowIdx, perm } = csrDerivedIndices.encode(s, owner, { rowPtr, colIdx: columns }, W.rows, W.cols, slots, false);
    return { colPtr, rowIdx, perm };
  },
  plan(s, W): GpuPlan<TransposeIndex> {
    const { cols, nnz } = W;
    const t = nmTransposeIndex.encode(s, s, W, s.upload('W.indices', W.indices), s.upload('W (row pointers)', W.rowPointers()));
    const words = 2 * nnz + cols + 1;
    const out = s.output('transpose index', words * 4);
    s.copy(t.colPtr, out, (cols + 1) * 4);
    s.copy(t.rowIdx, out, nnz * 4, (cols + 1) * 4);
    s.copy(t.perm, out, nnz * 4, (nnz + cols + 1) * 4);
    return {
      result: out,
      byteLength: words * 4,
      decode: (bytes) => {
        const u = new Uint32Array(bytes);
        return { colPtr: u.slice(0, cols + 1), rowIdx: u.slice(cols + 1, nnz + cols + 1), perm: u.slice(nnz + cols + 1) };
      },
    };
  },
};
