import { describe, expect, test } from 'vitest';
import { adam as adamKernel } from '../kernels/adam.js';
import type { AdamOptions } from '../src/options.js';
import {
  adam,
  DenseLinear,
  InvalidArgumentError,
  NMLinear,
  Sequential,
  SparseLinear,
  dropout,
  leakyRelu,
  set,
  softmax,
  subset,
  syntheticClassification,
  type Engine,
} from '../src/index.js';
import { RandomStream } from '../src/random.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';

const options: AdamOptions = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.001 };

/** Adam in float64 as the paper writes it: the independent reference. */
function adamNaive(w: number[], g: number[], m: number[], v: number[], t: number, o: AdamOptions): void {
  for (let i = 0; i < w.length; i++) {
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! ** 2;
    const mHat = m[i]! / (1 - o.beta1 ** t);
    const vHat = v[i]! / (1 - o.beta2 ** t);
    w[i] = w[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.epsilon) - o.weightDecay * w[i]!;
  }
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = new RandomStream(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * rng.next() - 1));
}

describe('Adam update kernel', () => {
  test.each([1, 255, 257, 3001])('GPU = CPU twin ≈ float64 reference over 3 updates (count %i)', async (count) => {
    const engine = await gpuEngine();
    const ctx = engine.gpuContextForLayers()!;
    const w = randomArray(count, 1);
    const m = new Float32Array(count);
    const v = new Float32Array(count);
    const ref = { w: Array.from(w), m: new Array<number>(count).fill(0), v: new Array<number>(count).fill(0) };
    const cpu = { w: Float32Array.from(w), m: new Float32Array(count), v: new Float32Array(count) };
    let gpu = { w, m, v };
    for (let t = 1; t <= 3; t++) {
      const g = randomArray(count, 10 + t, t === 2 ? 1e-3 : 1); // a small-gradient step exercises ε and the bias correction
      adamNaive(ref.w, Array.from(g), ref.m, ref.v, t, options);
      adamKernel.cpu(cpu.w, g, cpu.m, cpu.v, t, options);
      const before = gpu;
      gpu = await ctx.run('adam test', (s) => {
        const wb = s.upload('w', before.w);
        const mb = s.upload('m', before.m);
        const vb = s.upload('v', before.v);
        const step = s.upload('t', Uint32Array.of(t));
        adamKernel.encode(s, count, wb, s.upload('g', g), mb, vb, step, options);
        const out = s.output('out', count * 12);
        s.copy(wb, out, count * 4);
        s.copy(mb, out, count * 4, count * 4);
        s.copy(vb, out, count * 4, count * 8);
        return {
          result: out,
          byteLength: count * 12,
          decode: (b) => {
            const f = new Float32Array(b);
            return { w: f.slice(0, count), m: f.slice(count, 2 * count), v: f.slice(2 * count) };
          },
        };
      });
    }
    // f32 vs f64: a few ulp of lr-sized steps; GPU vs its f32 twin: sqrt/pow rounding only.
    for (let i = 0; i < count; i++) {
      expect(Math.abs(cpu.w[i]! - ref.w[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(gpu.w[i]! - cpu.w[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(gpu.m[i]! - cpu.m[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(gpu.v[i]! - cpu.v[i]!)).toBeLessThan(1e-6);
    }
  });

  test('adam() rejects bad settings with the argument named', () => {
    for (const [o, argument] of [
      [{ lr: Number.NaN }, 'options.lr'],
      [{ beta1: 1 }, 'options.beta1'],
      [{ beta2: -0.1 }, 'options.beta2'],
      [{ epsilon: 0 }, 'options.epsilon'],
    ] as const) {
      let error: unknown;
      try {
        adam(o);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
  });
});

describe('training with Adam', () => {
  const data = syntheticClassification({ count: 700, features: 48, classes: 4, seed: 9 });
  const train = subset(data, 0, 600);
  const val = subset(data, 600, 100);
  const layers = () => [
    new SparseLinear({ in: 48, out: 64, density: 0.25, seed: 1 }),
    leakyRelu(-0.6),
    dropout(0.2),
    new NMLinear({ in: 64, out: 32, seed: 2 }),
    leakyRelu(0.6),
    new DenseLinear({ in: 32, out: 4, seed: 3 }),
    softmax(),
  ];
  const run = async (engine: Engine) => {
    const model = new Sequential(engine, layers());
    const history = await model.fit(train, { epochs: 3, batchSize: 50, optimizer: adam({ lr: 0.005 }), evolution: set({ zeta: 0.3, includeLast: true }), validationData: val, seed: 4 });
    const probe = await model.predict(new (await import('../src/index.js')).DenseMatrix(48, 3, val.inputs.slice(0, 144)));
    model.dispose();
    return { history, probe };
  };

  test('learns, and GPU and CPU agree epoch by epoch with both moments moved through SET and N:M evolution', async () => {
    const [cpu, gpu] = [await run(await cpuEngine()), await run(await gpuEngine())];
    expect(cpu.history.epochs.at(-1)!.valAccuracy).toBeGreaterThan(0.9);
    cpu.history.epochs.forEach((e, i) => {
      const g = gpu.history.epochs[i]!;
      expect(Math.abs(g.loss - e.loss)).toBeLessThan(1e-3 * Math.max(1, e.loss));
      expect(g.valAccuracy).toBeCloseTo(e.valAccuracy!, 2);
    });
    for (let i = 0; i < cpu.probe.data.length; i++) expect(gpu.probe.data[i]).toBeCloseTo(cpu.probe.data[i]!, 3);
  });
});

describe('a second per-weight state follows its weight through evolution', () => {
  test('CSR: GPU prune + regrow move `second` exactly like `state`', async () => {
    const { BufferOwner } = await import('../src/gpu/gpu-context.js');
    const { CSRMatrix } = await import('../src/index.js');
    const { uploadCsr, readCsr } = await import('../kernels/set/resident-csr.js');
    const { pruneResident } = await import('../kernels/set/prune-csr.js');
    const { regrowResident } = await import('../kernels/set/regrow.js');
    const engine = await gpuEngine();
    const ctx = engine.gpuContextForLayers()!;
    const W = CSRMatrix.random({ rows: 70, cols: 90, density: 0.2, seed: 3, init: 'uniform' });
    const state = randomArray(W.nnz, 4);
    const owner = new BufferOwner(ctx);
    try {
      const { kept, keptNnz } = await pruneResident(ctx, owner, uploadCsr(owner, W, state, state), W.rows, W.nnz, 0.3);
      const { buffers } = await regrowResident(ctx, owner, kept, keptNnz, W.rows, W.cols, W.nnz, 5, 0.1);
      const a = await readCsr(ctx, buffers, W.rows, W.cols, W.nnz);
      const b = await readCsr(ctx, { ...buffers, state: buffers.second! }, W.rows, W.cols, W.nnz);
      expect(keptNnz).toBeLessThan(W.nnz);
      expect(b.state).toEqual(a.state);
      expect(b.W.colIdx).toEqual(a.W.colIdx);
    } finally {
      owner.release();
    }
  });

  test('N:M: the in-group evolution moves `second` exactly like velocity (CPU)', async () => {
    const { NMMatrix } = await import('../src/index.js');
    const { nmEvolve } = await import('../kernels/set/nm-evolve.js');
    const W = NMMatrix.random({ rows: 12, cols: 32, seed: 2 });
    const velocity = randomArray(W.nnz, 7);
    const r = nmEvolve.cpu(W, velocity, 0.5, 3, 0.1, velocity);
    expect(r.groups).toBeGreaterThan(0);
    expect(r.second).toEqual(r.velocity);
  });
});
