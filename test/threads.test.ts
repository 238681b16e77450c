/**
 * The CPU backend's worker threads (kernels/wasm/pool.ts): every product
 * gives the same bytes on 1, 2, 3 and 7 threads (skewed rows, fewer rows than
 * threads, batch 1, batch % 4 != 0, nnz 0), the split really happens, the
 * `threads` option and its reasons, and a script that used threads exits.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, CSRMatrix, DenseMatrix, InvalidArgumentError, NMMatrix, type Engine } from '../src/index.js';
import { parallelRunCount, setParallelThreshold, threadsUnavailable, workerCounts } from '../kernels/wasm/pool.js';
import { gpuEngine } from './helpers/engines.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr } from './helpers/cases.js';
import { caught, expectNamedError } from './helpers/expect-error.js';

const COUNTS = [1, 2, 3, 7] as const;
let engines: Engine[] = [];
let threshold = 0;

beforeAll(async () => {
  engines = await Promise.all(COUNTS.map((threads) => createEngine({ backend: 'cpu', threads })));
  // Split every product however small: the splits, not the speed, are under test.
  threshold = setParallelThreshold(0);
});
afterAll(() => {
  setParallelThreshold(threshold);
  for (const e of engines) e.dispose();
});

const bytes = (a: Float32Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** `run` on every engine: the same bytes as on one thread, not all zeros unless `zero`; the multi-thread runs split. */
async function expectSameBytes(run: (e: Engine) => Promise<Float32Array>, zero = false): Promise<void> {
  expect(engines.map((e) => e.threads)).toEqual([...COUNTS]);
  const one = await run(engines[0]!);
  for (const e of engines.slice(1)) expect(bytes(await run(e)), `${e.threads} threads`).toEqual(bytes(one));
  expect(one.some((v) => v !== 0)).toBe(!zero);
}

const csrCases = [
  { name: 'power-law rows, batch 128', W: powerLawCsr(97, 300, 8), batch: 128 },
  { name: 'power-law rows, batch 68 (not a multiple of 16)', W: powerLawCsr(97, 300, 9), batch: 68 },
  { name: 'batch 1 (JavaScript path)', W: powerLawCsr(50, 80, 10), batch: 1 },
  { name: 'batch 70 (batch % 4 != 0, JavaScript path)', W: powerLawCsr(60, 90, 11), batch: 70 },
  { name: 'empty rows and columns, batch 12', W: csrWithEmptyLines(41, 37, 7), batch: 12 },
  { name: 'three long rows, fewer rows than threads', W: CSRMatrix.random({ rows: 3, cols: 2000, density: 0.6, seed: 3, init: 'uniform' }), batch: 16 },
  { name: 'nnz 0', W: emptyCsr(17, 29), batch: 8, zero: true },
];

describe('results are the same bytes on 1, 2, 3 and 7 threads', () => {
  for (const { name, W, batch, zero } of csrCases) {
    test(`spmmCsr, spmmCsrT, sddmmCsr: ${name}`, async () => {
      const X = DenseMatrix.random(W.cols, batch, { seed: 1 });
      const dY = DenseMatrix.random(W.rows, batch, { seed: 2 });
      await expectSameBytes(async (e) => (await e.spmmCsr(W, X)).data, zero);
      await expectSameBytes(async (e) => (await e.spmmCsrT(W, dY)).data, zero);
      await expectSameBytes((e) => e.sddmmCsr(W, dY, X, { alpha: 1 / 3 }), zero);
    });
  }

  for (const batch of [132, 8, 6]) {
    test(`spmmNM, spmmNMT (the scatter: output ranges), sddmmNM: 2:4 96×128, batch ${batch}`, async () => {
      const W = NMMatrix.random({ rows: 96, cols: 128, n: 2, m: 4, seed: 5 });
      const X = DenseMatrix.random(W.cols, batch, { seed: 3 });
      const dY = DenseMatrix.random(W.rows, batch, { seed: 4 });
      await expectSameBytes(async (e) => (await e.spmmNM(W, X)).data);
      await expectSameBytes(async (e) => (await e.spmmNMT(W, dY)).data);
      await expectSameBytes((e) => e.sddmmNM(W, dY, X, { alpha: 0.5 }));
    });
  }

  test('gemm (the gather of a dense pattern), plain, transposed and scaled', async () => {
    const A = DenseMatrix.random(37, 53, { seed: 6 });
    const B = DenseMatrix.random(53, 20, { seed: 7 });
    const At = DenseMatrix.random(53, 37, { seed: 8 });
    const Bt = DenseMatrix.random(20, 53, { seed: 9 });
    await expectSameBytes(async (e) => (await e.gemm(A, B)).data);
    await expectSameBytes(async (e) => (await e.gemm(At, Bt, { transA: true, transB: true, alpha: 0.25 })).data);
  });

  test('the multi-thread engines split the products (and one thread never does)', async () => {
    const W = powerLawCsr(97, 300, 8);
    const X = DenseMatrix.random(W.cols, 64, { seed: 1 });
    const before = parallelRunCount();
    await engines[0]!.spmmCsr(W, X);
    expect(parallelRunCount()).toBe(before);
    await engines[2]!.spmmCsr(W, X);
    await engines[2]!.spmmCsrT(W, DenseMatrix.random(W.rows, 64, { seed: 2 }));
    expect(parallelRunCount()).toBe(before + 2);
    // Every thread claims parts until none is left, the caller too: the workers must have run some.
    const big = CSRMatrix.random({ rows: 1000, cols: 1000, epsilon: 20, seed: 1 });
    const Xb = DenseMatrix.random(1000, 128, { seed: 1 });
    for (let i = 0; i < 50 && workerCounts().partsRun === 0; i++) await engines[3]!.spmmCsr(big, Xb);
    expect(workerCounts().partsRun).toBeGreaterThan(0);
  });
});

describe('the threshold', () => {
  test('at the default threshold a 2000 × 2000 layer (ε = 20, batch 128, ~10 M multiply-adds) splits; the reference SET-MLP layer (1000 × 1000, ~4.6 M) stays on the calling thread', async () => {
    const saved = setParallelThreshold(threshold);
    try {
      const W = CSRMatrix.random({ rows: 2000, cols: 2000, epsilon: 20, seed: 1 });
      const X = DenseMatrix.random(2000, 128, { seed: 1 });
      const before = parallelRunCount();
      const one = await engines[0]!.spmmCsr(W, X);
      const two = await engines[1]!.spmmCsr(W, X);
      expect(parallelRunCount()).toBe(before + 1);
      expect(bytes(two.data)).toEqual(bytes(one.data));
      const reference = CSRMatrix.random({ rows: 1000, cols: 1000, epsilon: 20, seed: 2 });
      await engines[1]!.spmmCsr(reference, DenseMatrix.random(1000, 128, { seed: 3 }));
      expect(parallelRunCount()).toBe(before + 1);
    } finally {
      setParallelThreshold(0);
    }
  });
});

describe('options.threads', () => {
  test('defaults to the available cores', async () => {
    const e = await createEngine({ backend: 'cpu' });
    try {
      expect(e.threads).toBe(availableParallelism());
      expect(e.threadsReason).toBeUndefined();
    } finally {
      e.dispose();
    }
  });

  test.each([0, -1, 1.5, 257, Number.NaN, '2' as unknown as number])('%s is an InvalidArgumentError naming options.threads', async (threads) => {
    expectNamedError(await caught(() => createEngine({ backend: 'cpu', threads })), InvalidArgumentError, 'options.threads');
  });

  test('threads: 1 starts no worker and gives no reason', async () => {
    const e = await createEngine({ backend: 'cpu', threads: 1 });
    expect([e.threads, e.threadsReason]).toEqual([1, undefined]);
    e.dispose();
  });

  test('a WebGPU engine runs no CPU threads, and says so when some were asked for', async () => {
    await gpuEngine();
    const asked = await createEngine({ backend: 'webgpu', threads: 4 });
    try {
      expect([asked.backend, asked.threads, asked.threadsReason]).toEqual(['webgpu', 1, 'webgpu-backend']);
    } finally {
      asked.dispose();
    }
  });

  test('a page that is not cross-origin isolated says so', () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    const saved = Object.getOwnPropertyDescriptor(g, 'crossOriginIsolated');
    Object.defineProperty(g, 'crossOriginIsolated', { value: false, configurable: true });
    try {
      expect(threadsUnavailable()).toBe('not-cross-origin-isolated');
    } finally {
      if (saved) Object.defineProperty(g, 'crossOriginIsolated', saved);
      else delete g.crossOriginIsolated;
    }
    expect(threadsUnavailable()).toBeUndefined();
  });
});

describe('workers are owned', () => {
  test('the pool grows to the largest lease, and the last dispose() ends every worker', async () => {
    // The suite's engines (1, 2, 3, 7 threads) hold 6 workers.
    expect(workerCounts().running).toBe(6);
    const extra = await createEngine({ backend: 'cpu', threads: 9 });
    expect(workerCounts().running).toBe(8);
    const ended = workerCounts().ended;
    extra.dispose();
    for (const e of engines) e.dispose();
    expect(workerCounts().running).toBe(0);
    // Node reports each worker's exit asynchronously.
    for (let i = 0; i < 200 && workerCounts().ended < ended + 8; i++) await new Promise((r) => setTimeout(r, 25));
    expect(workerCounts().ended).toBe(ended + 8);
    // A new engine starts a new pool.
    engines = await Promise.all(COUNTS.map((threads) => createEngine({ backend: 'cpu', threads })));
    expect(workerCounts().running).toBe(6);
  });
});

describe('workers never keep Node alive', () => {
  // A child process loads the library through Vite (the .wat imports), runs a split product and ends its script.
  const script = (dispose: boolean) => `
    import { createServer } from 'vite';
    const server = await createServer({ configFile: 'vite.config.ts', server: { middlewareMode: true, hmr: false, ws: false }, appType: 'custom', logLevel: 'silent', optimizeDeps: { noDiscovery: true, include: [] } });
    const { createEngine, CSRMatrix, DenseMatrix } = await server.ssrLoadModule('/src/index.ts');
    const engine = await createEngine({ backend: 'cpu', threads: 3 });
    const W = CSRMatrix.random({ rows: 2000, cols: 2000, epsilon: 20, seed: 1 });
    await engine.spmmCsr(W, DenseMatrix.random(2000, 128));
    const { parallelRunCount } = await server.ssrLoadModule('/kernels/wasm/pool.ts');
    console.log(JSON.stringify({ threads: engine.threads, reason: engine.threadsReason, split: parallelRunCount() }));
    ${dispose ? 'engine.dispose();' : ''}
    await server.close();
  `;
  test.each([true, false])('the script exits by itself (dispose: %s)', (dispose) => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(dispose)], { cwd: process.cwd(), timeout: 60_000, encoding: 'utf8' });
    expect(child.error, 'the script did not exit within 60 s').toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toEqual({ threads: 3, split: 1 });
  });
});
