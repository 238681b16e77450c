/**
 * The GEMM model of the GPU execution model (bench/model/gemm.ts) against the
 * GEMM's own tracing variant run on WebGPU (bench/model/wgsl-trace.ts,
 * traceGemmWgsl): the tile pass of both kernel profiles (`main`, tileGpu with
 * and without split-K) and reduceSplits make the loads and stores the model
 * says, in global and in workgroup memory, event for event; so do the
 * analyzer's figures (sectors, active lanes, bank conflicts) — on shapes that
 * are not multiples of the tiles, at batch 1, in every transposition.
 */
import { describe, expect, test } from 'vitest';
import { gemmGrid } from '../kernels/gemm.js';
import { programs } from '../kernels/programs.js';
import { analyzeBankConflicts, analyzeDispatch } from '../bench/model/analyze.js';
import { analyzeGemm, modelGemm, modelGemmTilePass } from '../bench/model/gemm.js';
import { PROFILES } from '../bench/model/profiles.js';
import type { DispatchTrace } from '../bench/model/trace.js';
import { eventsByInvocation, traceGemmWgsl } from '../bench/model/wgsl-trace.js';
import { gpuEngine } from './helpers/engines.js';

function expectSameDispatch(wgsl: DispatchTrace, model: DispatchTrace, what: string): void {
  expect(wgsl.workgroupCount, what).toBe(model.workgroupCount);
  expect(wgsl.workgroupSize, what).toEqual(model.workgroupSize);
  expect(wgsl.workgroupMemoryBytes, what).toBe(model.workgroupMemoryBytes);
  const traced = eventsByInvocation(wgsl);
  const modelled = eventsByInvocation(model);
  expect(traced.size, what).toBeGreaterThan(0);
  expect([...traced.keys()].sort(), what).toEqual([...modelled.keys()].sort());
  for (const [invocation, events] of modelled) expect(traced.get(invocation), `${what} ${invocation}`).toEqual(events);
}

// C is m × n (n: the batch of a dense layer's W · X), inner dimension k. NN and TT take both branches of
// every TRANS_A / TRANS_B choice (tileGpu stages A along k in one and B in the other); each variant
// compiles once, which is most of a case's time on SwiftShader.
const CASES: Array<{ profile: 'emulation' | 'gpu'; trans: boolean; m: number; n: number; k: number }> = [
  // Under one tile in every dimension, batch 1.
  { profile: 'emulation', trans: false, m: 37, n: 1, k: 29 },
  { profile: 'gpu', trans: false, m: 37, n: 1, k: 29 },
  // Partial tiles in m (two of main's, one of tileGpu's), n and k.
  ...(['emulation', 'gpu'] as const).flatMap((profile) => [false, true].map((trans) => ({ profile, trans, m: 70, n: 37, k: 45 }))),
  // k of 19 tileGpu steps: split-K in 2 (the last split shorter, its last k-step partial), then reduceSplits; at batch 1 too.
  { profile: 'gpu', trans: false, m: 70, n: 33, k: 300 },
  { profile: 'gpu', trans: true, m: 70, n: 33, k: 300 },
  { profile: 'gpu', trans: true, m: 5, n: 1, k: 300 },
];

describe('the GEMM shader traces what bench/model/gemm.ts says (WGSL TRACE variant on WebGPU)', () => {
  test.each(CASES)(
    '$m×$n×$k transA=transB=$trans ($profile profile)',
    async ({ m, n, k, profile, trans }) => {
      const [transA, transB] = [trans, trans];
      const ctx = (await gpuEngine()).gpuContextForLayers()!;
      const dims = { m, n, k };
      const wgsl = await traceGemmWgsl(ctx, { profile, dims, transA, transB });
      const model = modelGemmTilePass(profile, dims, { transA, transB });
      expectSameDispatch(wgsl.tile, model.global, 'global memory');
      expectSameDispatch(wgsl.workgroupMemory, model.workgroupMemory, 'workgroup memory');
      const splits = profile === 'gpu' ? gemmGrid(dims).splits : 1;
      const reduce = modelGemm(profile, dims, { transA, transB }).operation.dispatches[1];
      expect(wgsl.reduce?.workgroupCount).toBe(reduce?.workgroupCount);
      // The k = 300 cases are here for split-K: if a tile or threshold change stops them splitting, say so.
      expect(splits > 1, 'split-K in the k = 300 cases').toBe(k === 300);
      if (splits > 1) expectSameDispatch(wgsl.reduce!, reduce!, 'reduceSplits');
      // Multiply-adds per workgroup-memory load: an invocation does its 4 × 4 (main) or GPU_TM / 16 × 4
      // (tileGpu) block for every k of its k-steps, padding included; the loads are the traced ones.
      const { GPU_TM, GPU_TK } = programs.gemmNN.layout.consts;
      const [step, block] = profile === 'gpu' ? [GPU_TK, (GPU_TM / 16) * 4] : [16, 16];
      const kChunk = profile === 'gpu' ? gemmGrid(dims).kChunk : k;
      let mads = 0;
      let loads = 0;
      for (const wg of wgsl.workgroupMemory.workgroups()) {
        const split = Math.floor(wg.workgroup / (wgsl.tile.workgroupCount / splits));
        mads += 256 * Math.ceil((Math.min(k, (split + 1) * kChunk) - split * kChunk) / step) * step * block;
        for (const inv of wg.invocations) loads += inv.events.filter((e) => e.kind === 'load').length;
      }
      const modelled = analyzeGemm(modelGemm(profile, dims, { transA, transB, maxKSteps: Infinity }), PROFILES.h100).workgroupMemory.madsPerLoad;
      expect(mads / loads).toBeCloseTo(profile === 'gpu' ? 32 / 3 : 2, 12);
      expect(mads / loads).toBeCloseTo(modelled!, 12);
      // And so the analyzer's figures agree, warps of 32 and of 64: sectors and active lanes of global memory, bank conflicts of workgroup memory.
      for (const warpSize of [32, 64]) {
        const a = analyzeDispatch(wgsl.tile, { warpSize });
        const b = analyzeDispatch(model.global, { warpSize });
        expect({ loads: a.loads, stores: a.stores, steps: a.maxSerialSteps }).toEqual({ loads: b.loads, stores: b.stores, steps: b.maxSerialSteps });
        expect(analyzeBankConflicts(wgsl.workgroupMemory, { warpSize })).toEqual(analyzeBankConflicts(model.workgroupMemory, { warpSize }));
      }
    },
    120_000,
  );
});
