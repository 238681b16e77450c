import { encodeSddmm, sddmmNM } from '../../kernels/sddmm.js';
import { encodeSpmmNM, nmPatternWords, spmmNM, spmmNMT, type NMBuffers } from '../../kernels/spmm.js';
import { encodeGatherCsr } from '../../kernels/spmm.js';
import { encodeNMTranspose, type NMTransposeBuffers } from '../../kernels/nm-transpose.js';
import { BufferOwner, OperationScope } from '../gpu/gpu-context.js';
import type { DenseMatrix } from '../formats/dense.js';
import { initLimit, type WeightInit } from '../formats/init.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { encodeNMEvolve, nmEvolveCpu } from '../../kernels/set/nm-evolve.js';
import { checkZeta } from '../../kernels/set/prune.js';
import { NMMatrix } from '../formats/nm.js';
import { LinearLayer, type LayerGpu, type StateArrays, type StatePart } from './linear-layer.js';
import { identityOrder } from '../formats/csr.js';
import { assertSeed } from '../formats/validate.js';

export interface NMLinearOptions {
  in: number;
  out: number;
  /** Kept weights per group (default 2). */
  n?: number;
  /** Group size along the input dimension (default 4); `in` must be a multiple. */
  m?: number;
  seed?: number;
  init?: WeightInit;
  /** Start from these weights (out × in, N:M) instead of random ones (e.g. a loaded model); n and m are taken from them. */
  weights?: NMMatrix;
  /** Initial biases (default zeros). */
  bias?: Float32Array;
}

/**
 * A structured-sparse fully-connected layer: along its inputs, every group of
 * m weights keeps n (2:4 by default), so every output row does the same work.
 * Positions are fixed at initialisation (uniform per group); the values train.
 */
export class NMLinear extends LinearLayer {
  readonly n: number;
  readonly m: number;
  readonly init: WeightInit;
  private W: NMMatrix;
  private velocity: Float32Array;
  /** Adam's second moment (the first lives in velocity). */
  private second: Float32Array;
  private gradW: Float32Array;
  private resident:
    | (NMBuffers & {
        gradient: GPUBuffer;
        velocity: GPUBuffer;
        second: GPUBuffer;
        owner: BufferOwner;
        /** Implicit row pointers (r · slotsPerRow), what the transpose rebuild indexes with. */
        rowPtr: GPUBuffer;
        /** Identity visiting order of the backward gather (column lengths change as the mask evolves). */
        colOrder: GPUBuffer;
        /** The backward pass's transpose index, rebuilt on the GPU whenever the mask evolves; owned by its own scope. */
        transpose: NMTransposeBuffers & { owner: BufferOwner };
      })
    | undefined;

  constructor(options: NMLinearOptions) {
    super(options.in, options.out, options.bias);
    this.init = options.init ?? 'he-uniform';
    const given = options.weights;
    if (given !== undefined) {
      if (!(given instanceof NMMatrix)) throw new InvalidArgumentError('options.weights', 'must be an NMMatrix');
      given.verifyStructure('options.weights');
      if (given.rows !== this.out || given.cols !== this.in) {
        throw new ShapeMismatchError('options.weights', `is ${given.rows} × ${given.cols} but the layer is out × in = ${this.out} × ${this.in}`);
      }
      this.W = new NMMatrix({ rows: given.rows, cols: given.cols, n: given.n, m: given.m, values: Float32Array.from(given.values), indices: Uint32Array.from(given.indices) });
    } else {
      this.W = NMMatrix.random({ rows: this.out, cols: this.in, n: options.n ?? 2, m: options.m ?? 4, seed: options.seed ?? 1, init: this.init });
    }
    this.n = this.W.n;
    this.m = this.W.m;
    this.velocity = new Float32Array(this.W.nnz);
    this.second = new Float32Array(this.W.nnz);
    this.gradW = new Float32Array(this.W.nnz);
  }

  get weightCount(): number {
    return this.W.nnz;
  }

  /**
   * Structured topology evolution: the fraction ζ of groups with the weakest
   * minimum |w| each drop that weight and regrow one at a random free
   * position of the same group (new weight uniform(±limit), zero velocity);
   * the layer stays N:M. On WebGPU it runs in place with nothing read back.
   */
  async evolve(options: { zeta: number; seed: number }): Promise<void> {
    this.requireEngine();
    checkZeta(options.zeta);
    assertSeed('options.seed', options.seed);
    const limit = initLimit(this.init, this.in, this.out);
    const r = this.resident;
    if (!this.gpu || !r) {
      const result = nmEvolveCpu(this.W, this.velocity, options.zeta, options.seed, limit, this.second);
      this.W = result.W;
      this.velocity = result.velocity;
      this.second = result.second;
      return;
    }
    const next = new BufferOwner(this.gpu.ctx);
    try {
      const transpose = await this.gpu.ctx.run('NMLinear.evolve', (s) => {
        encodeNMEvolve(s, this.W, r, options.zeta, options.seed, limit);
        // The mask moved: the backward pass needs the new positions' index.
        const rebuilt = { ...encodeNMTranspose(s, next, this.W, r.indices, r.rowPtr), owner: next };
        return { result: r.values, byteLength: 0, decode: () => rebuilt };
      });
      if (this.resident !== r) {
        // Disposed while the update ran: the new index has no layer to go to.
        next.release();
        return;
      }
      r.transpose.owner.release();
      r.transpose = transpose;
      this.gpuBuffersReplaced();
    } catch (e) {
      next.release();
      throw e;
    }
  }

  async connectionsPerInput(): Promise<Uint32Array> {
    const W = await this.weights();
    const counts = new Uint32Array(this.in);
    for (const column of W.slotColumns()) counts[column]!++;
    return counts;
  }

  /** A snapshot of the current weights (read back on WebGPU). */
  async weights(): Promise<NMMatrix> {
    this.assertLive();
    const r = this.resident;
    // A copy of the structure too: the snapshot is the caller's, and writing to it must not reach the layer.
    if (!this.gpu || !r) {
      const { rows, cols, n, m, values, indices } = this.W;
      return new NMMatrix({ rows, cols, n, m, values: Float32Array.from(values), indices: Uint32Array.from(indices) });
    }
    const bytes = this.W.nnz * 4;
    const indexBytes = this.W.indices.byteLength;
    return this.gpu.ctx.run('read N:M weights', (s) => {
      const out = s.output('weights read-back', bytes + indexBytes);
      s.copy(r.values, out, bytes);
      s.copy(r.indices, out, indexBytes, bytes);
      return {
        result: out,
        byteLength: bytes + indexBytes,
        decode: (b) =>
          new NMMatrix({ rows: this.out, cols: this.in, n: this.n, m: this.m, values: new Float32Array(b, 0, this.W.nnz).slice(), indices: new Uint32Array(b, bytes).slice() }),
      };
    });
  }

  protected attachWeights(gpu: LayerGpu): void {
    const owner = gpu.fixed;
    const topology = new BufferOwner(gpu.ctx);
    try {
      this.resident = {
        owner,
        values: owner.upload('W.values', this.W.values),
        indices: owner.upload('W.indices', this.W.indices),
        gradient: owner.output('weight gradient', this.W.nnz * 4),
        velocity: owner.upload('velocity', this.velocity),
        second: owner.upload('second moment', this.second),
        rowPtr: owner.upload('W (row pointers)', this.W.rowPointers()),
        colOrder: owner.upload('column order', identityOrder(this.in)),
        transpose: { ...uploadTranspose(topology, this.W), owner: topology },
      };
    } catch (e) {
      topology.release(); // the rest belongs to the fixed scope, which attach releases
      throw e;
    }
  }

  protected weightStateParts(): StatePart[] {
    const r = this.resident!;
    const nnz = this.W.nnz;
    return [
      { buffer: r.values, type: 'f32', length: nnz },
      { buffer: r.indices, type: 'u32', length: this.W.indices.length },
      { buffer: r.velocity, type: 'f32', length: nnz },
      { buffer: r.second, type: 'f32', length: nnz },
    ];
  }

  protected keepWeightState(arrays: StateArrays): void {
    // The mask may have evolved on the GPU: the copy brings its positions.
    this.W = new NMMatrix({ rows: this.out, cols: this.in, n: this.n, m: this.m, values: arrays.f32(), indices: arrays.u32() });
    this.velocity = arrays.f32();
    this.second = arrays.f32();
  }

  protected releaseWeights(): void {
    // The rest is owned by the layer's fixed scope, released with it.
    this.resident?.transpose.owner.release();
    this.resident = undefined;
  }

  protected forwardCpu(X: DenseMatrix): DenseMatrix {
    return spmmNM.cpu(this.W, X);
  }

  protected backwardCpu(dY: DenseMatrix): DenseMatrix {
    return spmmNMT.cpu(this.W, dY);
  }

  protected gradientCpu(X: DenseMatrix, dY: DenseMatrix, alpha: number): void {
    this.gradW.set(sddmmNM.cpu(this.W, dY, X, { alpha }));
  }

  protected weightStateCpu() {
    return { values: this.W.values, gradient: this.gradW, velocity: this.velocity, second: this.second };
  }

  protected encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void {
    encodeSpmmNM(s, this.W, batch, this.resident!, X, Y);
  }

  protected encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void {
    const r = this.resident!;
    const t = r.transpose;
    encodeGatherCsr(s, this.in, batch, { values: r.values, ptr: t.colPtr, idx: t.rowIdx, order: r.colOrder, perm: t.perm }, dY, dX);
  }

  protected encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void {
    encodeSddmm(s, 'nm', this.W.nnz, batch, alpha, nmPatternWords(this.W), [this.resident!.indices], dY, X, this.resident!.gradient);
  }

  protected weightStateGpu() {
    const r = this.resident!;
    return { values: r.values, gradient: r.gradient, velocity: r.velocity, second: r.second };
  }
}

/** The host's transpose index of W, identical to what the GPU rebuilds after evolve. */
function uploadTranspose(owner: BufferOwner, W: NMMatrix): NMTransposeBuffers {
  const t = W.transposeIndex();
  return { colPtr: owner.upload('colPtr', t.colPtr), rowIdx: owner.upload('transpose rowIdx', t.rowIdx), perm: owner.upload('transpose perm', t.perm) };
}
