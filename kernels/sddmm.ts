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
  validate: checkSddmm(CSRMatrix, 'CSRMatrix'),
  cpu(W, dY, X, options) {
    return sddmmCpu(W.nnz, dY, X, options, W.rowIndices(), W.colIdx);
  },
  /** Records the SDDMM of `nnz` entries over a GPU-resident CSR pattern; no transfers. */
  encode(s, nnz, batch, alpha, pattern, dY, X, out) {
    recordSddmm(s, csrBound(nnz, pattern), batch, alpha, dY, X, out);
  },
  ...sddmmTransfer((s, W) => {
    const rowOf = W.rowIndices();
    return { shape: W.nnz, pattern: { rowOf: s.upload('W (row of each nonzero)', rowOf), colIdx: s.upload('W.colIdx', W.colIdx) } };
  }),
});

/** The N:M twin of sddmmCsr: one value per stored slot, aligned with W.values. */
export const sddmmNM = hostKernel<SddmmHostArgs<NMMatrix>, Float32Array, SddmmArgs<NMShape, GPUBuffer>>({
  name: 'sddmmNM',
  validate: checkSddmm(NMMatrix, 'NMMatrix'),
  cpu(W, dY, X, options) {
    const rowOf = new Uint32Array(W.nnz);
    for (let r = 0; r < W.rows; r++) rowOf.fill(r, r * W.slotsPerRow, (r + 1) * W.slotsPerRow);
    return sddmmCpu(W.nnz, dY, X, options, rowOf, nmColumns(W));
  },
  /** Records the SDDMM at every slot of GPU-resident N:M positions (`indices`, packed); no transfers. */
  encode(s, W, batch, alpha, indices, dY, X, out) {
    recordSddmm(s, nmBound(W, indices), batch, alpha, dY, X, out);
  },
  ...sddmmTransfer((s, W) => ({ shape: W, pattern: s.upload('W.indices', W.indices) })),
});

/** The validation of an SDDMM's operands: W of its format (checkSparse), dY (W.rows × batch), X (W.cols × batch) and alpha. */
function checkSddmm<W extends CSRMatrix | NMMatrix>(format: abstract new (...args: never[]) => W, label: string) {
  return (...[W, dY, X, options]: SddmmHostArgs<W>): void => {
    checkSparse('W', W, format, label);
    checkDense('dY', dY);
    checkDense('X', X);
    checkRowsMatch('dY', dY.rows, W.rows, 'W.rows');
    checkRowsMatch('X', X.rows, W.cols, 'W.cols');
    checkSameCols('X', X, dY, 'dY');
    const alpha = options?.alpha;
    if (alpha !== undefined) assertFloat32('options.alpha', alpha);
  };
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
 * A GPU-resident sampling pattern as the SDDMM shaders bind it: its entry
 * count, CSR's (rowOf, colIdx) or N:M's packed positions with the words that
 * decode them (slotsPerRow, groupsPerRow, n, m, bits).
 */
type BoundPattern =
  | { format: 'csr'; nnz: number; rowOf: GPUBuffer; colIdx: GPUBuffer }
  | { format: 'nm'; nnz: number; packed: GPUBuffer; words: ReturnType<typeof nmPatternWords> };

function csrBound(nnz: number, pattern: CsrPattern): BoundPattern {
  return { format: 'csr', nnz, rowOf: pattern.rowOf, colIdx: pattern.colIdx };
}

function nmBound(W: NMShape, packed: GPUBuffer): BoundPattern {
  const words = nmPatternWords(W);
  return { format: 'nm', nnz: W.rows * words.slotsPerRow, packed, words };
}

/**
 * How an SDDMM pass runs under the scope's kernel profile: `main`
 * ('emulation', an invocation per entry, vec4 loads when the batch allows)
 * or `sddmmWarp` ('gpu', a warp per entry along the batch).
 */
function sddmmEntry(s: OperationScope, batch: number): { warp: boolean; vec4: boolean; perWorkgroup: number } {
  const warp = s.kernelProfile === 'gpu';
  return { warp, vec4: !warp && batch % 4 === 0, perWorkgroup: warp ? WARP_ENTRIES : ENTRIES };
}

/** Records out[k] = alpha · dY[row(k)] · X[col(k)] over a GPU-resident pattern; no transfers. */
function recordSddmm(s: OperationScope, p: BoundPattern, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer, out: GPUBuffer): void {
  const { warp, vec4, perWorkgroup } = sddmmEntry(s, batch);
  const workgroups = Math.ceil(p.nnz / perWorkgroup);
  const uniforms = { nnz: p.nnz, batch, alpha };
  if (p.format === 'csr') {
    const program = warp ? programs.sddmmCsrWarp : vec4 ? programs.sddmmCsrVec4 : programs.sddmmCsr;
    s.dispatch(program, { bindings: { dY, X, outValues: out, rowOf: p.rowOf, colIdx: p.colIdx }, uniforms, workgroups });
  } else {
    const program = warp ? programs.sddmmNMWarp : vec4 ? programs.sddmmNMVec4 : programs.sddmmNM;
    s.dispatch(program, { bindings: { dY, X, outValues: out, packed: p.packed }, uniforms: { ...uniforms, ...p.words }, workgroups });
  }
}

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
/** What a gradient step reads and updates on the GPU, whatever the pattern's format. */
type StepOperands = [dY: GPUBuffer, X: GPUBuffer, weights: WeightState<GPUBuffer>, bias: BiasState<GPUBuffer>, o: OptimizerStep, t: GPUBuffer];
type StepGpuArgs<Shape, Pattern> = [shape: Shape, batch: number, alpha: number, pattern: Pattern, ...operands: StepOperands];

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
function recordStep(s: OperationScope, p: BoundPattern, rows: number, batch: number, alpha: number, ...[dY, X, weights, bias, o, t]: StepOperands): void {
  const { warp, vec4, perWorkgroup } = sddmmEntry(s, batch);
  const { nnz } = p;
  if (o.kind === 'sgd') {
    const bindings = { dY, X, values: weights.values, velocity: weights.velocity, bias: bias.bias, biasVelocity: bias.velocity };
    const uniforms = { nnz, batch, alpha, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, biasRows: rows };
    const workgroups = Math.ceil((nnz + rows) / perWorkgroup);
    if (p.format === 'csr') s.dispatch(sddmmCsrStepProgram('sgd', vec4, warp), { bindings: { ...bindings, rowOf: p.rowOf, colIdx: p.colIdx }, uniforms, workgroups });
    else s.dispatch(sddmmNMStepProgram('sgd', vec4, warp), { bindings: { ...bindings, packed: p.packed }, uniforms: { ...uniforms, ...p.words }, workgroups });
    return;
  }
  const bindings = { dY, X, values: weights.values, firstMoment: weights.velocity, secondMoment: weights.second, step: t };
  const uniforms = { nnz, batch, alpha, lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay };
  const workgroups = Math.ceil(nnz / perWorkgroup);
  if (p.format === 'csr') s.dispatch(sddmmCsrStepProgram('adam', vec4, warp), { bindings: { ...bindings, rowOf: p.rowOf, colIdx: p.colIdx }, uniforms, workgroups });
  else s.dispatch(sddmmNMStepProgram('adam', vec4, warp), { bindings: { ...bindings, packed: p.packed }, uniforms: { ...uniforms, ...p.words }, workgroups });
  biasStep.encode(s, rows, batch, alpha, dY, bias, o, t);
}

/** A CSR layer's gradient step: the weight gradient at its nonzeros and the bias gradient, applied by the optimizer in the same pass (SGD). */
export const sddmmCsrStep: Kernel<StepCpuArgs<CSRMatrix>, void, StepGpuArgs<{ nnz: number; rows: number }, CsrPattern>> = {
  name: 'sddmmCsrStep',
  cpu(W, dY, X, alpha, weights, bias, o, t) {
    stepCpu(sddmmCsr.cpu(W, dY, X, { alpha }), dY, alpha, weights, bias, o, t);
  },
  encode(s, shape, batch, alpha, pattern, dY, X, weights, bias, o, t) {
    recordStep(s, csrBound(shape.nnz, pattern), shape.rows, batch, alpha, dY, X, weights, bias, o, t);
  },
};

/** sddmmCsrStep for N:M weights (`pattern`: the packed positions). */
export const sddmmNMStep: Kernel<StepCpuArgs<NMMatrix>, void, StepGpuArgs<NMShape, GPUBuffer>> = {
  name: 'sddmmNMStep',
  cpu(W, dY, X, alpha, weights, bias, o, t) {
    stepCpu(sddmmNM.cpu(W, dY, X, { alpha }), dY, alpha, weights, bias, o, t);
  },
  encode(s, W, batch, alpha, indices, dY, X, weights, bias, o, t) {
    recordStep(s, nmBound(W, indices), W.rows, batch, alpha, dY, X, weights, bias, o, t);
  },
};
