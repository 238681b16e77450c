import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { gatherCsrEpilogueProgram, gatherCsrProgram, gatherNMEpilogueProgram, gatherNMProgram, gatherNMWarpProgram, programs } from './programs.js';
import { activate, activationUniforms, derive, type ActivationParams } from './activation.js';
import { addBias } from './elementwise.js';
import type { Kernel } from '../src/gpu/kernel.js';
import { gatherWasm } from './wasm/spmm-wasm.js';
import { nmColumns, type NMColumns } from './wasm/instance.js';
import { checkDense, checkRowsMatch, checkSparse } from './checks.js';
import { hostKernel, type HostTransfer } from '../src/gpu/kernel.js';
import { NMMatrix } from '../src/formats/nm.js';
import type { KernelProfile } from '../src/gpu/kernel-profile.js';
import { rowSchedule } from './row-order.js';
import { scatterWasm } from './wasm/spmm-wasm.js';

const { ROWS_PER_WG, THREADS_B, COLS_PER_THREAD, WARP_LANES, WARP_ROWS, WARP_COLS } = programs.gatherCsr.layout.consts;
/** Batch columns per workgroup (TILE_B in shaders/spmm.wgsl). */
const TILE_B = THREADS_B * COLS_PER_THREAD;
/** The gpu profile's entry point gatherWarp: rows and batch columns per workgroup (WARP_TILE_B). */
const WARP_TILE_B = WARP_LANES * WARP_COLS;

/** Workgroups and batch tiles of a gather of `rows` rows for the scope's kernel profile. */
function gatherGrid(s: OperationScope, rows: number, batch: number): { warp: boolean; batchTiles: number; workgroups: number } {
  const warp = s.kernelProfile === 'gpu';
  const batchTiles = Math.ceil(batch / (warp ? WARP_TILE_B : TILE_B));
  return { warp, batchTiles, workgroups: Math.ceil(rows / (warp ? WARP_ROWS : ROWS_PER_WG)) * batchTiles };
}

/** A CSR in GPU buffers, as the gather reads it. */
export interface GatherOperand {
  values: GPUBuffer;
  ptr: GPUBuffer;
  idx: GPUBuffer;
  /**
   * How to visit the rows, in the kernel profile's format (gatherOrder):
   * 'emulation', the rows in order (longest first, or identity); 'gpu', the
   * schedule of kernels/row-order.ts (rows by length bin with their entry
   * ranges, long rows first).
   */
  order: GPUBuffer;
}

/** The host's `order` of a gather over rows with pointers `ptr` for a kernel profile (see GatherOperand.order). */
export function gatherOrder(profile: KernelProfile, ptr: Uint32Array, rows: number, emulation: () => Uint32Array): Uint32Array {
  return profile === 'gpu' ? rowSchedule.cpu(ptr, rows) : emulation();
}

/** W's transpose index in GPU buffers (a CSR's or an N:M matrix's) and the values it permutes. */
export interface TransposeGatherOperand extends GatherOperand {
  /** Entry of the index → position in values. */
  perm: GPUBuffer;
}

/** The GPU arguments of a gather: Y (rows × batch) = A · X (· × batch). */
type GatherArgs<A extends GatherOperand> = [rows: number, batch: number, A: A, X: GPUBuffer, Y: GPUBuffer];

/**
 * The validation of a gather's operands: W of its format (checkSparse), then
 * the dense operand, whose rows must be W's columns for Y = W · X (named X)
 * or W's rows for dX = Wᵀ · dY (named dY, `transpose`).
 */
function checkGather<W extends CSRMatrix | NMMatrix>(format: abstract new (...args: never[]) => W, label: string, transpose: boolean) {
  return (W: W, dense: DenseMatrix): void => {
    checkSparse('W', W, format, label);
    if (transpose) {
      checkDense('dY', dense);
      checkRowsMatch('dY', dense.rows, W.rows, 'W.rows');
    } else {
      checkDense('X', dense);
      checkRowsMatch('X', dense.rows, W.cols, 'W.cols');
    }
  };
}

/** Y = W · X (W: CSR rows × cols, X: cols × batch) → rows × batch. */
export const spmmCsr = hostKernel<[W: CSRMatrix, X: DenseMatrix], DenseMatrix, GatherArgs<GatherOperand>>({
  name: 'spmmCsr',
  validate: checkGather(CSRMatrix, 'CSRMatrix', false),
  cpu(W, X) {
    return gatherCpu(W.rows, X, W.rowPtr, W.colIdx, W.values, undefined);
  },
  /** Records Y = A · X for a GPU-resident CSR A; no transfers. */
  encode(s, rows, batch, A, X, Y) {
    recordGather(s, rows, batch, A, undefined, X, Y);
  },
  ...gatherTransfer<CSRMatrix, GatherOperand>(
    'X',
    (W) => W.rows,
    (s, W) => ({
      values: s.upload('W.values', W.values),
      ptr: s.upload('W.rowPtr', W.rowPtr),
      idx: s.upload('W.colIdx', W.colIdx),
      order: s.upload('W (row order)', gatherOrder(s.kernelProfile, W.rowPtr, W.rows, () => W.rowOrder())),
    }),
  ),
});

/** dX = Wᵀ · dY (dY: rows × batch) → cols × batch, a gather through W's transpose index. */
export const spmmCsrT = hostKernel<[W: CSRMatrix, dY: DenseMatrix], DenseMatrix, GatherArgs<TransposeGatherOperand>>({
  name: 'spmmCsrT',
  validate: checkGather(CSRMatrix, 'CSRMatrix', true),
  cpu(W, dY) {
    const t = W.transposeIndex();
    return gatherCpu(W.cols, dY, t.colPtr, t.rowIdx, W.values, t.perm);
  },
  /** Records dX (cols × batch) = Wᵀ · dY through a GPU-resident transpose index; no transfers. */
  encode(s, cols, batch, A, dY, dX) {
    recordGather(s, cols, batch, A, A.perm, dY, dX);
  },
  ...transposeGatherTransfer<CSRMatrix>(),
});

/** out[r] = Σ_k values[k] · X[idx[k]] over ptr[r] … ptr[r+1]: the CPU gather of CSR, its transpose and N:M. */
function gatherCpu(
  rows: number,
  X: DenseMatrix,
  ptr: Uint32Array,
  columns: Uint32Array | NMColumns,
  values: Float32Array,
  perm: Uint32Array | undefined,
): DenseMatrix {
  const batch = X.cols;
  const x = X.data;
  const simd = gatherWasm(rows, batch, ptr, columns, values, perm, x);
  if (simd) return new DenseMatrix(rows, batch, simd);
  const idx = columns instanceof Uint32Array ? columns : columns.decoded();
  // Without WebAssembly SIMD (or for batch % 4 != 0): the same float32
  // arithmetic as the SIMD kernel — each product rounded to f32, then added
  // to the f32 row in entry order — so results do not depend on the path
  // (e.g. on the batch size of predict).
  const out = new Float32Array(rows * batch);
  for (let r = 0; r < rows; r++) {
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) addScaledRow(out, r * batch, values[perm ? perm[k]! : k]!, x, idx[k]! * batch, batch);
  }
  return new DenseMatrix(rows, batch, out);
}

/**
 * out[to + b] += f32(v · src[from + b]) for b < batch: one nonzero's
 * contribution in the SIMD kernels' float32 arithmetic (each product rounded,
 * then added), unrolled by 4 as they are.
 */
function addScaledRow(out: Float32Array, to: number, v: number, src: Float32Array, from: number, batch: number): void {
  const batch4 = batch - (batch % 4);
  let b = 0;
  for (; b < batch4; b += 4) {
    out[to + b]! += Math.fround(v * src[from + b]!);
    out[to + b + 1]! += Math.fround(v * src[from + b + 1]!);
    out[to + b + 2]! += Math.fround(v * src[from + b + 2]!);
    out[to + b + 3]! += Math.fround(v * src[from + b + 3]!);
  }
  for (; b < batch; b++) out[to + b]! += Math.fround(v * src[from + b]!);
}

/**
 * Records a gather; the scope's kernel profile picks the entry point: `main`
 * ('emulation', vec4 loads when the batch allows) or `gatherWarp` ('gpu').
 */
function recordGather(s: OperationScope, rows: number, batch: number, A: GatherOperand, perm: GPUBuffer | undefined, X: GPUBuffer, Y: GPUBuffer): void {
  const { warp, batchTiles, workgroups } = gatherGrid(s, rows, batch);
  const transpose = perm !== undefined;
  const uniforms = { rows, batch, batchTiles };
  if (warp) {
    const bindings = { X, Y, values: A.values, colIdx: A.idx, schedule: A.order, ...(perm ? { perm } : {}) };
    s.dispatch(transpose ? programs.gatherCsrTransposeWarp : programs.gatherCsrWarp, { bindings, uniforms, workgroups });
    return;
  }
  s.dispatch(gatherCsrProgram(transpose, batch % 4 === 0), {
    bindings: { X, Y, values: A.values, rowPtr: A.ptr, colIdx: A.idx, rowOrder: A.order, ...(perm ? { perm } : {}) },
    uniforms,
    workgroups,
  });
}

/**
 * The transfer of a gather kernel: uploads the dense operand (named `dense`,
 * as the user knows it), then the sparse operand's arrays (`operand`); the
 * result has `rowsOf(W)` rows.
 */
function gatherTransfer<W, A extends GatherOperand>(
  dense: 'X' | 'dY',
  rowsOf: (W: W) => number,
  operand: (s: OperationScope, W: W) => A,
): HostTransfer<[W: W, X: DenseMatrix], DenseMatrix, GatherArgs<A>> {
  return {
    upload(s, W, X) {
      // Operands first, so a limit error names the operand at fault before the result.
      const x = s.upload(dense, X.data);
      const A = operand(s, W);
      const rows = rowsOf(W);
      return { byteLength: rows * X.cols * 4, encodeArgs: (Y) => [rows, X.cols, A, x, Y] };
    },
    decode(bytes, W, X) {
      return new DenseMatrix(rowsOf(W), X.cols, new Float32Array(bytes));
    },
  };
}

/** The transfer of Wᵀ · dY through W's transpose index (cached on W), for CSR and N:M alike. */
function transposeGatherTransfer<W extends CSRMatrix | NMMatrix>(): HostTransfer<[W: W, dY: DenseMatrix], DenseMatrix, GatherArgs<TransposeGatherOperand>> {
  return gatherTransfer<W, TransposeGatherOperand>(
    'dY',
    (W) => W.cols,
    (s, W) => {
      const t = W.transposeIndex();
      return {
        values: s.upload('W.values', W.values),
        ptr: s.upload('W (transpose colPtr)', t.colPtr),
        idx: s.upload('W (transpose rowIdx)', t.rowIdx),
        order: s.upload('W (row order)', gatherOrder(s.kernelProfile, t.colPtr, W.cols, () => t.order)),
        perm: s.upload('W (transpose perm)', t.perm),
      };
    },
  );
}

/** Y = W · X for N:M W (rows × cols), X: cols × batch → rows × batch. */
export const spmmNM = hostKernel<[W: NMMatrix, X: DenseMatrix], DenseMatrix, [W: NMShape, batch: number, weights: NMBuffers, X: GPUBuffer, Y: GPUBuffer]>({
  name: 'spmmNM',
  validate: checkGather(NMMatrix, 'NMMatrix', false),
  cpu(W, X) {
    // The CSR gather with implicit row pointers: every row holds slotsPerRow slots.
    return gatherCpu(W.rows, X, W.rowPointers(), nmColumns(W), W.values, undefined);
  },
  /** Records Y (rows × batch) = W · X for GPU-resident N:M weights; no transfers. */
  encode(s, W, batch, weights, X, Y) {
    const { groupsPerRow, slotsPerRow } = nmWords(W);
    const { warp, batchTiles, workgroups } = gatherGrid(s, W.rows, batch);
    const aligned = nmWordAligned(W);
    s.dispatch(warp ? gatherNMWarpProgram(W.n, W.m, aligned) : gatherNMProgram(W.n, W.m, batch % 4 === 0, aligned), {
      bindings: { X, Y, values: weights.values, packed: weights.indices },
      uniforms: { rows: W.rows, batch, batchTiles, slotsPerRow, ...(aligned ? {} : { groupsPerRow }) },
      workgroups,
    });
  },
  upload(s, W, X) {
    // Operands first, so a limit error names the operand at fault before the result.
    const x = s.upload('X', X.data);
    const weights = { values: s.upload('W.values', W.values), indices: s.upload('W.indices', W.indices) };
    return { byteLength: W.rows * X.cols * 4, encodeArgs: (Y) => [W, X.cols, weights, x, Y] };
  },
  decode(bytes, W, X) {
    return new DenseMatrix(W.rows, X.cols, new Float32Array(bytes));
  },
});

/**
 * dX = Wᵀ · dY for N:M W, dY: rows × batch → cols × batch. On the GPU a gather
 * through W's transpose index, like spmmCsrT (a walk of every row per group
 * of M columns, atomic-free without an index, measured 2.4× slower on
 * SwiftShader and gave a GPU only groups × batch tiles of parallel work).
 */
export const spmmNMT = hostKernel<[W: NMMatrix, dY: DenseMatrix], DenseMatrix, GatherArgs<TransposeGatherOperand>>({
  name: 'spmmNMT',
  validate: checkGather(NMMatrix, 'NMMatrix', true),
  cpu(W, dY) {
    const batch = dY.cols;
    const dy = dY.data;
    const slotsPerRow = W.slotsPerRow;
    const simd = scatterWasm(W.rows, W.cols, batch, W.rowPointers(), nmColumns(W), W.values, dy);
    if (simd) return new DenseMatrix(W.cols, batch, simd);
    const columns = W.slotColumns();
    // The SIMD kernel's float32 arithmetic (products rounded, then added in row order).
    const out = new Float32Array(W.cols * batch);
    for (let r = 0; r < W.rows; r++) {
      for (let k = r * slotsPerRow; k < (r + 1) * slotsPerRow; k++) addScaledRow(out, columns[k]! * batch, W.values[k]!, dy, r * batch, batch);
    }
    return new DenseMatrix(W.cols, batch, out);
  },
  /**
   * Records dX = Wᵀ · dY through GPU-resident transpose index buffers: the
   * CSR transpose's gather, where rows of Wᵀ are W's columns and each gathers
   * its rows' dY; no transfers.
   */
  encode(s, cols, batch, A, dY, dX) {
    recordGather(s, cols, batch, A, A.perm, dY, dX);
  },
  ...transposeGatherTransfer<NMMatrix>(),
});

/** The shape of an N:M operand: what its kernels need besides the buffers. */
export interface NMShape {
  rows: number;
  cols: number;
  n: number;
  m: number;
}

/** N:M weights in GPU buffers: slot values and packed in-group positions. */
export interface NMBuffers {
  values: GPUBuffer;
  indices: GPUBuffer;
}

function nmWords(W: NMShape): { groupsPerRow: number; slotsPerRow: number; bits: number } {
  const groupsPerRow = W.cols / W.m;
  return { groupsPerRow, slotsPerRow: groupsPerRow * W.n, bits: Math.log2(W.m) };
}

/**
 * Whether every row starts on a packed word, so the gather walks a row's
 * slots in one flat loop and loads a word every 32 / log2(M) slots (2:4 when
 * cols % 32 == 0, 2:8 when cols % 40 == 0).
 */
export function nmWordAligned(W: NMShape): boolean {
  const { slotsPerRow, bits } = nmWords(W);
  return slotsPerRow % Math.floor(32 / bits) === 0;
}

/** The uniforms that decode an N:M pattern's packed positions in the SDDMM (see kernels/sddmm.ts). */
export function nmPatternWords(W: NMShape): { slotsPerRow: number; groupsPerRow: number; n: number; m: number; bits: number } {
  const { groupsPerRow, slotsPerRow, bits } = nmWords(W);
  return { slotsPerRow, groupsPerRow, n: W.n, m: W.m, bits };
}

// --- A training step's products with their epilogues (shaders/spmm.wgsl BIAS, ACT, DERIV) ---

/**
 * The nonlinearity and dropout of a stage as an epilogue applies them:
 * dropout only while training (rate > 0); `step` seeds the batch's mask
 * (on the GPU a buffer holding the training step, on the CPU the step).
 */
export interface StageActivation<Step> {
  p: ActivationParams;
  training: boolean;
  step: Step;
}

/** What a forward epilogue writes: Z = W·X + b (kept for the backward pass) and, with `act`, A = f(Z) · mask. */
export interface ForwardOutputs {
  Z: GPUBuffer;
  bias: GPUBuffer;
  activation?: { A: GPUBuffer; act: StageActivation<GPUBuffer> };
}

type ForwardCpuArgs<W> = [W: W, X: DenseMatrix, bias: Float32Array, act: StageActivation<number> | undefined];
type ForwardResult = { Z: DenseMatrix; A: DenseMatrix | undefined };

/** The CPU twin of a forward epilogue: the separate passes' f32 steps (product, addBias, activate). */
function forwardCpu(Z: DenseMatrix, bias: Float32Array, act: StageActivation<number> | undefined): ForwardResult {
  addBias.cpu(Z.rows, Z.cols, Z.data, bias);
  if (!act) return { Z, A: undefined };
  const A = new DenseMatrix(Z.rows, Z.cols);
  activate.cpu(Z.data, A.data, act.p, act.training, act.step);
  return { Z, A };
}

function forwardEpilogue(out: ForwardOutputs) {
  const a = out.activation;
  return {
    epilogue: a ? ('act' as const) : ('bias' as const),
    bindings: { Y: out.Z, bias: out.bias, ...(a ? { A: a.A, step: a.act.step } : {}) },
    uniforms: a ? activationUniforms(a.act.p, a.act.training) : {},
  };
}

/**
 * A training operand's CSR as the forward epilogue reads it: `main` visits
 * rows in index order (its order binding goes to the bias; an emulation
 * operand's order is the identity anyway), gatherWarp through the schedule.
 */
export type CsrForwardOperand = GatherOperand;

/** The row bindings of a gather with an epilogue: gatherWarp's schedule, or `main`'s rowPtr (and rowOrder for the transpose). */
function epilogueRows(warp: boolean, A: GatherOperand, transpose: boolean) {
  if (warp) return { colIdx: A.idx, schedule: A.order };
  return { rowPtr: A.ptr, colIdx: A.idx, ...(transpose ? { rowOrder: A.order } : {}) };
}

/**
 * A stage's forward with a CSR W, in one pass: Z = W·X + b and, with an
 * activation, A = f(Z) · mask (its nonlinearity and dropout). Z is what the
 * backward pass derives f' from, so it is stored too (recomputing it there
 * would cost the product again; its store is one more write of the output).
 */
export const spmmCsrForward: Kernel<ForwardCpuArgs<CSRMatrix>, ForwardResult, [rows: number, batch: number, W: CsrForwardOperand, X: GPUBuffer, out: ForwardOutputs]> = {
  name: 'spmmCsrForward',
  cpu(W, X, bias, act) {
    return forwardCpu(spmmCsr.cpu(W, X), bias, act);
  },
  encode(s, rows, batch, W, X, out) {
    const { warp, batchTiles, workgroups } = gatherGrid(s, rows, batch);
    const e = forwardEpilogue(out);
    s.dispatch(gatherCsrEpilogueProgram(e.epilogue, !warp && batch % 4 === 0, warp), {
      bindings: { X, values: W.values, ...epilogueRows(warp, W, false), ...e.bindings },
      uniforms: { rows, batch, batchTiles, ...e.uniforms },
      workgroups,
    });
  },
};

/** spmmCsrForward for N:M weights. */
export const spmmNMForward: Kernel<ForwardCpuArgs<NMMatrix>, ForwardResult, [W: NMShape, batch: number, weights: NMBuffers, X: GPUBuffer, out: ForwardOutputs]> = {
  name: 'spmmNMForward',
  cpu(W, X, bias, act) {
    return forwardCpu(spmmNM.cpu(W, X), bias, act);
  },
  encode(s, W, batch, weights, X, out) {
    const { groupsPerRow, slotsPerRow } = nmWords(W);
    const { warp, batchTiles, workgroups } = gatherGrid(s, W.rows, batch);
    const aligned = nmWordAligned(W);
    const e = forwardEpilogue(out);
    s.dispatch(gatherNMEpilogueProgram(e.epilogue, W.n, W.m, !warp && batch % 4 === 0, aligned, warp), {
      bindings: { X, values: weights.values, packed: weights.indices, ...e.bindings },
      uniforms: { rows: W.rows, batch, batchTiles, slotsPerRow, ...(aligned ? {} : { groupsPerRow }), ...e.uniforms },
      workgroups,
    });
  },
};

/** The CPU twin of the backward epilogue: dX = Wᵀ·dY, then derive's f32 steps, written over Z. */
function deriveCpu(dX: DenseMatrix, Z: Float32Array, act: StageActivation<number>): void {
  derive.cpu(Z, dX.data, act.training ? act.p : { ...act.p, rate: 0 }, act.step);
  Z.set(dX.data);
}

/**
 * Records dZ = (Wᵀ·dY) ⊙ f'(Z) ⊙ mask into Z (which holds the stage's
 * pre-activations on entry) through a transpose index: the CSR and N:M
 * backward of a training step, one pass instead of a gather and a derive.
 */
function recordTransposeDerive(s: OperationScope, cols: number, batch: number, A: TransposeGatherOperand, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>): void {
  const { warp, batchTiles, workgroups } = gatherGrid(s, cols, batch);
  s.dispatch(gatherCsrEpilogueProgram('deriv', !warp && batch % 4 === 0, warp), {
    bindings: { X: dY, Y: Z, values: A.values, ...epilogueRows(warp, A, true), perm: A.perm, step: act.step },
    uniforms: { rows: cols, batch, batchTiles, ...activationUniforms(act.p, act.training) },
    workgroups,
  });
}

type DeriveArgs<W> = [W: W, dY: DenseMatrix, Z: Float32Array, act: StageActivation<number>];
type DeriveGpuArgs = [cols: number, batch: number, A: TransposeGatherOperand, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>];

/** The backward of a stage with a CSR W into the previous stage: Z (its pre-activations) becomes dZ = (Wᵀ·dY) ⊙ f'(Z) ⊙ mask. */
export const spmmCsrTDerive: Kernel<DeriveArgs<CSRMatrix>, void, DeriveGpuArgs> = {
  name: 'spmmCsrTDerive',
  cpu(W, dY, Z, act) {
    deriveCpu(spmmCsrT.cpu(W, dY), Z, act);
  },
  encode: recordTransposeDerive,
};

/** spmmCsrTDerive for N:M weights (their transpose index gathers like a CSR's). */
export const spmmNMTDerive: Kernel<DeriveArgs<NMMatrix>, void, DeriveGpuArgs> = {
  name: 'spmmNMTDerive',
  cpu(W, dY, Z, act) {
    deriveCpu(spmmNMT.cpu(W, dY), Z, act);
  },
  encode: recordTransposeDerive,
};
