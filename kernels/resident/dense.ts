import { BufferOwner, type GpuContext, type OperationScope } from '../../src/gpu/gpu-context.js';
import { DenseMatrix } from '../../src/formats/dense.js';
import { gemm } from '../gemm.js';
import type { HostPasses, ResidentOperand, ResidentPart } from './operand.js';
import { releaseOnThrow } from './release-on-throw.js';

/** The CPU twins of ResidentDense's passes. */
export const densePasses: HostPasses<DenseMatrix> = {
  values: (W) => W.data,
  forward: (W, X) => gemm.cpu(W, X),
  backward: (W, dY) => gemm.cpu(W, dY, { transA: true }),
  gradient: (W, X, dY, alpha) => gemm.cpu(dY, X, { transB: true, alpha }).data,
};

/** A dense weight matrix (rows × cols, stored whole) and its optimizer state in GPU buffers; products by the tiled GEMM. */
export class ResidentDense implements ResidentOperand {
  private buffers: { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } | undefined;

  private constructor(
    readonly ctx: GpuContext,
    private readonly owner: BufferOwner,
    readonly rows: number,
    readonly cols: number,
    buffers: { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer },
  ) {
    this.buffers = buffers;
  }

  static upload(ctx: GpuContext, W: DenseMatrix, velocity: Float32Array, second: Float32Array): ResidentDense {
    const owner = new BufferOwner(ctx);
    return releaseOnThrow([owner], () => {
      const buffers = {
        values: owner.upload('W', W.data),
        gradient: owner.output('weight gradient', W.data.byteLength),
        velocity: owner.upload('velocity', velocity),
        second: owner.upload('second moment', second),
      };
      return new ResidentDense(ctx, owner, W.rows, W.cols, buffers);
    });
  }

  get state(): { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } {
    return this.live();
  }

  encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    gemm.encode(s, { m: this.rows, n: batch, k: this.cols }, {}, this.live().values, X, Y);
  }

  encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    gemm.encode(s, { m: this.cols, n: batch, k: this.rows }, { transA: true }, this.live().values, dY, dX);
  }

  encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    gemm.encode(s, { m: this.rows, n: this.cols, k: batch }, { transB: true, alpha }, dY, X, this.live().gradient);
  }

  parts(): ResidentPart[] {
    const b = this.live();
    const length = this.rows * this.cols;
    return [
      { buffer: b.values, type: 'f32', length },
      { buffer: b.velocity, type: 'f32', length },
      { buffer: b.second, type: 'f32', length },
    ];
  }

  /** Reads the weights back (one read). */
  async read(): Promise<DenseMatrix> {
    const values = this.live().values;
    const bytes = this.rows * this.cols * 4;
    const data = await this.ctx.run('read dense weights', (s) => {
      const out = s.output('weights read-back', bytes);
      s.copy(values, out, bytes);
      return { result: out, byteLength: bytes, decode: (b) => new Float32Array(b) };
    });
    return new DenseMatrix(this.rows, this.cols, data);
  }

  release(): void {
    this.buffers = undefined;
    this.owner.release();
  }

  private live(): { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer } {
    if (!this.buffers) throw new Error('ResidentDense used after release()');
    return this.buffers;
  }
}
