import { DenseMatrix } from '../src/formats/dense.js';
import { gemmVariant, programs } from './programs.js';
import { ShapeMismatchError } from '../src/errors.js';
import { assertFloat32 } from '../src/formats/validate.js';
import { checkDense } from './checks.js';
import { hostKernel } from '../src/gpu/kernel.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { gatherWasm } from './wasm/spmm-wasm.js';
import type { GemmOptions } from '../src/options.js';

/** Each workgroup computes a TS × TS tile of C (fragments/gemm-tile.wgsl). */
const TILE = programs.gemmNN.layout.consts.TS;
/** The gpu profile (shaders/gemm.wgsl, tileGpu): GPU_TM × GPU_TN tiles, K in steps of GPU_TK; reduceSplits' workgroup size. */
const { GPU_TM, GPU_TN, GPU_TK, REDUCE_THREADS } = programs.gemmGpuNN.layout.consts;

/**
 * Workgroups the gpu profile's GEMM aims for: two per multiprocessor of the
 * H100-class profile (132 SMs; bench/model/profiles.ts), the convention for
 * filling a large GPU. On a smaller GPU the same split only adds a cheap
 * reduction pass.
 */
export const GEMM_TARGET_WORKGROUPS = 2 * 132;
/** A split covers at least this many k-steps (8 × GPU_TK = 128 terms), so each workgroup still has a loop worth its staging. */
export const GEMM_MIN_SPLIT_STEPS = 8;

/** The gpu profile's grid for a GEMM: tiles of C, and how K is split among workgroups. */
export interface GemmGrid {
  tilesM: number;
  tilesN: number;
  /** Splits of K (1: no split-K, tileGpu writes C itself). */
  splits: number;
  /** Terms of K per split, a multiple of GPU_TK (the last split takes what is left). */
  kChunk: number;
  /** Workgroups of the tile pass: tilesM · tilesN · splits. */
  workgroups: number;
}

/**
 * The gpu profile's split-K decision, a pure function of the shape: when
 * C's GPU_TM × GPU_TN tiles are fewer than `target` workgroups (two per SM
 * of a 132-SM GPU), K is cut into ⌈target / tiles⌉ splits of whole k-steps
 * (at most one per GEMM_MIN_SPLIT_STEPS steps), so the tile pass fills the
 * device; the partials (splits × m × n floats, under 18 MB since tiles ·
 * splits < target + tiles) are then added by reduceSplits.
 */
export function gemmGrid(dims: GemmDims, target = GEMM_TARGET_WORKGROUPS): GemmGrid {
  const tilesM = Math.ceil(dims.m / GPU_TM);
  const tilesN = Math.ceil(dims.n / GPU_TN);
  const tiles = tilesM * tilesN;
  const steps = Math.ceil(dims.k / GPU_TK);
  let splits = tiles >= target ? 1 : Math.max(1, Math.min(Math.ceil(target / tiles), Math.floor(steps / GEMM_MIN_SPLIT_STEPS)));
  const kChunk = Math.ceil(steps / splits) * GPU_TK;
  // Rounding the chunk up to whole steps can leave the last splits empty: drop them.
  if (dims.k > 0) splits = Math.ceil(dims.k / kChunk);
  return { tilesM, tilesN, splits, kChunk, workgroups: tiles * splits };
}


/** The sizes of a GEMM: C is m × n, the inner dimension k. */
export interface GemmDims {
  m: number;
  n: number;
  k: number;
}

/** C = alpha · op(A) · op(B), dense, row-major. */
export const gemm = hostKernel<[A: DenseMatrix, B: DenseMatrix, options?: GemmOptions], DenseMatrix, [dims: GemmDims, options: GemmOptions, A: GPUBuffer, B: GPUBuffer, C: GPUBuffer]>({
  name: 'gemm',
  validate(A, B, options) {
    checkDense('A', A);
    checkDense('B', B);
    const { k, kB } = dims(A, B, options);
    if (k !== kB) {
      throw new ShapeMismatchError('B', `op(A) has ${k} columns but op(B) has ${kB} rows (transA=${!!options?.transA}, transB=${!!options?.transB})`);
    }
    const alpha = options?.alpha;
    if (alpha !== undefined) assertFloat32('options.alpha', alpha);
  },
  cpu(A, B, options) {
    const { m, n, k } = dims(A, B, options);
    const alpha = options?.alpha ?? 1;
    const a = A.data;
    const b = B.data;
    const simd = gemmWasm(m, n, k, a, b, alpha, !!options?.transA, !!options?.transB);
    if (simd) return new DenseMatrix(m, n, simd);
    const out = new Float32Array(m * n);
    // i-p-j order for op(B) untransposed: the inner loop streams rows of B and C.
    // The SIMD path's float32 arithmetic: alpha·A rounded to f32, each product
    // rounded, added in p order (no skipped zeros: 0·∞ is NaN there too).
    const transA = !!options?.transA;
    const transB = !!options?.transB;
    for (let i = 0; i < m; i++) {
      const cOff = i * n;
      for (let p = 0; p < k; p++) {
        const av = Math.fround(alpha * (transA ? a[p * m + i]! : a[i * k + p]!));
        if (transB) {
          for (let j = 0; j < n; j++) out[cOff + j]! += Math.fround(av * b[j * k + p]!);
        } else {
          const bOff = p * n;
          for (let j = 0; j < n; j++) out[cOff + j]! += Math.fround(av * b[bOff + j]!);
        }
      }
    }
    return new DenseMatrix(m, n, out);
  },
  /**
   * Records C (m × n) = alpha · op(A) · op(B) over GPU buffers; no transfers.
   * C is overwritten; with k = 0 nothing is dispatched (C must already be zero).
   * The scope's kernel profile picks the shader: `main` ('emulation'), or
   * tileGpu with split-K by gemmGrid and reduceSplits ('gpu').
   */
  encode(s, dims, options, A, B, C) {
    const { m, n, k } = dims;
    if (k === 0 || m === 0 || n === 0) return;
    if (s.kernelProfile === 'gpu') {
      recordGemmGpu(s, dims, options, A, B, C);
      return;
    }
    const tilesM = Math.ceil(m / TILE);
    const tilesN = Math.ceil(n / TILE);
    s.dispatch(gemmVariant(!!options.transA, !!options.transB), {
      bindings: { A, B, C },
      uniforms: { M: m, N: n, K: k, tilesN, tilesM, alpha: options.alpha ?? 1 },
      workgroups: tilesM * tilesN,
    });
  },
  upload(s, A, B, options) {
    const { m, n, k } = dims(A, B, options);
    // Operands first, so a limit error names the operand at fault before the result.
    const a = s.upload('A', A.data);
    const b = s.upload('B', B.data);
    return { byteLength: m * n * 4, encodeArgs: (C) => [{ m, n, k }, options ?? {}, a, b, C] };
  },
  decode(bytes, A, B, options) {
    const { m, n } = dims(A, B, options);
    return new DenseMatrix(m, n, new Float32Array(bytes));
  },
});

/**
 * The gpu profile's GEMM: tileGpu over gemmGrid's tiles and splits, writing C
 * directly (one split) or the splits' partials into a scratch buffer of the
 * scope, which reduceSplits adds in split order and scales by alpha.
 */
function recordGemmGpu(s: OperationScope, dims: GemmDims, options: GemmOptions, A: GPUBuffer, B: GPUBuffer, C: GPUBuffer): void {
  const { m, n, k } = dims;
  const alpha = options.alpha ?? 1;
  const grid = gemmGrid(dims);
  const tile = gemmVariant(!!options.transA, !!options.transB, true);
  const uniforms = { M: m, N: n, K: k, tilesN: grid.tilesN, tilesM: grid.tilesM, splits: grid.splits, kChunk: grid.kChunk };
  if (grid.splits === 1) {
    s.dispatch(tile, { bindings: { A, B, C }, uniforms: { ...uniforms, alpha }, workgroups: grid.workgroups });
    return;
  }
  const partials = s.output('gemm split-K partials', grid.splits * m * n * 4);
  s.dispatch(tile, { bindings: { A, B, C: partials }, uniforms: { ...uniforms, alpha: 1 }, workgroups: grid.workgroups });
  s.dispatch(programs.gemmReduceSplits, { bindings: { partials, C }, uniforms: { ...uniforms, alpha }, workgroups: Math.ceil((m * n) / REDUCE_THREADS) });
}

function dims(A: DenseMatrix, B: DenseMatrix, options: GemmOptions | undefined) {
  const m = options?.transA ? A.cols : A.rows;
  const k = options?.transA ? A.rows : A.cols;
  const kB = options?.transB ? B.cols : B.rows;
  const n = options?.transB ? B.rows : B.cols;
  return { m, n, k, kB };
}

/** Column indices 0 … k−1 repeated for m rows: the "sparse" pattern of a dense matrix (cached per shape). */
let denseIndices: { m: number; k: number; ptr: Uint32Array; idx: Uint32Array } | undefined;
function densePattern(m: number, k: number): { ptr: Uint32Array; idx: Uint32Array } {
  if (denseIndices?.m !== m || denseIndices.k !== k) {
    const ptr = new Uint32Array(m + 1);
    for (let i = 0; i <= m; i++) ptr[i] = i * k;
    const idx = new Uint32Array(m * k);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) idx[i * k + p] = p;
    denseIndices = { m, k, ptr, idx };
  }
  return denseIndices;
}

/**
 * The CPU GEMM on the WebAssembly SIMD gather: row i of C gathers the rows of
 * op(B) weighted by row i of alpha · op(A), i.e. the dense matrix taken as a
 * sparse one with every entry stored. Undefined where the gather declines
 * (no WebAssembly SIMD, n % 4 != 0).
 */
function gemmWasm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, alpha: number, transA: boolean, transB: boolean): Float32Array | undefined {
  if (n % 4 !== 0 || n === 0 || m * k === 0) return undefined;
  let values = a;
  if (transA || alpha !== 1) {
    values = new Float32Array(m * k);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) values[i * k + p] = alpha * (transA ? a[p * m + i]! : a[i * k + p]!);
  }
  let rowsOfB = b;
  if (transB) {
    rowsOfB = new Float32Array(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) rowsOfB[p * n + j] = b[j * k + p]!;
  }
  const { ptr, idx } = densePattern(m, k);
  return gatherWasm(m, n, ptr, idx, values, undefined, rowsOfB);
}
