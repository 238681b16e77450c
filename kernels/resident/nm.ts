import { BufferOwner, type GpuContext, type OperationScope } from '../../src/gpu/gpu-context.js';
import { identityOrder } from '../../src/formats/csr.js';
import { NMMatrix } from '../../src/formats/nm.js';
import { nmTransposeIndex, type NMTransposeBuffers } from '../nm-transpose.js';
import { sddmmNM, sddmmNMStep } from '../sddmm.js';
import { gatherOrder, spmmNM, spmmNMForward, spmmNMT, spmmNMTDerive, type ForwardOutputs, type NMBuffers, type NMShape, type StageActivation } from '../spmm.js';
import { rowSchedule, scheduleWords } from '../row-order.js';
import type { BiasState, OptimizerStep } from '../elementwise.js';
import type { HostPasses, ResidentOperand, ResidentPart } from './operand.js';
import { releaseOnThrow } from './release-on-throw.js';

/** The CPU twins of ResidentNM's passes. */
export const nmPasses: HostPasses<NMMatrix> = {
  values: (W) => W.values,
  forward: (W, X) => spmmNM.cpu(W, X),
  backward: (W, dY) => spmmNMT.cpu(W, dY),
  gradient: (W, X, dY, alpha) => sddmmNM.cpu(W, dY, X, { alpha }),
};

/** The N:M weights with the per-slot state that moves with them when the mask evolves. */
export type NMState = NMBuffers & { velocity: GPUBuffer; second: GPUBuffer };

/**
 * N:M weights (every group of m along the inputs keeps n) and their
 * optimizer state in GPU buffers. The slot layout never changes size; an
 * evolution rewrites positions in place, after which the backward pass's
 * transpose index is rebuilt on the GPU (replaceMask).
 */
export class ResidentNM implements ResidentOperand {
  readonly shape: NMShape;
  readonly nnz: number;
  private readonly indexWords: number;
  private weights: (NMState & { gradient: GPUBuffer; rowPtr: GPUBuffer; colOrder: GPUBuffer }) | undefined;
  /** The backward pass's transpose index, owned by its own owner: replaced whenever the mask moves. */
  private transpose: (NMTransposeBuffers & { schedule: GPUBuffer | undefined; owner: BufferOwner }) | undefined;

  private constructor(
    readonly ctx: GpuContext,
    private readonly owner: BufferOwner,
    W: NMMatrix,
    weights: NMState & { gradient: GPUBuffer; rowPtr: GPUBuffer; colOrder: GPUBuffer },
    transpose: NMTransposeBuffers & { schedule: GPUBuffer | undefined; owner: BufferOwner },
  ) {
    this.shape = { rows: W.rows, cols: W.cols, n: W.n, m: W.m };
    this.nnz = W.nnz;
    this.indexWords = W.indices.length;
    this.weights = weights;
    this.transpose = transpose;
  }

  /** Uploads W with its velocity and second moment; the transpose index comes from the host (what the GPU rebuilds after evolve). */
  static upload(ctx: GpuContext, W: NMMatrix, velocity: Float32Array, second: Float32Array): ResidentNM {
    const owner = new BufferOwner(ctx);
    const topology = new BufferOwner(ctx);
    return releaseOnThrow([owner, topology], () => {
      const weights = {
        values: owner.upload('W.values', W.values),
        indices: owner.upload('W.indices', W.indices),
        gradient: owner.output('weight gradient', W.nnz * 4),
        velocity: owner.upload('velocity', velocity),
        second: owner.upload('second moment', second),
        // Implicit row pointers (r · slotsPerRow), what the transpose rebuild indexes with.
        rowPtr: owner.upload('W (row pointers)', W.rowPointers()),
        // The emulation profile's visiting order of the backward gather: the identity (column lengths change as the mask evolves).
        colOrder: owner.upload('column order', identityOrder(W.cols)),
      };
      const t = W.transposeIndex();
      const transpose = {
        colPtr: topology.upload('colPtr', t.colPtr),
        rowIdx: topology.upload('transpose rowIdx', t.rowIdx),
        perm: topology.upload('transpose perm', t.perm),
        // The gpu profile's: the columns' schedule (kernels/row-order.ts), rebuilt with the index.
        schedule: ctx.kernelProfile === 'gpu' ? topology.upload('column schedule', gatherOrder('gpu', t.colPtr, W.cols, () => t.order)) : undefined,
        owner: topology,
      };
      return new ResidentNM(ctx, owner, W, weights, transpose);
    });
  }

  get state(): { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } {
    const w = this.live();
    return { values: w.values, gradient: w.gradient, velocity: w.velocity, second: w.second };
  }

  encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    spmmNM.encode(s, this.shape, batch, this.live(), X, Y);
  }

  encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    const w = this.live();
    const t = this.transpose!;
    spmmNMT.encode(s, this.shape.cols, batch, { values: w.values, ptr: t.colPtr, idx: t.rowIdx, order: t.schedule ?? w.colOrder, perm: t.perm }, dY, dX);
  }

  encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    const w = this.live();
    sddmmNM.encode(s, this.shape, batch, alpha, w.indices, dY, X, w.gradient);
  }

  encodeForwardStage(s: OperationScope, batch: number, X: GPUBuffer, out: ForwardOutputs): void {
    spmmNMForward.encode(s, this.shape, batch, this.live(), X, out);
  }

  encodeBackwardStage(s: OperationScope, batch: number, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>): void {
    const w = this.live();
    const t = this.transpose!;
    spmmNMTDerive.encode(s, this.shape.cols, batch, { values: w.values, ptr: t.colPtr, idx: t.rowIdx, order: t.schedule ?? w.colOrder, perm: t.perm }, dY, Z, act);
  }

  encodeGradientStep(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer, bias: BiasState<GPUBuffer>, o: OptimizerStep, t: GPUBuffer): void {
    const w = this.live();
    sddmmNMStep.encode(s, this.shape, batch, alpha, w.indices, dY, X, { values: w.values, velocity: w.velocity, second: w.second }, bias, o, t);
  }

  parts(): ResidentPart[] {
    const w = this.live();
    return [
      { buffer: w.values, type: 'f32', length: this.nnz },
      { buffer: w.indices, type: 'u32', length: this.indexWords },
      { buffer: w.velocity, type: 'f32', length: this.nnz },
      { buffer: w.second, type: 'f32', length: this.nnz },
    ];
  }

  /** Reads the weights (values and packed positions) back in one read. */
  read(): Promise<NMMatrix> {
    const w = this.live();
    const bytes = this.nnz * 4;
    const indexBytes = this.indexWords * 4;
    const { rows, cols, n, m } = this.shape;
    return this.ctx.run('read N:M weights', (s) => {
      const out = s.output('weights read-back', bytes + indexBytes);
      s.copy(w.values, out, bytes);
      s.copy(w.indices, out, indexBytes, bytes);
      return {
        result: out,
        byteLength: bytes + indexBytes,
        decode: (b) => new NMMatrix({ rows, cols, n, m, values: new Float32Array(b, 0, this.nnz).slice(), indices: new Uint32Array(b, bytes).slice() }),
      };
    });
  }

  /**
   * Runs `encode`, which rewrites the mask (and the state that moves with it)
   * in place, and rebuilds the transpose index in the same pass; nothing is
   * read back. The previous index is released once the new one exists.
   */
  async replaceMask(operation: string, encode: (s: OperationScope, weights: NMState) => void): Promise<void> {
    const w = this.live();
    const next = new BufferOwner(this.ctx);
    await releaseOnThrow([next], async () => {
      const rebuilt = await this.ctx.run(operation, (s) => {
        encode(s, w);
        // The mask moved: the backward pass needs the new positions' index.
        const index = nmTransposeIndex.encode(s, next, this.shape, w.indices, w.rowPtr);
        let schedule: GPUBuffer | undefined;
        if (this.transpose!.schedule) {
          schedule = next.output('column schedule', scheduleWords(this.shape.cols) * 4);
          rowSchedule.encode(s, index.colPtr, this.shape.cols, this.nnz, schedule);
        }
        const transpose = { ...index, schedule, owner: next };
        return { result: w.values, byteLength: 0, decode: () => transpose };
      });
      if (this.weights !== w) {
        // Released while the update ran: the new index has no operand to go to.
        next.release();
        return;
      }
      this.transpose!.owner.release();
      this.transpose = rebuilt;
    });
  }

  release(): void {
    this.transpose?.owner.release();
    this.transpose = undefined;
    this.weights = undefined;
    this.owner.release();
  }

  private live(): NMState & { gradient: GPUBuffer; rowPtr: GPUBuffer; colOrder: GPUBuffer } {
    if (!this.weights) throw new Error('ResidentNM used after release()');
    return this.weights;
  }
}
