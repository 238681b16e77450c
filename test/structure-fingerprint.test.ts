/**
 * A sparse matrix's structure written to after construction (rowPtr, colIdx,
 * N:M indices) is refused by every product and evolution on both backends
 * with a typed error naming the array, quickly, and the engine stays usable.
 * Before fingerprints, `rowPtr[rows] = 2³¹` made the CPU throw an untyped
 * RuntimeError (or run for minutes) and WebGPU allocate gigabytes, and an
 * out-of-range column gave wrong values silently.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, type Engine, InvalidArgumentError, NMLinear, NMMatrix, SparseLinear } from '../src/index.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { caught, thrown } from './helpers/expect-error.js';


function expectStructureError(error: unknown, argument: string): void {
  expect(error, `expected InvalidArgumentError naming ${argument}, got ${String(error)}`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as Error).message).toMatch(/changed after the (CSR|NM)Matrix was built/);
}

type Corruption = { name: string; argument: string; apply: (W: CSRMatrix) => () => void };

/** Each corrupts W in place and returns how to undo it. */
const csrCorruptions: Corruption[] = [
  {
    name: 'rowPtr[rows] = 2³¹',
    argument: 'W.rowPtr',
    apply: (W) => {
      const old = W.rowPtr[W.rows]!;
      W.rowPtr[W.rows] = 2 ** 31;
      return () => void (W.rowPtr[W.rows] = old);
    },
  },
  {
    name: 'colIdx[0] = 10⁶',
    argument: 'W.colIdx',
    apply: (W) => {
      const old = W.colIdx[0]!;
      W.colIdx[0] = 1e6;
      return () => void (W.colIdx[0] = old);
    },
  },
  {
    // Still a valid CSR, but the cached transpose index no longer matches it.
    name: 'a column moved to another valid, absent column',
    argument: 'W.colIdx',
    apply: (W) => {
      const old = W.colIdx[0]!;
      W.colIdx[0] = old === 0 ? 1 : 0;
      return () => void (W.colIdx[0] = old);
    },
  },
];

const backends = [
  ['webgpu', gpuEngine],
  ['cpu', cpuEngine],
] as const;

for (const [backend, make] of backends) {
  describe(`CSR structure changed after construction (${backend})`, () => {
    // Row 0 holds columns 2 and 5 (so column 0 and 1 are absent from it).
    const dense = DenseMatrix.fromRows([
      [0, 0, 1, 0, 0, 2],
      [3, 0, 0, 4, 0, 0],
      [0, 5, 0, 0, 6, 0],
    ]);
    const X = DenseMatrix.random(6, 4, { seed: 1 });
    const dY = DenseMatrix.random(3, 4, { seed: 2 });
    const ops: Array<[string, (e: Engine, W: CSRMatrix) => Promise<unknown>]> = [
      ['spmmCsr', (e, W) => e.spmmCsr(W, X)],
      ['spmmCsrT', (e, W) => e.spmmCsrT(W, dY)],
      ['sddmmCsr', (e, W) => e.sddmmCsr(W, dY, X)],
      ['evolveSet', (e, W) => e.evolveSet(W, { zeta: 0.3, seed: 1 })],
    ];
    for (const corruption of csrCorruptions) {
      for (const [op, run] of ops) {
        test(`${op} refuses ${corruption.name} within milliseconds, then works again once undone`, async () => {
          const engine = await make();
          const W = CSRMatrix.fromDense(dense);
          W.transposeIndex(); // cached before the change, as a real user's would be
          const expected = await run(engine, W);
          const undo = corruption.apply(W);
          const started = performance.now();
          expectStructureError(await caught(() => run(engine, W)), corruption.argument);
          expect(performance.now() - started).toBeLessThan(500);
          undo();
          expect(await run(engine, W)).toEqual(expected);
        });
      }
    }

    test('a 10⁶-nonzero matrix is re-checked in milliseconds', async () => {
      const engine = await make();
      const W = CSRMatrix.random({ rows: 10_000, cols: 10_000, density: 0.01, seed: 3 });
      const big = DenseMatrix.random(10_000, 1, { seed: 4 });
      W.rowPtr[W.rows] = 2 ** 31;
      const started = performance.now();
      expectStructureError(await caught(() => engine.spmmCsr(W, big)), 'W.rowPtr');
      expect(performance.now() - started).toBeLessThan(500);
    });
  });

  describe(`N:M indices changed after construction (${backend})`, () => {
    test('spmmNM, spmmNMT and sddmmNM refuse them naming W.indices, then work again once undone', async () => {
      const engine = await make();
      const W = NMMatrix.random({ rows: 4, cols: 8, n: 2, m: 4, seed: 5 });
      const X = DenseMatrix.random(8, 3, { seed: 6 });
      const dY = DenseMatrix.random(4, 3, { seed: 7 });
      const runs: Array<() => Promise<unknown>> = [() => engine.spmmNM(W, X), () => engine.spmmNMT(W, dY), () => engine.sddmmNM(W, dY, X)];
      const expected = await Promise.all(runs.map((run) => run()));
      const old = W.indices[0]!;
      W.indices[0] = old ^ 0b1111; // other in-group positions, still in range
      for (const run of runs) expectStructureError(await caught(run), 'W.indices');
      W.indices[0] = old;
      expect(await Promise.all(runs.map((run) => run()))).toEqual(expected);
    });
  });
}

describe('layers', () => {
  test('SparseLinear and NMLinear refuse changed weights, naming options.weights', () => {
    const W = CSRMatrix.random({ rows: 5, cols: 6, density: 0.5, seed: 8 });
    W.colIdx[0] = W.colIdx[0] === 0 ? 1 : 0;
    expectStructureError(thrown(() => new SparseLinear({ in: 6, out: 5, weights: W })), 'options.weights.colIdx');
    const N = NMMatrix.random({ rows: 2, cols: 8, seed: 9 });
    N.indices[0] = N.indices[0]! ^ 0b11;
    expectStructureError(thrown(() => new NMLinear({ in: 8, out: 2, weights: N })), 'options.weights.indices');
  });

  test.each(backends)('a snapshot from weights() is the caller’s: writing to its structure does not reach the layer (%s)', async (_name, make) => {
    const engine = await make();
    const layer = new SparseLinear({ in: 6, out: 5, density: 0.5, seed: 10 });
    layer.attach(engine);
    const X = DenseMatrix.random(6, 2, { seed: 11 });
    const before = await layer.forward(X);
    const { W } = await layer.weights();
    W.rowPtr.fill(0);
    W.colIdx.fill(0);
    expect(await layer.forward(X)).toEqual(before);
    const nm = new NMLinear({ in: 8, out: 2, seed: 12 });
    nm.attach(engine);
    const X8 = DenseMatrix.random(8, 2, { seed: 13 });
    const nmBefore = await nm.forward(X8);
    (await nm.weights()).indices.fill(0);
    expect(await nm.forward(X8)).toEqual(nmBefore);
    layer.dispose();
    nm.dispose();
  });
});
