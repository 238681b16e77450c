import { BufferOwner, type GpuContext, type OperationScope } from '../../src/gpu/gpu-context.js';
import { type CSRMatrix, identityOrder } from '../../src/formats/csr.js';
import { csrDerivedIndices, type TransposeBuffers } from '../csr-transpose.js';
import { sddmmCsr, sddmmCsrStep } from '../sddmm.js';
import { spmmCsr, spmmCsrForward, spmmCsrT, spmmCsrTDerive, type ForwardOutputs, type StageActivation } from '../spmm.js';
import type { BiasState, OptimizerStep } from '../elementwise.js';
import { readCsr, uploadCsr, type CsrBuffers } from '../set/resident-csr.js';
import { gatherOrder } from '../spmm.js';
import { rowSchedule, scheduleWords } from '../row-order.js';
import type { HostPasses, ResidentOperand, ResidentPart } from './operand.js';
import { releaseOnThrow } from './release-on-throw.js';

/** The CPU twins of ResidentCsr's passes. */
export const csrPasses: HostPasses<CSRMatrix> = {
  values: (W) => W.values,
  forward: (W, X) => spmmCsr.cpu(W, X),
  backward: (W, dY) => spmmCsrT.cpu(W, dY),
  gradient: (W, X, dY, alpha) => sddmmCsr.cpu(W, dY, X, { alpha }),
};

/** A generation recorded by ResidentCsr.recordInstall, waiting for its submission: commit() or discard() it once. */
export interface PendingGeneration {
  commit(): void;
  discard(): void;
}

/** One generation of the weights: replaced whole by every evolution, with the buffers derived from it. */
interface Generation {
  owner: BufferOwner;
  csr: CsrBuffers;
  /** The row of every entry and the transpose index (training operands only). */
  derived: TransposeBuffers | undefined;
  /**
   * How the gathers visit W's rows and columns (training operands only), in
   * the kernel profile's format (GatherOperand.order): on 'gpu' the
   * schedules of kernels/row-order.ts, rebuilt with every generation (an
   * evolved layer's rows and columns change length); on 'emulation' the
   * identity, shared by every generation (TrainingBuffers.identity).
   */
  orders: VisitOrders | undefined;
}

interface VisitOrders {
  rows: GPUBuffer;
  cols: GPUBuffer;
}

/** What the training passes read besides the weights; lives as long as the operand. */
interface TrainingBuffers {
  owner: BufferOwner;
  gradient: GPUBuffer;
  /** The emulation profile's visiting orders, the identity: SwiftShader's paths stay as they were measured. */
  identity: VisitOrders | undefined;
}

/**
 * A CSR weight matrix (rows × cols, nnz constant through evolution) and its
 * optimizer state in GPU buffers. A training operand (what a SparseLinear
 * holds) also keeps the transpose index, rebuilt on the GPU at every
 * install, a gradient buffer and visiting orders; a plain one (an engine's
 * one-off evolveSet) only the weights and state.
 */
export class ResidentCsr implements ResidentOperand {
  private generation: Generation | undefined;
  private readonly training: TrainingBuffers | undefined;

  private constructor(
    readonly ctx: GpuContext,
    readonly rows: number,
    readonly cols: number,
    readonly nnz: number,
    generation: Generation,
    training: TrainingBuffers | undefined,
  ) {
    this.generation = generation;
    this.training = training;
  }

  /**
   * Uploads W with its per-weight state (and an optional second state, e.g.
   * Adam's second moment). With `training`, the derived indices come from the
   * host (identical to what install rebuilds on the GPU).
   */
  static upload(ctx: GpuContext, W: CSRMatrix, state: Float32Array, second: Float32Array | undefined, options: { training: boolean }): ResidentCsr {
    const owner = new BufferOwner(ctx);
    const fixed = new BufferOwner(ctx);
    return releaseOnThrow([owner, fixed], () => {
      const csr = uploadCsr(owner, W, state, second);
      let derived: TransposeBuffers | undefined;
      let training: TrainingBuffers | undefined;
      let orders: VisitOrders | undefined;
      if (options.training) {
        const t = W.transposeIndex();
        derived = {
          rowOf: owner.upload('rowOf', W.rowIndices()),
          colPtr: owner.upload('colPtr', t.colPtr),
          rowIdx: owner.upload('transpose rowIdx', t.rowIdx),
          perm: owner.upload('transpose perm', t.perm),
        };
        const gpu = ctx.kernelProfile === 'gpu';
        const identity = gpu ? undefined : { rows: fixed.upload('row order', identityOrder(W.rows)), cols: fixed.upload('column order', identityOrder(W.cols)) };
        training = { owner: fixed, gradient: fixed.output('weight gradient', W.nnz * 4), identity };
        // The gpu profile's schedules from the host (what install rebuilds on the GPU).
        orders = identity ?? {
          rows: owner.upload('row schedule', gatherOrder('gpu', W.rowPtr, W.rows, () => W.rowOrder())),
          cols: owner.upload('column schedule', gatherOrder('gpu', t.colPtr, W.cols, () => t.order)),
        };
      }
      return new ResidentCsr(ctx, W.rows, W.cols, W.nnz, { owner, csr, derived, orders }, training);
    });
  }

  /** The current generation's weights and state. */
  get buffers(): CsrBuffers {
    return this.live().csr;
  }

  get state(): { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } {
    const { csr } = this.live();
    return { values: csr.values, gradient: this.train().gradient, velocity: csr.state, second: csr.second! };
  }

  encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    const { csr } = this.live();
    spmmCsr.encode(s, this.rows, batch, { values: csr.values, ptr: csr.rowPtr, idx: csr.colIdx, order: this.orders().rows }, X, Y);
  }

  encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    const { csr } = this.live();
    const derived = this.derived();
    spmmCsrT.encode(s, this.cols, batch, { values: csr.values, ptr: derived.colPtr, idx: derived.rowIdx, order: this.orders().cols, perm: derived.perm }, dY, dX);
  }

  encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    const { csr } = this.live();
    sddmmCsr.encode(s, this.nnz, batch, alpha, { rowOf: this.derived().rowOf, colIdx: csr.colIdx }, dY, X, this.train().gradient);
  }

  encodeForwardStage(s: OperationScope, batch: number, X: GPUBuffer, out: ForwardOutputs): void {
    const { csr } = this.live();
    spmmCsrForward.encode(s, this.rows, batch, { values: csr.values, ptr: csr.rowPtr, idx: csr.colIdx, order: this.orders().rows }, X, out);
  }

  encodeBackwardStage(s: OperationScope, batch: number, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>): void {
    const { csr } = this.live();
    const derived = this.derived();
    spmmCsrTDerive.encode(s, this.cols, batch, { values: csr.values, ptr: derived.colPtr, idx: derived.rowIdx, order: this.orders().cols, perm: derived.perm }, dY, Z, act);
  }

  encodeGradientStep(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer, bias: BiasState<GPUBuffer>, o: OptimizerStep, t: GPUBuffer): void {
    const { csr } = this.live();
    const weights = { values: csr.values, velocity: csr.state, second: csr.second! };
    sddmmCsrStep.encode(s, { nnz: this.nnz, rows: this.rows }, batch, alpha, { rowOf: this.derived().rowOf, colIdx: csr.colIdx }, dY, X, weights, bias, o, t);
  }

  parts(): ResidentPart[] {
    const { csr } = this.live();
    const parts: ResidentPart[] = [
      { buffer: csr.rowPtr, type: 'u32', length: this.rows + 1 },
      { buffer: csr.colIdx, type: 'u32', length: this.nnz },
      { buffer: csr.values, type: 'f32', length: this.nnz },
      { buffer: csr.state, type: 'f32', length: this.nnz },
    ];
    if (csr.second) parts.push({ buffer: csr.second, type: 'f32', length: this.nnz });
    return parts;
  }

  /** Reads the weights and state back (one packed read); the second state too when asked and held. */
  read(withSecond = false): Promise<{ W: CSRMatrix; state: Float32Array; second?: Float32Array }> {
    return readCsr(this.ctx, this.live().csr, this.rows, this.cols, this.nnz, withSecond);
  }

  /** Stored entries of every column (a training operand's transpose column pointers: cols + 1 words, no weights). */
  async columnCounts(): Promise<Uint32Array> {
    const derived = this.derived();
    const bytes = (this.cols + 1) * 4;
    const colPtr = await this.ctx.run('read column pointers', (s) => {
      const out = s.output('colPtr read-back', bytes);
      s.copy(derived.colPtr, out, bytes);
      return { result: out, byteLength: bytes, decode: (b) => new Uint32Array(b) };
    });
    return Uint32Array.from({ length: this.cols }, (_, c) => colPtr[c + 1]! - colPtr[c]!);
  }

  /**
   * Makes an evolved layer (nnz entries, in buffers someone else owns, e.g.
   * an evolution's scratch) the new generation: moves it into buffers of its
   * own, rebuilds the derived indices on the GPU for a training operand and
   * releases the previous generation. Nothing is read back.
   */
  async install(evolved: CsrBuffers): Promise<void> {
    let pending: PendingGeneration | undefined;
    try {
      await this.ctx.run('install evolved CSR', (s) => {
        pending = this.recordInstall(s, evolved);
        return { result: evolved.rowPtr, byteLength: 0, decode: () => undefined };
      });
    } catch (e) {
      pending?.discard();
      throw e;
    }
    pending!.commit();
  }

  /**
   * Records install's work into `s` (an evolution's own submission, so that
   * the install costs no submission of its own): the new generation's
   * buffers and their copies and derived indices. Once `s` has run, commit()
   * makes it the operand's generation (releasing the previous one); discard()
   * releases it instead (the submission failed, or recorded a layer that is
   * not the final one).
   */
  recordInstall(s: OperationScope, evolved: CsrBuffers): PendingGeneration {
    const previous = this.generation;
    // Released while the update ran (its earlier submissions did not need the operand): nothing to install into.
    if (!previous) return { commit: () => undefined, discard: () => undefined };
    const { rows, cols, nnz } = this;
    const next = new BufferOwner(this.ctx);
    return releaseOnThrow([next], () => {
      const csr: CsrBuffers = {
        rowPtr: next.output('W.rowPtr', (rows + 1) * 4),
        colIdx: next.output('W.colIdx', nnz * 4),
        values: next.output('W.values', nnz * 4),
        state: next.output('state', nnz * 4),
        ...(previous.csr.second ? { second: next.output('second state', nnz * 4) } : {}),
      };
      s.copy(evolved.rowPtr, csr.rowPtr, (rows + 1) * 4);
      s.copy(evolved.colIdx, csr.colIdx, nnz * 4);
      s.copy(evolved.values, csr.values, nnz * 4);
      s.copy(evolved.state, csr.state, nnz * 4);
      if (csr.second) s.copy(evolved.second!, csr.second, nnz * 4);
      const derived = previous.derived ? csrDerivedIndices.encode(s, next, csr, rows, cols, nnz) : undefined;
      const orders = derived && previous.orders ? this.recordOrders(s, next, csr.rowPtr, derived.colPtr) : undefined;
      return {
        commit: () => {
          if (this.generation !== previous) {
            // Released while the update ran: the new generation has no operand to go to.
            next.release();
            return;
          }
          previous.owner.release();
          this.generation = { owner: next, csr, derived, orders };
        },
        discard: () => next.release(),
      };
    });
  }

  release(): void {
    this.generation?.owner.release();
    this.generation = undefined;
    this.training?.owner.release();
  }

  /**
   * The new generation's visiting orders: on 'gpu' its rows' and columns'
   * schedules rebuilt from its pointers (a few passes in the install's
   * submission, no read-back); on 'emulation' the identity.
   */
  private recordOrders(s: OperationScope, next: BufferOwner, rowPtr: GPUBuffer, colPtr: GPUBuffer): VisitOrders {
    const identity = this.train().identity;
    if (identity) return identity;
    const orders = { rows: next.output('row schedule', scheduleWords(this.rows) * 4), cols: next.output('column schedule', scheduleWords(this.cols) * 4) };
    rowSchedule.encode(s, rowPtr, this.rows, this.nnz, orders.rows);
    rowSchedule.encode(s, colPtr, this.cols, this.nnz, orders.cols);
    return orders;
  }

  private orders(): VisitOrders {
    return trainingPart(this.live().orders, 'visiting orders');
  }

  private live(): Generation {
    if (!this.generation) throw new Error('ResidentCsr used after release()');
    return this.generation;
  }

  private derived(): TransposeBuffers {
    return trainingPart(this.live().derived, 'transpose index');
  }

  private train(): TrainingBuffers {
    return trainingPart(this.training, 'training buffers');
  }
}

/** A part only a training operand has; a plain one (uploaded without training: true) fails naming it. */
function trainingPart<T>(part: T | undefined, what: string): T {
  if (!part) throw new Error(`a plain ResidentCsr has no ${what} (upload it with training: true)`);
  return part;
}
