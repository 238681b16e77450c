import { DenseMatrix } from '../src/formats/dense.js';
import { gemmVariant } from './programs.js';
import { InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { checkDense } from './checks.js';
import type { Kernel } from './kernel.js';
import type { OperationScope } from '../src/engine/gpu-context.js';

const TILE = 64;

export interface GemmOptions {
  /** Use Aᵀ (A is stored K × M). */
  transA?: boolean;
  /** Use Bᵀ (B is stored N × K). */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
}

/** C = alpha · op(A) · op(B), dense, row-major. */
export const gemm: Kernel<[A: DenseMatrix, B: DenseMatrix, options?: GemmOptions], DenseMatrix> = {
  name: 'gemm',
  validate(A, B, options) {
    checkDense('A', A);
    checkDense('B', B);
    const { k, kB } = dims(A, B, options);
    if (k !== kB) {
      throw new ShapeMismatchError('B', `op(A) has ${k} columns but op(B) has ${kB} rows (transA=${!!options?.transA}, transB=${!!options?.transB})`);
    }
    const alpha = options?.alpha;
    if (alpha !== undefined && !Number.isFinite(alpha)) throw new InvalidArgumentError('options.alpha', `must be finite, got ${alpha}`);
  },
  cpu(A, B, options) {
    const { m, n, k } = dims(A, B, options);
    const alpha = options?.alpha ?? 1;
    const a = A.data;
    const b = B.data;
    const out = new Float32Array(m * n);
    // i-p-j order for op(B) untransposed: the inner loop streams rows of B and C.
    const transA = !!options?.transA;
    const transB = !!options?.transB;
    for (let i = 0; i < m; i++) {
      const cOff = i * n;
      for (let p = 0; p < k; p++) {
        const av = alpha * (transA ? a[p * m + i]! : a[i * k + p]!);
        if (av === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) out[cOff + j]! += av * b[j * k + p]!;
        } else {
          const bOff = p * n;
          for (let j = 0; j < n; j++) out[cOff + j]! += av * b[bOff + j]!;
        }
      }
    }
    return new DenseMatrix(m, n, out);
  },
  plan(s, A, B, options) {
    const { m, n, k } = dims(A, B, options);
    const byteLength = m * n * 4;
    // Operands first, so a limit error names the operand at fault before the result.
    const a = s.upload('A', A.data);
    const b = s.upload('B', B.data);
    const result = s.output('result', byteLength);
    encodeGemm(s, { m, n, k }, options ?? {}, a, b, result);
    return { result, byteLength, decode: (bytes) => new DenseMatrix(m, n, new Float32Array(bytes)) };
  },
};

function dims(A: DenseMatrix, B: DenseMatrix, options: GemmOptions | undefined) {
  const m = options?.transA ? A.cols : A.rows;
  const k = options?.transA ? A.rows : A.cols;
  const kB = options?.transB ? B.cols : B.rows;
  const n = options?.transB ? B.rows : B.cols;
  return { m, n, k, kB };
}

/**
 * Records C (m × n) = alpha · op(A) · op(B) over GPU buffers; no transfers.
 * C is overwritten; with k = 0 nothing is dispatched (C must already be zero).
 */
export function encodeGemm(s: OperationScope, dims: { m: number; n: number; k: number }, options: GemmOptions, A: GPUBuffer, B: GPUBuffer, C: GPUBuffer): void {
  const { m, n, k } = dims;
  if (k === 0 || m === 0 || n === 0) return;
  const tilesM = Math.ceil(m / TILE);
  const tilesN = Math.ceil(n / TILE);
  s.dispatch({
    pipeline: s.pipeline(gemmVariant(!!options.transA, !!options.transB)),
    buffers: [s.uniform([m, n, k, tilesN, tilesM, options.alpha ?? 1], [5]), A, B, C],
    workgroups: tilesM * tilesN,
  });
}
