import { csrDerivedIndices } from '../kernels/csr-transpose.js';
import { evolveSetCpu } from '../kernels/set/evolve.js';
import { pruneResident } from '../kernels/set/prune-csr.js';
import { regrowResident } from '../kernels/set/regrow.js';
import { readCsr, uploadCsr } from '../kernels/set/resident-csr.js';
import { BufferOwner, GpuContext } from '../src/gpu/gpu-context.js';
import { CSRMatrix, DenseMatrix, type Engine } from '../src/index.js';
import type { BenchCaseResult, EvolveOp } from './schema.js';
import { timeGpuOperation, timeRepeated, timingFields, type Timing, type TimingOptions } from './timing.js';

export interface EvolveShape {
  rows: number;
  cols: number;
  density: number;
  /** Batch of the epoch case. */
  batch: number;
}

/** MNIST-sized epoch: the epoch case's samples. */
export const EPOCH_SAMPLES = 60_000;

/**
 * Topology evolution against what it replaces and what it rides on, on one
 * layer: 'evolve' is one SET update with the layer resident on the GPU (no
 * transfers but its counters); 'evolve-roundtrip' reads the layer back,
 * evolves it on the CPU and uploads it; 'epoch' is forward + backward
 * (spmm, spmmᵀ, SDDMM) over EPOCH_SAMPLES, extrapolated from timed batches.
 * The update mutates nothing it reads, so every timed run starts from the
 * same layer.
 */
export async function measureEvolution(engine: Engine, shape: EvolveShape, timing: TimingOptions, zeta = 0.3): Promise<BenchCaseResult[]> {
  const device = engine.device!;
  const ctx = new GpuContext(device, false, undefined);
  const W = CSRMatrix.random({ rows: shape.rows, cols: shape.cols, density: shape.density, seed: 21 });
  const state = new Float32Array(W.nnz);
  const limit = Math.sqrt(6 / W.cols);
  const layer = new BufferOwner(ctx);
  try {
    const resident = uploadCsr(layer, W, state);
    let seed = 0;
    const evolve = await timeRepeated(async (repeats) => {
      const t0 = performance.now();
      for (let i = 0; i < repeats; i++) {
        const owner = new BufferOwner(ctx);
        try {
          const { kept, keptNnz } = await pruneResident(ctx, owner, resident, W.rows, W.nnz, zeta);
          const { buffers } = await regrowResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, seed++, limit);
          // As SparseLinear.evolve: the next backward pass needs the transpose index.
          await ctx.run('evolve (transpose index)', (s) => {
            csrDerivedIndices.encode(s, owner, buffers, W.rows, W.cols, W.nnz);
            return { result: buffers.rowPtr, byteLength: 0, decode: () => undefined };
          });
          // Nothing is read back after the rebuild: wait for the GPU to finish it.
          await device.queue.onSubmittedWorkDone();
        } finally {
          owner.release();
        }
      }
      return performance.now() - t0;
    }, timing);

    const roundtrip = await timeRepeated(async (repeats) => {
      const t0 = performance.now();
      for (let i = 0; i < repeats; i++) {
        const host = await readCsr(ctx, resident, W.rows, W.cols, W.nnz);
        const evolved = evolveSetCpu(host.W, { zeta, seed: seed++, state: host.state });
        const owner = new BufferOwner(ctx);
        uploadCsr(owner, evolved.W, evolved.state);
        // The same derived indices as the GPU side builds, computed here and uploaded.
        const t = evolved.W.transposeIndex();
        owner.upload('rowOf', evolved.W.rowIndices());
        owner.upload('colPtr', t.colPtr);
        owner.upload('rowIdx', t.rowIdx);
        owner.upload('perm', t.perm);
        await device.queue.onSubmittedWorkDone();
        owner.release();
      }
      return performance.now() - t0;
    }, timing);

    const X = DenseMatrix.random(W.cols, shape.batch, { seed: 2 });
    const dY = DenseMatrix.random(W.rows, shape.batch, { seed: 3 });
    const ops = [await engine.prepare('spmmCsr', W, X), await engine.prepare('spmmCsrT', W, dY), await engine.prepare('sddmmCsr', W, dY, X, { alpha: 1 / shape.batch })];
    const perOp: Timing[] = [];
    try {
      for (const op of ops) perOp.push(await timeGpuOperation(device, op, { ...timing, maxRepeats: 4 }));
    } finally {
      ops.forEach((op) => op.dispose());
    }
    const batches = Math.ceil(EPOCH_SAMPLES / shape.batch);
    const epoch: Timing = {
      medianMs: batches * perOp.reduce((a, t) => a + t.medianMs, 0),
      minMs: batches * perOp.reduce((a, t) => a + t.minMs, 0),
      runs: Math.min(...perOp.map((t) => t.runs)),
      repeatsPerRun: 1,
      timing: perOp[0]!.timing,
    };
    return [
      describe('evolve', 'webgpu', W, shape, evolve),
      describe('evolve-roundtrip', 'cpu', W, shape, roundtrip),
      { ...describe('epoch', 'webgpu', W, shape, epoch), extrapolatedFromBatches: 1 },
    ];
  } finally {
    layer.release();
  }
}

function describe(op: EvolveOp, backend: 'webgpu' | 'cpu', W: CSRMatrix, shape: EvolveShape, t: Timing): BenchCaseResult {
  return {
    op,
    format: 'csr',
    n: null,
    m: null,
    sparsity: 1 - W.density,
    rows: W.rows,
    cols: W.cols,
    batch: op === 'epoch' ? shape.batch : 0,
    nnz: W.nnz,
    impl: 'wgsparse',
    backend,
    ...timingFields(t),
    gflops: 0,
    denseEquivalentGflops: 0,
    gbps: 0,
    speedupVsDense: null,
    maxAbsError: 0,
  };
}
