import { CSRMatrix } from '../src/formats/csr.js';
import { DenseMatrix } from '../src/formats/dense.js';
import { NMMatrix } from '../src/formats/nm.js';
import type { OperationScope } from '../src/gpu/gpu-context.js';
import { programs, sddmmCsrStepProgram, sddmmNMStepProgram } from './programs.js';
import { adam } from './adam.js';
import { biasStep, sgdMomentum, type BiasState, type OptimizerStep } from './elementwise.js';
import type { Kernel } from '../src/gpu/kernel.js';
import { assertFloat32 } from '../src/formats/validate.js';
import { checkDense, checkRowsMatch, checkSameCols, checkSparse } from './checks.js';
import { hostKernel, type HostTransfer } from '../src/gpu/kernel.js';
import { nmPatternWords, type NMShape } from './spmm.js';
import { sddmmWasm } from './wasm/sddmm-wasm.js';
import { nmColumns, type NMColumns } from './wasm/instance.js';
import type { SddmmOptions } from '../src/options.js';

const { ENTRIES, WARP_ENTRIES } = programs.sddmmCsr.layout.consts;


/** A CSR's sampling pattern in GPU buffers: the row and the column of every stored entry. */
export interface CsrPattern {
  rowOf: GPUBuffer;
  colIdx: GPUBuffer;
}

/** The GPU arguments of an SDDMM: out (one value per stored entry) = alpha · dY[row] · X[col] over `pattern`. */
type SddmmArgs<Shape, Pattern> = [shape: Shape, batch: number, alpha: number, pattern: Pattern, dY: GPUBuffer, X: GPUBuffer, out: GPUBuffer];
type SddmmHostArgs<W> = [W: W, dY: DenseMatrix, X: DenseMatrix, options?: SddmmOptions];

/**
 * dW = alpha · (dY · Xᵀ) sampled at W's nonzeros: returns one value per stored
 * entry, aligned with W.values (W's values themselves are not read).
 */
export const sddmmCsr = hostKernel<SddmmHostArgs<CSRMatrix>, Float32Array, SddmmArgs<number, CsrPattern>>({
  name: 'sddmmCsr',
  validate(W, dY, X, options) {
    checkSparse('W', W, CSRMatrix, 'CSRMatrix');
    checkOperands(W, dY, X, options);
  },
  cpu(W, dY, X, options) {
    return sddmmCpu(W.nnz, dY, X, options, W.rowIndices(), W.colIdx);
  },
  /** Records the SDDMM of `nnz` entries over a GPU-resident CSR pattern; no transfers. */
  encode(s, nnz, batch, alpha, pattern, dY, X, out) {
    recordSddmm(s, 'csr', nnz, batch, alpha, CSR_PATTERN_WORDS, [pattern.rowOf, pattern.colIdx], dY, X, out);
  },
  ...sddmmTransfer((s, W) => {
    const rowOf = W.rowIndices();
    return { shape: W.nnz, pattern: { rowOf: s.upload('W (row of each nonzero)', rowOf), colIdx: s.upload('W.colIdx', W.colIdx) } };
  }),
});

/** The N:M twin of sddmmCsr: one value per stored slot, aligned with W.values. */
export const sddmmNM = hostKernel<SddmmHostArgs<NMMatrix>, Float32Array, SddmmArgs<NMShape, GPUBuffer>>({
  name: 'sddmmNM',
  validate(W, dY, X, options) {
    checkSparse('W', W, NMMatrix, 'NMMatrix');
    checkOperands(W, dY, X, options);
  },
  cpu(W, dY, X, options) {
    const rowOf = new Uint32Array(W.nnz);
    for (let r = 0; r < W.rows; r++) rowOf.fill(r, r * W.slotsPerRow, (r + 1) * W.slotsPerRow);
    return sddmmCpu(W.nnz, dY, X, options, rowOf, nmColumns(W));
  },
  /** Records the SDDMM at every slot of GPU-resident N:M positions (`indices`, packed); no transfers. */
  encode(s, W, batch, alpha, indices, dY, X, out) {
    recordSddmm(s, 'nm', W.rows * (W.cols / W.m) * W.n, batch, alpha, nmPatternWords(W), [indices], dY, X, out);
  },
  ...sddmmTransfer((s, W) => ({ shape: W, pattern: s.upload('W.indices', W.indices) })),
});

function checkOperands(W: CSRMatrix | NMMatrix, dY: DenseMatrix, X: DenseMatrix, options: SddmmOptions | undefined): void {
  checkDense('dY', dY);
  checkDense('X', X);
  checkRowsMatch('dY', dY.rows, W.rows, 'W.rows');
  checkRowsMatch('X', X.rows, W.cols, 'W.cols');
  checkSameCols('X', X, dY, 'dY');
  const alpha = options?.alpha;
  if (alpha !== undefined) assertFloat32('options.alpha', alpha);
}

function sddmmCpu(
  nnz: number,
  dY: DenseMatrix,
  X: DenseMatrix,
  options: SddmmOptions | undefined,
  rowOf: Uint32Array,
  columns: Uint32Array | NMColumns,
): Float32Array {
  const alpha = options?.alpha ?? 1;
  const batch = X.cols;
  const dy = dY.data;
  const x = X.data;
  const simd = sddmmWasm(nnz, batch, alpha, rowOf, columns, dy, x);
  if (simd) return simd;
  const colOf = columns instanceof Uint32Array ? columns : columns.decoded();
  const out = new Float32Array(nnz);
  // Without WebAssembly SIMD (or for batch % 4 != 0): the SIMD kernel's float32
  // arithmetic — four lanes (b mod 4), products rounded, lanes summed as
  // ((l0 + l1) + l2) + l3, then scaled by alpha as a float32 — so results do
  // not depend on the path.
  const alpha32 = Math.fround(alpha);
  const lanes = new Float32Array(4);
  for (let k = 0; k < nnz; k++) {
    const yOff = rowOf[k]! * batch;
    const xOff = colOf[k]! * batch;
    lanes.fill(0);
    for (let b = 0; b < batch; b++) lanes[b & 3]! += Math.fround(dy[yOff + b]! * x[xOff + b]!);
    out[k] = alpha32 * Math.fround(Math.fround(Math.fround(lanes[0]! + lanes[1]!) + lanes[2]!) + lanes[3]!);
  }
  return out;
}

/**
 * Records out[k] = alpha · dY[row(k)] · X[col(k)] over a GPU-resident
 * pattern; no transfers. CSR patterns pass [rowOf, colIdx] and zero pattern
 * words; N:M patterns pass [indices] and (slotsPerRow, groupsPerRow, n, m, bits).
 * The scope's kernel profile picks the entry point: `main` ('emulation', an
 * invocation per entry, vec4 loads when the batch allows) or `sddmmWarp`
 * ('gpu', a warp per entry along the batch).
 */
function recordSddmm(
  s: OperationScope,
  format: 'csr' | 'nm',
  nnz: number,
  batch: number,
  alpha: number,
  patternWords: readonly number[],
  pattern: GPUBuffer[],
  dY: GPUBuffer,
  X: GPUBuffer,
  out: GPUBuffer,
): void {
  const warp = s.kernelProfile === 'gpu';
  const vec4 = !warp && batch % 4 === 0;
  const workgroups = Math.ceil(nnz / (warp ? WARP_ENTRIES : ENTRIES));
  if (format === 'csr') {
    const [rowOf, colIdx] = pattern;
    const program = warp ? programs.sddmmCsrWarp : vec4 ? programs.sddmmCsrVec4 : programs.sddmmCsr;
    s.dispatch(program, { bindings: { dY, X, outValues: out, rowOf, colIdx }, uniforms: { nnz, batch, alpha }, workgroups });
  } else {
    const [slotsPerRow = 0, groupsPerRow = 0, n = 0, m = 0, bits = 0] = patternWords;
    s.dispatch(warp ? programs.sddmmNMWarp : vec4 ? programs.sddmmNMVec4 : programs.sddmmNM, {
      bindings: { dY, X, outValues: out, packed: pattern[0] },
      uniforms: { nnz, batch, alpha, slotsPerRow, groupsPerRow, n, m, bits },
      workgroups,
    });
  }
}

const CSR_PATTERN_WORDS = [0, 0, 0, 0, 0] as const;

/**
 * The transfer of an SDDMM kernel: dY, X, then W's pattern (`pattern`
 * uploads it and gives the shape encode takes); one f32 per stored entry back.
 */
function sddmmTransfer<W extends CSRMatrix | NMMatrix, Shape, Pattern>(
  pattern: (s: OperationScope, W: W) => { shape: Shape; pattern: Pattern },
): HostTransfer<SddmmHostArgs<W>, Float32Array, SddmmArgs<Shape, Pattern>> {
  return {
    upload(s, W, dY, X, options) {
      // Operands first, so a limit error names the operand at fault before the result.
      const dy = s.upload('dY', dY.data);
      const x = s.upload('X', X.data);
      const p = pattern(s, W);
      return { byteLength: W.nnz * 4, encodeArgs: (out) => [p.shape, X.cols, options?.alpha ?? 1, p.pattern, dy, x, out] };
    },
    decode: (bytes) => new Float32Array(bytes),
  };
}

// --- A training step's gradient pass with its optimizer (shaders/sddmm.wgsl SGD, ADAM, BIAS_ROWS) ---

/** A layer's stored weights with their optimizer moments (aligned with the pattern's entries). */
export interface WeightState<B> {
  values: B;
  velocity: B;
  second: B;
}

type StepCpuArgs<W> = [W: W, dY: DenseMatrix, X: DenseMatrix, alpha: number, weights: WeightState<Float32Array>, bias: BiasState<Float32Array>, o: OptimizerStep, t: number];
type StepGpuArgs<Shape, Pattern> = [
  shape: Shape,
  batch: number,
  alpha: number,
  pattern: Pattern,
  dY: GPUBuffer,
  X: GPUBuffer,
  weights: WeightState<GPUBuffer>,
  bias: BiasState<GPUBuffer>,
  o: OptimizerStep,
  t: GPUBuffer,
];

/**
 * The CPU twin of a gradient step: the gradient (the SDDMM's f32 steps),
 * then the optimizer on weights and biases (biasStep: the bias gradient in
 * the SDDMM's lane order) — the f32 steps of the fused pass.
 */
function stepCpu(gradient: Float32Array, dY: DenseMatrix, alpha: number, weights: WeightState<Float32Array>, bias: BiasState<Float32Array>, o: OptimizerStep, t: number): void {
  if (o.kind === 'sgd') sgdMomentum.cpu(weights.values, gradient, weights.velocity, o);
  else adam.cpu(weights.values, gradient, weights.velocity, weights.second, t, o);
  biasStep.cpu(dY.rows, dY.cols, alpha, dY.data, bias, o, t);
}

/**
 * Records a gradient step: each entry's gradient alpha · dY[row]·X[col] is
 * applied to its weight by the optimizer in the invocation that computed it
 * (never stored), and for SGD the biases are biasRows more entries of the
 * same pass (X taken as ones). Adam's bias moments would take the pass past
 * 8 storage buffers, so its biases get a biasStep pass of their own.
 */
function recordStep(
  s: OperationScope,
  format: 'csr' | 'nm',
  nnz: number,
  rows: number,
  batch: number,
  alpha: number,
  patternWords: readonly number[],
  pattern: GPUBuffer[],
  dY: GPUBuffer,
  X: GPUBuffer,
  weights: WeightState<GPUBuffer>,
  bias: BiasState<GPUBuffer>,
  o: OptimizerStep,
  t: GPUBuffer,
): void {
  const warp = s.kernelProfile === 'gpu';
  const vec4 = !warp && batch % 4 === 0;
  const perWorkgroup = warp ? WARP_ENTRIES : ENTRIES;
  const [slotsPerRow = 0, groupsPerRow = 0, n = 0, m = 0, bits = 0] = patternWords;
  const nmUniforms = { slotsPerRow, groupsPerRow, n, m, bits };
  if (o.kind === 'sgd') {
    const bindings = { dY, X, values: weights.values, velocity: weights.velocity, bias: bias.bias, biasVelocity: bias.velocity };
    const uniforms = { nnz, batch, alpha, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, biasRows: rows };
    const workgroups = Math.ceil((nnz + rows) / perWorkgroup);
    if (format === 'csr') s.dispatch(sddmmCsrStepProgram('sgd', vec4, warp), { bindings: { ...bindings, rowOf: pattern[0], colIdx: pattern[1] }, uniforms, workgroups });
    else s.dispatch(sddmmNMStepProgram('sgd', vec4, warp), { bindings: { ...bindings, packed: pattern[0] }, uniforms: { ...uniforms, ...nmUniforms }, workgroups });
    return;
  }
  const bindings = { dY, X, values: weights.values, firstMoment: weights.velocity, secondMoment: weights.second, step: t };
  const uniforms = { nnz, batch, alpha, lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay };
  const workgroups = Math.ceil(nnz / perWorkgroup);
  if (format === 'csr') s.dispatch(sddmmCsrStepProgram('adam', vec4, warp), { bindings: { ...bindings, rowOf: pattern[0], colIdx: pattern[1] }, uniforms, workgroups });
  else s.dispatch(sddmmNMStepProgram('adam', vec4, warp), { bindings: { ...bindings, packed: pattern[0] }, uniforms: { ...uniforms, ...nmUniforms }, workgroups });
  biasStep.encode(s, rows, batch, alpha, dY, bias, o, t);
}

/** A CSR layer's gradient step: the weight gradient at its nonzeros and the bias gradient, applied by the optimizer in the same pass (SGD). */
export const sddmmCsrStep: Kernel<StepCpuArgs<CSRMatrix>, void, StepGpuArgs<{ nnz: number; rows: number }, CsrPattern>> = {
  name: 'sddmmCsrStep',
  cpu(W, dY, X, alpha, weights, bias, o, t) {
    stepCpu(sddmmCsr.cpu(W, dY, X, { alpha }), dY, alpha, weights, bias, o, t);
  },
  encode(s, shape, batch, alpha, pattern, dY, X, weights, bias, o, t) {
    recordStep(s, 'csr', shape.nnz, shape.rows, batch, alpha, CSR_PATTERN_WORDS, [pattern.rowOf, pattern.colIdx], dY, X, weights, bias, o, t);
  },
};

/** sddmmCsrStep for N:M weights (`pattern`: the packed positions). */
export const sddmmNMStep: Kernel<StepCpuArgs<NMMatrix>, void, StepGpuArgs<NMShape, GPUBuffer>> = {
  name: 'sddmmNMStep',
  cpu(W, dY, X, alpha, weights, bias, o, t) {
    stepCpu(sddmmNM.cpu(W, dY, X, { alpha }), dY, alpha, weights, bias, o, t);
  },
  encode(s, W, batch, alpha, indices, dY, X, weights, bias, o, t) {
    recordStep(s, 'nm', W.rows * (W.cols / W.m) * W.n, W.rows, batch, alpha, nmPatternWords(W), [indices], dY, X, weights, bias, o, t);
  },
};
