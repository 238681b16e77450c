/**
 * The GPU-shaped product kernels (issue 13 item 2: the 'gpu' kernel profile,
 * src/gpu/kernel-profile.ts) and their per-adapter selection:
 * - chooseKernelProfile on fake adapter infos, and createEngine's `kernels`
 *   option (SwiftShader gets 'emulation' unless told);
 * - with 'gpu' forced on SwiftShader, the gathers (entry point gatherWarp:
 *   CSR, Wᵀ through the transpose index, N:M and its transpose) and SDDMM
 *   (sddmmWarp: CSR and N:M) against the CPU twin and a naive reference on
 *   random shapes and edge cases (tolerance KERNEL_TOL: they add in the CPU's
 *   entry order for the gathers, in another order for SDDMM), with rows and
 *   columns long enough to be split over a workgroup (kernels/row-order.ts);
 * - a training operand's schedules rebuilt by an install on the GPU: the
 *   fused forward and the transpose-derive of the installed layer;
 * - a short Sequential fit with 'gpu' forced gives the CPU's losses.
 */
import { describe, expect, test } from 'vitest';
import {
  CSRMatrix,
  createEngine,
  DenseLinear,
  DenseMatrix,
  InvalidArgumentError,
  NMLinear,
  NMMatrix,
  Sequential,
  set,
  sgd,
  SparseLinear,
  type Engine,
  type History,
} from '../src/index.js';
import { chooseKernelProfile } from '../src/gpu/kernel-profile.js';
import { GpuContext, OperationScope } from '../src/gpu/gpu-context.js';
import { spmmCsr, spmmCsrForward, spmmCsrT, spmmCsrTDerive, spmmNM, type StageActivation } from '../kernels/spmm.js';
import { ResidentCsr } from '../kernels/resident/csr.js';
import { uploadCsr } from '../kernels/set/resident-csr.js';
import { BufferOwner } from '../src/gpu/gpu-context.js';
import { sddmmCsr, sddmmNM } from '../kernels/sddmm.js';
import { absProductScale, csrCases, csrOfRowLengths, emptyCsr, lcgUniform, nmCase, powerLawCsr, transposedCsr, type CsrCase } from './helpers/cases.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { reluClassifier, trainValidSplit } from './helpers/fit-fixtures.js';
import { expectClose, KERNEL_TOL as TOL, referenceMatMul, referenceSddmm } from './helpers/reference.js';
import { caught, expectNamedError } from './helpers/expect-error.js';
import { expectEnginesAgree } from './helpers/engine-agreement.js';

const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0' };

describe('kernel profile selection', () => {
  test('software adapters get emulation, hardware ones gpu; the option overrides', () => {
    expect(chooseKernelProfile(swiftshader).profile).toBe('emulation');
    expect(chooseKernelProfile({ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.7, 256 bits)' }).profile).toBe('emulation');
    expect(chooseKernelProfile({ vendor: 'microsoft', architecture: '', device: '', description: 'Microsoft Basic Render Driver' }).profile).toBe('emulation');
    const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' };
    expect(chooseKernelProfile(nvidia)).toEqual({ profile: 'gpu', reason: 'a hardware adapter (nvidia hopper NVIDIA H100 80GB HBM3)' });
    expect(chooseKernelProfile({ vendor: 'apple', architecture: 'metal-3', device: '', description: '' }).profile).toBe('gpu');
    expect(chooseKernelProfile({ vendor: 'intel', architecture: 'gen-12lp', device: '', description: '' }, 'auto', { features: new Set(['subgroups']) }).reason).toContain('subgroups');
    // A browser that hides the adapter's names but says it is the fallback (software) adapter.
    expect(chooseKernelProfile({ vendor: '', architecture: '', device: '', description: '' }, 'auto', { isFallbackAdapter: true }).profile).toBe('emulation');
    expect(chooseKernelProfile(undefined).profile).toBe('gpu');
    expect(chooseKernelProfile(swiftshader, 'gpu')).toEqual({ profile: 'gpu', reason: "forced by the kernels option ('gpu')" });
    expect(chooseKernelProfile(nvidia, 'emulation').profile).toBe('emulation');
  });

  test('createEngine: SwiftShader picks emulation, { kernels } forces one, a bad value is refused, the CPU has none', async () => {
    const auto = await gpuEngine();
    expect(auto.kernelProfile?.profile).toBe('emulation');
    expect(auto.kernelProfile?.reason).toMatch(/swiftshader/i);
    const forced = await forcedGpu;
    expect(forced.kernelProfile).toEqual({ profile: 'gpu', reason: "forced by the kernels option ('gpu')" });
    expectNamedError(await caught(() => createEngine({ backend: 'webgpu', kernels: 'fast' as 'gpu' })), InvalidArgumentError, 'options.kernels');
    expect((await cpuEngine()).kernelProfile).toBeUndefined();
  });

  test("the gpu profile records the warp entry points, emulation today's", async () => {
    const device = (await gpuEngine()).device!;
    const labels = (profile: 'emulation' | 'gpu'): string[] => {
      const s = new OperationScope(new GpuContext(device, false, undefined, undefined, profile));
      const b = s.output('b', 64);
      spmmCsr.encode(s, 4, 8, { values: b, ptr: b, idx: b, order: b }, b, b);
      spmmCsrT.encode(s, 4, 8, { values: b, ptr: b, idx: b, order: b, perm: b }, b, b);
      spmmNM.encode(s, { rows: 4, cols: 8, n: 2, m: 4 }, 8, { values: b, indices: b }, b, b);
      sddmmCsr.encode(s, 4, 8, 1, { rowOf: b, colIdx: b }, b, b, b);
      sddmmNM.encode(s, { rows: 4, cols: 8, n: 2, m: 4 }, 8, 1, b, b, b, b);
      const keys = s.dispatches.map((d) => ('pipeline' in d ? d.pipeline.label : 'copy'));
      s.release();
      return keys;
    };
    expect(labels('gpu')).toEqual(['spmm:csr:warp', 'spmm:csr+perm:warp', 'spmm:nm:2:4:warp', 'sddmm:csr:warp', 'sddmm:nm:warp']);
    expect(labels('emulation')).toEqual(['spmm:csr:vec4', 'spmm:csr+perm:vec4', 'spmm:nm:2:4:vec4', 'sddmm:csr:vec4', 'sddmm:nm:vec4']);
  });
});

const forcedGpu: Promise<Engine> = createEngine({ backend: 'webgpu', kernels: 'gpu' });
const gpu = await forcedGpu;
const cpu = await cpuEngine();
const engines = { gpu, cpu };

/** Skewed rows (a power law: the first rows span many 32-entry strips) and batches around the warp's 32 lanes and 128-column tile. */
const warpCases: CsrCase[] = [
  ...csrCases,
  { name: 'power-law rows, batch 64', W: powerLawCsr(70, 400, 31), batch: 64 },
  { name: 'power-law rows, batch 33', W: powerLawCsr(37, 250, 32), batch: 33 },
  { name: 'random 150×90, batch 31', W: CSRMatrix.random({ rows: 150, cols: 90, density: 0.15, seed: 33, init: 'uniform' }), batch: 31 },
  { name: 'random 61×47, batch 129 (two tiles, one column in the second)', W: CSRMatrix.random({ rows: 61, cols: 47, density: 0.2, seed: 34, init: 'uniform' }), batch: 129 },
  { name: 'random 66×66, batch 256', W: CSRMatrix.random({ rows: 66, cols: 66, density: 0.05, seed: 35, init: 'uniform' }), batch: 256 },
  { name: 'one full row of 300 (10 strips), others empty', W: fullRow(6, 300, 2), batch: 40 },
  { name: 'nnz 0, batch 64', W: emptyCsr(9, 5), batch: 64 },
  // Rows of 127, 128, 129 and 300 entries among 60 short ones (mean 13, so long from 128): the last three split over a workgroup's 4 warps.
  { name: 'rows around the long-row threshold, batch 70', W: csrOfRowLengths([127, 3, 128, 0, 129, 5, 300, ...new Array<number>(60).fill(2)], 400, lcgUniform(7)), batch: 70 },
  // 40 long rows (mean 108: rows of 512 and more) and 184 short ones: 86 units for 56 workgroups (second rounds), batch over two tiles.
  { name: '40 long rows among 224 (units past the first round), batch 257', W: csrOfRowLengths([...new Array<number>(40).fill(600), ...new Array<number>(184).fill(1)], 700, lcgUniform(8)), batch: 257 },
  // The transpose of a power law: Wᵀ's rows (W's columns) are the long ones.
  { name: 'power-law columns (long rows of Wᵀ), batch 96', W: transposedCsr(powerLawCsr(60, 700, 37)), batch: 96 },
];

/** A CSR whose row `r` is full and every other row empty. */
function fullRow(rows: number, cols: number, r: number): CSRMatrix {
  const rowPtr = new Uint32Array(rows + 1);
  for (let i = r + 1; i <= rows; i++) rowPtr[i] = cols;
  const colIdx = Uint32Array.from({ length: cols }, (_, c) => c);
  const values = Float32Array.from({ length: cols }, (_, c) => Math.sin(c + 1));
  return new CSRMatrix({ rows, cols, rowPtr, colIdx, values });
}

describe("'gpu' profile forced on SwiftShader: the warp kernels vs the CPU twin vs a naive reference", () => {
  test('the engine really runs the gpu profile', () => {
    expect(gpu.kernelProfile?.profile).toBe('gpu');
  });

  for (const { name, W, batch } of warpCases) {
    test(`spmmCsr, spmmCsrT, sddmmCsr: ${name}`, async () => {
      const Wd = W.toDense();
      const X = DenseMatrix.random(W.cols, batch, { seed: 41 });
      const dY = DenseMatrix.random(W.rows, batch, { seed: 42 });
      await expectEnginesAgree(engines, 'spmmCsr', (e) => e.spmmCsr(W, X), referenceMatMul(Wd, X).flat(), absProductScale(Wd, X));
      const dx = await expectEnginesAgree(engines, 'spmmCsrT', (e) => e.spmmCsrT(W, dY), referenceMatMul(Wd, dY, { transA: true }).flat(), absProductScale(Wd, dY, true));
      expect([dx.rows, dx.cols]).toEqual([W.cols, batch]);
      const alpha = 1 / batch;
      // Σ|terms| ≤ alpha · batch = 1 (entries in [-1, 1]).
      const g = await expectEnginesAgree(engines, 'sddmmCsr', (e) => e.sddmmCsr(W, dY, X, { alpha }), referenceSddmm(dY, X, W.rowIndices(), W.colIdx, alpha), 1);
      expect(g.length).toBe(W.nnz);
    });
  }

  const nmShapes = [
    { n: 2, m: 4, rows: 37, cols: 64, batch: 64 }, // word-aligned rows
    { n: 2, m: 4, rows: 9, cols: 12, batch: 33 }, // rows across packed words
    { n: 1, m: 8, rows: 13, cols: 80, batch: 7 },
    { n: 2, m: 8, rows: 70, cols: 40, batch: 130 },
  ];
  for (const shape of nmShapes) {
    const { name, W } = nmCase(shape);
    test(`spmmNM, spmmNMT, sddmmNM: ${name}`, async () => {
      const { batch } = shape;
      const Wd = W.toDense();
      const X = DenseMatrix.random(W.cols, batch, { seed: 43 });
      const dY = DenseMatrix.random(W.rows, batch, { seed: 44 });
      await expectEnginesAgree(engines, 'spmmNM', (e) => e.spmmNM(W, X), referenceMatMul(Wd, X).flat(), absProductScale(Wd, X));
      await expectEnginesAgree(engines, 'spmmNMT', (e) => e.spmmNMT(W, dY), referenceMatMul(Wd, dY, { transA: true }).flat(), absProductScale(Wd, dY, true));
      const slotRows = Array.from({ length: W.nnz }, (_, k) => Math.floor(k / W.slotsPerRow));
      const slotCols = Array.from({ length: W.nnz }, (_, k) => W.slotColumn(k));
      await expectEnginesAgree(engines, 'sddmmNM', (e) => e.sddmmNM(W, dY, X, { alpha: 0.5 }), referenceSddmm(dY, X, slotRows, slotCols, 0.5), batch);
    });
  }

  test('batch 0 gives empty or zero results', async () => {
    const W = CSRMatrix.random({ rows: 5, cols: 8, density: 0.5, seed: 1 });
    const N = NMMatrix.random({ rows: 5, cols: 8, seed: 2 });
    expect(Array.from(await gpu.sddmmCsr(W, new DenseMatrix(5, 0), new DenseMatrix(8, 0)))).toEqual(new Array(W.nnz).fill(0));
    expect(Array.from(await gpu.sddmmNM(N, new DenseMatrix(5, 0), new DenseMatrix(8, 0)))).toEqual(new Array(N.nnz).fill(0));
    const y = await gpu.spmmCsr(W, new DenseMatrix(8, 0));
    expect([y.rows, y.cols]).toEqual([5, 0]);
  });
});

describe("'gpu' profile: the schedules an install rebuilds on the GPU (ResidentCsr)", () => {
  test('an ER layer replaced by a skewed one (long rows and long columns): the fused forward and the transpose-derive equal their CPU twins', async () => {
    const ctx = new GpuContext(gpu.device!, false, undefined, undefined, 'gpu');
    const rows = 150;
    const cols = 600;
    // Long rows (power law, rows of ≥ 128) and long columns (one column in every row): both schedules split.
    const coo = new Map<number, number>();
    const pl = powerLawCsr(rows, cols, 5);
    pl.colIdx.forEach((c, k) => coo.set(pl.rowIndices()[k]! * cols + c, pl.values[k]!));
    for (let r = 0; r < rows; r++) coo.set(r * cols + 7, Math.cos(r));
    const keys = [...coo.keys()];
    const W1 = CSRMatrix.fromCOO({ rows, cols, rowIndices: keys.map((k) => Math.floor(k / cols)), colIndices: keys.map((k) => k % cols), values: keys.map((k) => coo.get(k)!) });
    // What was uploaded: as many entries, spread evenly (entry i in row i mod rows).
    const W0 = CSRMatrix.fromCOO({ rows, cols, rowIndices: keys.map((_, i) => i % rows), colIndices: keys.map((_, i) => Math.floor(i / rows)), values: keys.map((_, i) => Math.sin(i)) });
    const operand = ResidentCsr.upload(ctx, W0, new Float32Array(W0.nnz), undefined, { training: true });
    const scratch = new BufferOwner(ctx);
    try {
      await operand.install(uploadCsr(scratch, W1, new Float32Array(W1.nnz)));
      const batch = 70;
      const X = DenseMatrix.random(cols, batch, { seed: 51 });
      const dY = DenseMatrix.random(rows, batch, { seed: 52 });
      const Zin = DenseMatrix.random(cols, batch, { seed: 53 });
      const bias = Float32Array.from({ length: rows }, (_, r) => Math.sin(r) / 4);
      const p = { nonlinearity: 'leaky' as const, alpha: 0.1, rate: 0.3, seed: 9, stream: 2 };
      const act = (step: GPUBuffer): StageActivation<GPUBuffer> => ({ p, training: true, step });
      const [Zf, A, dZ] = await ctx.run('forward and backward stages', (s) => {
        const step = s.upload('step', Uint32Array.of(3));
        const Z = s.output('Z', rows * batch * 4);
        const Aout = s.output('A', rows * batch * 4);
        operand.encodeForwardStage(s, batch, s.upload('X', X.data), { Z, bias: s.upload('bias', bias), activation: { A: Aout, act: act(step) } });
        const Zb = s.upload('Z (backward)', Zin.data);
        operand.encodeBackwardStage(s, batch, s.upload('dY', dY.data), Zb, act(step));
        const out = s.output('read-back', (2 * rows + cols) * batch * 4);
        s.copy(Z, out, rows * batch * 4);
        s.copy(Aout, out, rows * batch * 4, rows * batch * 4);
        s.copy(Zb, out, cols * batch * 4, 2 * rows * batch * 4);
        return { result: out, byteLength: (2 * rows + cols) * batch * 4, decode: (b) => [new Float32Array(b, 0, rows * batch), new Float32Array(b, rows * batch * 4, rows * batch), new Float32Array(b, 2 * rows * batch * 4)] as const };
      });
      const cpuAct = { p, training: true, step: 3 };
      const f = spmmCsrForward.cpu(W1, X, bias, cpuAct);
      const scaleY = absProductScale(W1.toDense(), X);
      expectClose(Zf, f.Z.data, Array.from(scaleY, (v, i) => v + Math.abs(bias[Math.floor(i / batch)]!)), 'Z gpu vs cpu', TOL);
      // A = f(Z) · mask: its error is Z's (leaky ReLU, slope ≤ 1; mask scale 1 / 0.7).
      expectClose(A, f.A!.data, Array.from(scaleY, (v) => (v + 1) / 0.7), 'A gpu vs cpu', TOL);
      const Zc = Zin.data.slice();
      spmmCsrTDerive.cpu(W1, dY, Zc, cpuAct);
      expectClose(dZ, Zc, Array.from(absProductScale(W1.toDense(), dY, true), (v) => v / 0.7), 'dZ gpu vs cpu', TOL);
      // The installed layer is the one gathered: W0's products differ.
      expect(Math.max(...Array.from(f.Z.data, (v, i) => Math.abs(v - spmmCsrForward.cpu(W0, X, bias, cpuAct).Z.data[i]!)))).toBeGreaterThan(0.1);
    } finally {
      scratch.release();
      operand.release();
    }
  });
});

describe("a Sequential fit with the 'gpu' profile forced", () => {
  test('gives the CPU trainer\'s losses and accuracies (SparseLinear with SET + 2:4 NMLinear + DenseLinear)', async () => {
    const { train, valid } = trainValidSplit({ count: 300, features: 64, classes: 4, seed: 3 }, 240);
    const layers = () => reluClassifier([new SparseLinear({ in: 64, out: 96, epsilon: 8, seed: 11 }), new NMLinear({ in: 96, out: 48, seed: 12 }), new DenseLinear({ in: 48, out: 4, seed: 13 })]);
    const options = { epochs: 3, batchSize: 40, seed: 7, evolution: set({ zeta: 0.3 }), validationData: valid, optimizer: sgd({ lr: 0.05 }) };
    const models = [new Sequential(gpu, layers()), new Sequential(cpu, layers())];
    const [hg, hc] = (await Promise.all(models.map((m) => m.fit(train, options)))) as [History, History];
    for (let e = 0; e < 3; e++) {
      const g = hg.epochs[e]!;
      const c = hc.epochs[e]!;
      // Same passes, float32 sums in another order (see sequential.test.ts): 1e-4 relative.
      for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) {
        const [a, b] = [g[key]!, c[key]!];
        expect(Math.abs(a - b), `epoch ${e} ${key}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-4 * Math.max(1e-6, Math.abs(b)));
      }
    }
    expect(hg.epochs[2]!.loss).toBeLessThan(hg.epochs[0]!.loss);
    for (const m of models) m.dispose();
  });
});
