/**
 * The GPU execution model's JavaScript models of the products
 * (bench/model/kernels.ts) against the shaders' own tracing variants run on
 * WebGPU: the same invocations make the same loads and stores (buffer, byte
 * offset, width, step), event for event, for both kernel profiles and skewed
 * shapes — so the model's figures at large shapes describe the code that runs.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix } from '../src/index.js';
import { programs, tracePrograms } from '../kernels/programs.js';
import { analyzeDispatch } from '../bench/model/analyze.js';
import { modelGatherDispatch, modelGatherWarpDispatch, modelSddmmDispatch, modelSddmmWarpDispatch, unsplitSchedule, type GatherOperandModel } from '../bench/model/kernels.js';
import type { DispatchTrace } from '../bench/model/trace.js';
import { eventsByInvocation, traceWgsl, type TracedProduct } from '../bench/model/wgsl-trace.js';
import { gpuEngine } from './helpers/engines.js';
import { rowSchedule } from '../kernels/row-order.js';

/** Rows of different lengths (empty ones too), so rows of a workgroup leave their loops at different steps. */
function skewed(rows: number, cols: number, seed: number): CSRMatrix {
  const rowIndices: number[] = [];
  const colIndices: number[] = [];
  const values: number[] = [];
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let r = 0; r < rows; r++) {
    const density = r % 7 === 3 ? 0 : r % 5 === 0 ? 0.9 : 0.15;
    for (let c = 0; c < cols; c++) {
      if (next() >= density) continue;
      rowIndices.push(r);
      colIndices.push(c);
      values.push(next() - 0.5);
    }
  }
  return CSRMatrix.fromCOO({ rows, cols, rowIndices, colIndices, values });
}

/** Rows of the given lengths at seeded distinct columns: long rows (≥ 4 × the mean) that gatherWarp splits. */
function rowsOfLengths(lengths: number[], cols: number, seed: number): CSRMatrix {
  const rowIndices: number[] = [];
  const colIndices: number[] = [];
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  lengths.forEach((len, r) => {
    const taken = new Set<number>();
    while (taken.size < len) taken.add(Math.floor(next() * cols));
    for (const c of taken) {
      rowIndices.push(r);
      colIndices.push(c);
    }
  });
  return CSRMatrix.fromCOO({ rows: lengths.length, cols, rowIndices, colIndices, values: rowIndices.map((_, k) => Math.sin(k)) });
}

/** 28 rows, mean about 45: the rows of 700 and 300 are long (≥ 256), 130 is not. */
const LONG_LENGTHS = [700, 3, 130, 0, 5, 1, 2, 300, ...new Array<number>(20).fill(4)];

function operandOf(product: 'gather' | 'gatherTranspose', W: CSRMatrix): GatherOperandModel {
  const t = W.transposeIndex();
  return product === 'gather' ? { rows: W.rows, ptr: W.rowPtr, idx: W.colIdx, order: W.rowOrder() } : { rows: W.cols, ptr: t.colPtr, idx: t.rowIdx, order: t.order, perm: t.perm };
}

function jsModel(product: TracedProduct, W: CSRMatrix, batch: number, warp: boolean, schedule?: Uint32Array): DispatchTrace {
  if (product === 'sddmm') return (warp ? modelSddmmWarpDispatch : modelSddmmDispatch)('js', W.rowIndices(), W.colIdx, batch);
  const A = operandOf(product, W);
  return warp ? modelGatherWarpDispatch('js', A, batch, {}, schedule) : modelGatherDispatch('js', A, batch);
}

const CASES: Array<{ product: TracedProduct; rows: number; cols: number; batch: number; long?: 'rows' | 'columns' | 'many'; unsplit?: boolean }> = [
  // batch 64: vec4 loads on `main`; 5 and 130: scalar paths, partial tiles (130 spans two 128-column tiles); 1: one column.
  ...(['gather', 'gatherTranspose', 'sddmm'] as const).flatMap((product) =>
    [1, 5, 64, 130].map((batch) => ({ product, rows: 37, cols: 29, batch })),
  ),
  { product: 'gather', rows: 70, cols: 45, batch: 33 },
  { product: 'sddmm', rows: 70, cols: 45, batch: 36 },
  // Long rows that gatherWarp splits (LONG_LENGTHS), in W and in Wᵀ (W's columns), and 30 long rows (1100, mean 255) among 130: 55 units for 33 workgroups.
  { product: 'gather', rows: 28, cols: 800, batch: 33, long: 'rows' },
  { product: 'gatherTranspose', rows: 800, cols: 28, batch: 130, long: 'columns' },
  { product: 'gather', rows: 130, cols: 1200, batch: 5, long: 'many' },
  // The same shader on a schedule without splits in index order: what gatherWarp did before (bench/model/run.ts's 'before' rows).
  { product: 'gather', rows: 28, cols: 800, batch: 64, long: 'rows', unsplit: true },
];

function caseMatrix(rows: number, cols: number, seed: number, long: 'rows' | 'columns' | 'many' | undefined): CSRMatrix {
  if (long === 'rows') return rowsOfLengths(LONG_LENGTHS, cols, seed);
  if (long === 'many') return rowsOfLengths([...new Array<number>(30).fill(1100), ...new Array<number>(100).fill(1)], cols, seed);
  if (long === 'columns') {
    const T = rowsOfLengths(LONG_LENGTHS, rows, seed);
    return CSRMatrix.fromCOO({ rows, cols, rowIndices: Array.from(T.colIdx), colIndices: Array.from(T.rowIndices()), values: Array.from(T.values) });
  }
  return skewed(rows, cols, seed);
}

describe('the shaders trace what the JavaScript models say (WGSL TRACE variants on WebGPU)', () => {
  test.each(CASES.flatMap((c) => (['emulation', 'gpu'] as const).map((profile) => ({ ...c, profile }))))(
    '$product $rows×$cols batch $batch ($profile profile)',
    async ({ product, rows, cols, batch, profile, long, unsplit }) => {
      const warp = profile === 'gpu';
      const engine = await gpuEngine();
      const ctx = engine.gpuContextForLayers()!;
      const W = caseMatrix(rows, cols, rows * 31 + batch, long);
      if (long && product !== 'sddmm') expect(rowSchedule.cpu(operandOf(product, W).ptr, product === 'gather' ? rows : cols)[0], 'long rows').toBe(long === 'many' ? 30 : 2);
      let schedule: Uint32Array | undefined;
      if (unsplit && product !== 'sddmm') {
        const A = operandOf(product, W);
        schedule = unsplitSchedule(A.ptr, Uint32Array.from({ length: A.rows }, (_, r) => r));
      }
      const wgsl = await traceWgsl(ctx, { product, W, batch, warp, ...(schedule ? { schedule } : {}) });
      const model = jsModel(product, W, batch, warp, schedule);
      expect(wgsl.workgroupCount).toBe(model.workgroupCount);
      expect(wgsl.workgroupSize).toEqual(model.workgroupSize);
      expect(wgsl.workgroupMemoryBytes).toBe(model.workgroupMemoryBytes);
      const traced = eventsByInvocation(wgsl);
      const modelled = eventsByInvocation(model);
      expect(traced.size).toBeGreaterThan(0);
      expect([...traced.keys()].sort()).toEqual([...modelled.keys()].sort());
      for (const [invocation, events] of modelled) expect(traced.get(invocation), invocation).toEqual(events);
      // And so the analyzer's figures agree, warps of 32 and of 64.
      for (const warpSize of [32, 64]) {
        const a = analyzeDispatch(wgsl, { warpSize });
        const b = analyzeDispatch(model, { warpSize });
        expect({ loads: a.loads, stores: a.stores, steps: a.maxSerialSteps }).toEqual({ loads: b.loads, stores: b.stores, steps: b.maxSerialSteps });
      }
    },
    120_000,
  );

  test('a trace that does not fit is refused, not truncated', async () => {
    const engine = await gpuEngine();
    const ctx = engine.gpuContextForLayers()!;
    const W = skewed(37, 29, 5);
    await expect(traceWgsl(ctx, { product: 'gather', W, batch: 64, warp: false, maxEvents: 10 })).rejects.toThrow(/do not fit the trace buffer of 10/);
  });

  test('the programs kernels run carry no tracing code', () => {
    const tracing = /\btrace(Load|Store|Access)\(|&trace\[/;
    for (const p of Object.values(programs)) expect(p.code(), p.key).not.toMatch(tracing);
    for (const p of Object.values(tracePrograms)) expect(p.code(), p.key).toMatch(tracing);
  });
});
