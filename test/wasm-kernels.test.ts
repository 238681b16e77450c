/**
 * The WebAssembly SIMD kernels of the CPU backend (gather, scatter, SDDMM) against
 * naive float64 loops: they must be the path taken here (Node has WebAssembly
 * SIMD), and agree on the edge cases — empty rows, nnz 0, odd and even row
 * lengths, batch 4, the permuted values of the transpose path, chunked and
 * remainder columns — while declining batches that are not a multiple of 4.
 */
import { describe, expect, test } from 'vitest';
import { gatherWasm, wasmGatherAvailable } from '../kernels/wasm/spmm-wasm.js';
import { sddmmWasm } from '../kernels/wasm/sddmm-wasm.js';
import { scatterWasm } from '../kernels/wasm/spmm-wasm.js';
import { nmColumns, setWasmKernelsEnabled, stagingSession, wasmMemoryBytes } from '../kernels/wasm/instance.js';
import { allFiniteWasm } from '../kernels/wasm/checks-wasm.js';
import { checkDense } from '../kernels/checks.js';
import { InvalidArgumentError } from '../src/index.js';
import { spmmCsr, spmmCsrT } from '../kernels/spmm.js';
import { spmmNM, spmmNMT } from '../kernels/spmm.js';
import { sddmmCsr, sddmmNM } from '../kernels/sddmm.js';
import { gemm } from '../kernels/gemm.js';
import { createEngine, NMMatrix } from '../src/index.js';
import { CSRMatrix, DenseMatrix } from '../src/index.js';
import { csrWithEmptyLines, emptyCsr, powerLawCsr } from './helpers/cases.js';

function naive(rows: number, batch: number, ptr: Uint32Array, idx: Uint32Array, values: Float32Array, perm: Uint32Array | undefined, x: Float32Array): Float64Array {
  const out = new Float64Array(rows * batch);
  for (let r = 0; r < rows; r++) {
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) {
      const v = values[perm ? perm[k]! : k]!;
      for (let b = 0; b < batch; b++) out[r * batch + b]! += v * x[idx[k]! * batch + b]!;
    }
  }
  return out;
}

describe('WebAssembly SIMD gather', () => {
  test('is available in this environment (the CPU backend uses it, and says so)', async () => {
    expect(wasmGatherAvailable()).toBe(true);
    const engine = await createEngine({ backend: 'cpu' });
    expect(engine.cpuKernels).toBe('wasm-simd');
    setWasmKernelsEnabled(false);
    try {
      expect(engine.cpuKernels).toBe('javascript');
    } finally {
      setWasmKernelsEnabled(true);
    }
    engine.dispose();
  });

  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 97, cols: 120, density: 0.1, seed: 1 }), 64],
    ['batch 4', CSRMatrix.random({ rows: 30, cols: 17, density: 0.3, seed: 2 }), 4],
    ['empty rows and columns', csrWithEmptyLines(41, 37, 3), 12],
    ['power-law rows (odd and even lengths)', powerLawCsr(60, 90, 4), 20],
    ['nnz 0', emptyCsr(9, 5), 8],
    ['dense rows', CSRMatrix.random({ rows: 5, cols: 33, density: 1, seed: 5 }), 132],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: W·X and Wᵀ·dY match a float64 loop`, () => {
      const X = DenseMatrix.random(W.cols, batch, { seed: 7 });
      const forward = gatherWasm(W.rows, batch, W.rowPtr, W.colIdx, W.values, undefined, X.data)!;
      expect(forward).toBeInstanceOf(Float32Array);
      const expected = naive(W.rows, batch, W.rowPtr, W.colIdx, W.values, undefined, X.data);
      forward.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i]!))));

      const t = W.transposeIndex();
      const dY = DenseMatrix.random(W.rows, batch, { seed: 8 });
      const backward = gatherWasm(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data)!;
      const expectedT = naive(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data);
      backward.forEach((v, i) => expect(Math.abs(v - expectedT[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expectedT[i]!))));
    });
  }

  test('declines a batch that is not a multiple of 4 (the JavaScript loop takes it)', () => {
    const W = CSRMatrix.random({ rows: 6, cols: 7, density: 0.5, seed: 9 });
    expect(gatherWasm(W.rows, 6, W.rowPtr, W.colIdx, W.values, undefined, new Float32Array(7 * 6))).toBeUndefined();
  });

  test('grows its memory for a large operand and stays correct afterwards', () => {
    const W = CSRMatrix.random({ rows: 2000, cols: 3000, density: 0.05, seed: 10 });
    const X = DenseMatrix.random(3000, 128, { seed: 11 });
    const big = gatherWasm(W.rows, 128, W.rowPtr, W.colIdx, W.values, undefined, X.data)!;
    const expected = naive(W.rows, 128, W.rowPtr, W.colIdx, W.values, undefined, X.data);
    let worst = 0;
    big.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!) / (1 + Math.abs(expected[i]!)))));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('WebAssembly SIMD SDDMM', () => {
  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 70, cols: 90, density: 0.1, seed: 21 }), 64],
    ['batch 4', CSRMatrix.random({ rows: 12, cols: 9, density: 0.4, seed: 22 }), 4],
    ['empty rows and columns, batch 36', csrWithEmptyLines(33, 29, 23), 36],
    ['nnz 0', emptyCsr(4, 6), 8],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: matches a float64 dot product per stored entry`, () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 24 });
      const X = DenseMatrix.random(W.cols, batch, { seed: 25 });
      const alpha = 1 / batch;
      const got = sddmmWasm(W.nnz, batch, alpha, W.rowIndices(), W.colIdx, dY.data, X.data)!;
      expect(got).toBeInstanceOf(Float32Array);
      expect(got).toHaveLength(W.nnz);
      const rows = W.rowIndices();
      got.forEach((v, k) => {
        let s = 0;
        for (let b = 0; b < batch; b++) s += dY.data[rows[k]! * batch + b]! * X.data[W.colIdx[k]! * batch + b]!;
        expect(Math.abs(v - alpha * s)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(alpha * s)) + 1e-7);
      });
    });
  }

  test('declines a batch that is not a multiple of 4', () => {
    expect(sddmmWasm(1, 3, 1, new Uint32Array([0]), new Uint32Array([0]), new Float32Array(3), new Float32Array(3))).toBeUndefined();
  });
});

describe('WebAssembly SIMD scatter (transpose of row-stored weights)', () => {
  const cases: Array<[string, CSRMatrix, number]> = [
    ['random, batch 64', CSRMatrix.random({ rows: 50, cols: 70, density: 0.2, seed: 31 }), 64],
    ['empty rows and columns, batch 4', csrWithEmptyLines(21, 17, 32), 4],
    ['nnz 0', emptyCsr(3, 5), 12],
  ];
  for (const [name, W, batch] of cases) {
    test(`${name}: Wᵀ·dY matches a float64 loop (and the transpose-index gather)`, () => {
      const dY = DenseMatrix.random(W.rows, batch, { seed: 33 });
      const got = scatterWasm(W.rows, W.cols, batch, W.rowPtr, W.colIdx, W.values, dY.data)!;
      expect(got).toHaveLength(W.cols * batch);
      const t = W.transposeIndex();
      const expected = naive(W.cols, batch, t.colPtr, t.rowIdx, W.values, t.perm, dY.data);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i]!))));
    });
  }

  test('declines a batch that is not a multiple of 4, and zeroes reused memory', () => {
    const W = CSRMatrix.random({ rows: 4, cols: 6, density: 0.5, seed: 34 });
    expect(scatterWasm(W.rows, W.cols, 2, W.rowPtr, W.colIdx, W.values, new Float32Array(8))).toBeUndefined();
    // A second, smaller call into the same memory starts from zeros, not the first call's sums.
    const big = CSRMatrix.random({ rows: 40, cols: 60, density: 0.5, seed: 35 });
    scatterWasm(big.rows, big.cols, 8, big.rowPtr, big.colIdx, big.values, DenseMatrix.random(40, 8, { seed: 36 }).data);
    const empty = emptyCsr(2, 3);
    expect(Array.from(scatterWasm(2, 3, 4, empty.rowPtr, empty.colIdx, empty.values, new Float32Array(8))!)).toEqual(new Array(12).fill(0));
  });
});

describe('the JavaScript fallbacks compute the same float32 bits as the SIMD kernels', () => {
  const W = CSRMatrix.random({ rows: 37, cols: 45, density: 0.2, seed: 41 });
  const N = NMMatrix.random({ rows: 21, cols: 48, n: 2, m: 4, seed: 42 });
  const cases: Array<[string, () => Float32Array]> = [
    ['spmmCsr', () => spmmCsr.cpu(W, DenseMatrix.random(45, 36, { seed: 43 })).data],
    ['spmmCsrT', () => spmmCsrT.cpu(W, DenseMatrix.random(37, 12, { seed: 44 })).data],
    ['spmmNM', () => spmmNM.cpu(N, DenseMatrix.random(48, 8, { seed: 45 })).data],
    ['spmmNMT', () => spmmNMT.cpu(N, DenseMatrix.random(21, 40, { seed: 46 })).data],
    ['sddmmCsr', () => sddmmCsr.cpu(W, DenseMatrix.random(37, 20, { seed: 47 }), DenseMatrix.random(45, 20, { seed: 48 }), { alpha: 1 / 20 })],
    ['sddmmNM', () => sddmmNM.cpu(N, DenseMatrix.random(21, 16, { seed: 49 }), DenseMatrix.random(48, 16, { seed: 50 }), { alpha: 0.3 })],
    ['gemm', () => gemm.cpu(DenseMatrix.random(9, 13, { seed: 51 }), DenseMatrix.random(13, 8, { seed: 52 }), { alpha: 0.7 }).data],
    ['gemm transA transB', () => gemm.cpu(DenseMatrix.random(13, 9, { seed: 53 }), DenseMatrix.random(8, 13, { seed: 54 }), { transA: true, transB: true }).data],
  ];
  for (const [name, run] of cases) {
    test(name, () => {
      const simd = run();
      setWasmKernelsEnabled(false);
      let plain: Float32Array;
      try {
        plain = run();
      } finally {
        setWasmKernelsEnabled(true);
      }
      expect(Array.from(plain, (v) => v.toString())).toEqual(Array.from(simd, (v) => v.toString()));
      expect(simd.some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('WebAssembly SIMD finiteness scan (operand checks)', () => {
  test('agrees with a scalar loop for NaN, ±Infinity and denormals, in the vector body and the tail', () => {
    for (const length of [4096, 4097, 4103, 5000, 65536]) {
      const a = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e30);
      a[7] = 1e-45; // denormal: finite
      a[9] = -0; // finite
      expect(allFiniteWasm(a), `length ${length}`).toBe(true);
      for (const at of [0, 5, 8, length - 9, length - 8, length - 1]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const b = a.slice();
          b[at] = bad;
          expect(allFiniteWasm(b), `length ${length}, ${bad} at ${at}`).toBe(false);
        }
      }
    }
  });

  test('reads a view at its own offset, and leaves short arrays to the JavaScript loop', () => {
    const backing = new Float32Array(10000).fill(1);
    backing[3] = NaN; // outside the view
    expect(allFiniteWasm(backing.subarray(5))).toBe(true);
    expect(allFiniteWasm(backing.subarray(2))).toBe(false);
    expect(allFiniteWasm(new Float32Array(100))).toBeUndefined();
  });

  test('outside a staging session a large operand is scanned in chunks: the shared memory does not grow to hold it', () => {
    const before = wasmMemoryBytes();
    // Larger than the memory already is, so a whole-operand copy would have to grow it.
    const big = new Float32Array(Math.max(1 << 22, before / 4 + (1 << 22))).fill(0.5);
    expect(allFiniteWasm(big)).toBe(true);
    big[big.length - 1] = NaN; // in the last chunk
    expect(allFiniteWasm(big)).toBe(false);
    expect(wasmMemoryBytes()).toBeLessThan(big.byteLength);
    // Inside a session (a CPU product follows) the operand is staged whole, for the product to reuse.
    big[big.length - 1] = 1;
    expect(stagingSession(() => allFiniteWasm(big))).toBe(true);
    expect(wasmMemoryBytes()).toBeGreaterThanOrEqual(big.byteLength);
  });

  test('a non-finite value in a large operand is still reported by argument and position', () => {
    const X = DenseMatrix.random(200, 64, { seed: 1 });
    X.data[130 * 64 + 5] = NaN;
    expect(() => checkDense('X', X)).toThrow(InvalidArgumentError);
    expect(() => checkDense('X', X)).toThrow(/X.*must be finite, found NaN at \(130, 5\)/);
  });
});

describe('N:M columns decoded in WebAssembly (nm-decode.wat)', () => {
  // SDDMM with dY = 1 and X[c] = (c, 0, 0, 0) returns, for every slot, the column the kernel read.
  const readColumns = (W: NMMatrix): Float32Array => {
    const rowOf = new Uint32Array(W.nnz);
    for (let r = 0; r < W.rows; r++) rowOf.fill(r, r * W.slotsPerRow, (r + 1) * W.slotsPerRow);
    const x = new Float32Array(W.cols * 4);
    for (let c = 0; c < W.cols; c++) x[c * 4] = c;
    return sddmmWasm(W.nnz, 4, 1, rowOf, nmColumns(W), new Float32Array(W.rows * 4).fill(1), x)!;
  };
  test.each([
    [2, 4, 7, 36],
    [1, 4, 5, 64],
    [2, 8, 9, 40],
    [3, 8, 4, 24],
    [4, 16, 3, 48],
    [1, 2, 11, 34],
    [2, 4, 1, 4],
  ])('%i:%i, %i × %i: the slot columns of NMMatrix.slotColumns, across word boundaries and rows', (n, m, rows, cols) => {
    const W = NMMatrix.random({ rows, cols, n, m, seed: rows * cols + n, init: 'uniform' });
    expect(Array.from(readColumns(W))).toEqual(Array.from(W.slotColumns()));
  });
});

describe('staging session (engine calls on the CPU)', () => {
  test('operands the checks staged are read in place, and give the bits of an unshared call', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    // Large enough that the finiteness scan stages values and X (≥ 4096 floats each),
    // and X a view at a nonzero offset of a larger buffer.
    const W = CSRMatrix.random({ rows: 300, cols: 200, density: 0.2, seed: 11, init: 'uniform' });
    const backing = new Float32Array(200 * 64 + 100).map((_, i) => Math.sin(i));
    const X = new DenseMatrix(200, 64, backing.subarray(100));
    const dY = DenseMatrix.random(300, 64, { seed: 12 });
    const expectSame = (a: Float32Array, b: Float32Array) => expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
    expectSame((await engine.spmmCsr(W, X)).data, spmmCsr.cpu(W, X).data);
    expectSame((await engine.spmmCsrT(W, dY)).data, spmmCsrT.cpu(W, dY).data);
    expectSame(await engine.sddmmCsr(W, dY, X), sddmmCsr.cpu(W, dY, X));
    const N = NMMatrix.random({ rows: 300, cols: 200, n: 2, m: 4, seed: 13, init: 'uniform' });
    expectSame((await engine.spmmNM(N, X)).data, spmmNM.cpu(N, X).data);
    expectSame((await engine.gemm(dY, X, { transB: true })).data, gemm.cpu(dY, X, { transB: true }).data);
    // A second call with changed operands sees the change (nothing is kept between calls).
    const before = (await engine.spmmCsr(W, X)).data;
    X.data[5] = 1000;
    W.values[0] = -W.values[0]!;
    const after = (await engine.spmmCsr(W, X)).data;
    expectSame(after, spmmCsr.cpu(W, X).data);
    expect(after).not.toEqual(before);
    engine.dispose();
  });
});
