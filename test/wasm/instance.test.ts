/**
 * The shared WebAssembly instance (kernels/wasm/instance.ts): N:M columns
 * decoded in place by nm-decode.wat, and operands staged once per engine call.
 */
import { describe, expect, test } from 'vitest';
import { sddmmWasm } from '../../kernels/wasm/sddmm-wasm.js';
import { nmColumns } from '../../kernels/wasm/instance.js';
import { spmmCsr, spmmCsrT, spmmNM } from '../../kernels/spmm.js';
import { sddmmCsr } from '../../kernels/sddmm.js';
import { gemm } from '../../kernels/gemm.js';
import { createEngine, CSRMatrix, DenseMatrix, NMMatrix } from '../../src/index.js';
import { nmSlotShapes } from '../helpers/cases.js';

describe('N:M columns decoded in WebAssembly (nm-decode.wat)', () => {
  // SDDMM with dY = 1 and X[c] = (c, 0, 0, 0) returns, for every slot, the column the kernel read.
  const readColumns = (W: NMMatrix): Float32Array => {
    const rowOf = new Uint32Array(W.nnz);
    for (let r = 0; r < W.rows; r++) rowOf.fill(r, r * W.slotsPerRow, (r + 1) * W.slotsPerRow);
    const x = new Float32Array(W.cols * 4);
    for (let c = 0; c < W.cols; c++) x[c * 4] = c;
    return sddmmWasm(W.nnz, 4, 1, rowOf, nmColumns(W), new Float32Array(W.rows * 4).fill(1), x)!;
  };
  test.each(nmSlotShapes)('%i:%i, %i × %i: the slot columns of NMMatrix.slotColumns, across word boundaries and rows', (n, m, rows, cols) => {
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
