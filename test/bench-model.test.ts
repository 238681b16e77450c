// The GPU execution model's analyzer (bench/model) on toy kernels with known
// answers, then its models of today's gather and SDDMM shaders.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi, type MockInstance } from 'vitest';
import { parseBenchArgv } from '../bench/bench-options.js';
import { main as benchMain } from '../bench/cli.js';
import { OptionError } from '../bench/options-core.js';
import { validateModel, validateReport, type BenchReport } from '../bench/schema.js';
import {
  activeLanes,
  analyzeBankConflicts,
  analyzeDispatch,
  analyzeOperation,
  combined,
  linesPer512B,
  sectorsPer512B,
  sectorsPerAccess,
  type DispatchAnalysis,
} from '../bench/model/analyze.js';
import { modelGatherCsr, modelGatherCsrT, modelGatherCsrTWarp, modelGatherCsrWarp, modelGatherSkew, modelSddmmCsr, modelSddmmCsrWarp, skewedLayers } from '../bench/model/kernels.js';
import { analyzeGemm, modelGemm } from '../bench/model/gemm.js';
import { gemmGrid } from '../kernels/gemm.js';
import { PROFILES, workgroupsPerSM } from '../bench/model/profiles.js';
import { type DispatchTrace, InvocationRecorder, type MemoryEvent, sampleWorkgroups, type WorkgroupTrace } from '../bench/model/trace.js';
import { CSRMatrix } from '../src/index.js';
import { modelEvolution } from '../bench/model/evolution.js';
import { evolveCpu, evolveResident } from '../kernels/set/evolve.js';
import { ResidentCsr } from '../kernels/resident/csr.js';
import { GpuContext } from '../src/gpu/gpu-context.js';
import { gpuEngine } from './helpers/engines.js';

/** A toy 1-D dispatch: `body(global, local, rec)` records one invocation's accesses. */
function toy(threads: number, workgroups: number, body: (global: number, local: number, rec: InvocationRecorder) => void, label = 'toy'): DispatchTrace {
  return {
    label,
    workgroupSize: [threads, 1, 1],
    workgroupCount: workgroups,
    workgroupMemoryBytes: 0,
    tracedWorkgroups: workgroups,
    *workgroups(): Iterable<WorkgroupTrace> {
      for (let g = 0; g < workgroups; g++) {
        const invocations = [];
        for (let l = 0; l < threads; l++) {
          const rec = new InvocationRecorder();
          body(g * threads + l, l, rec);
          if (rec.events.length) invocations.push({ globalIndex: g * threads + l, localIndex: l, events: rec.events });
        }
        yield { workgroup: g, invocations };
      }
    },
  };
}

const w32 = { warpSize: 32 };

/**
 * Counts what `ctx.run` records from now on, for comparison with the model's
 * counts: submissions, compute dispatches (copies aside) and read-backs.
 */
function countRuns(ctx: GpuContext): { counts: { submissions: number; dispatches: number; readbacks: number }; spy: MockInstance<GpuContext['run']> } {
  const counts = { submissions: 0, dispatches: 0, readbacks: 0 };
  const run = ctx.run.bind(ctx);
  const spy = vi.spyOn(ctx, 'run').mockImplementation((operation, build) =>
    run(operation, (s) => {
      const plan = build(s);
      counts.submissions++;
      counts.dispatches += s.dispatches.filter((step) => !('copy' in step)).length;
      if (plan.byteLength > 0) counts.readbacks++;
      return plan;
    }),
  );
  return { counts, spy };
}

/** One warp of 32 lanes, each reading its own 64-byte run (lane g from byte 64·g) in loads of `width` bytes. */
function lanePrivateRuns(width: number): DispatchAnalysis {
  return analyzeDispatch(
    toy(32, 1, (gid, _l, rec) => {
      for (let i = 0; i < 64 / width; i++) rec.load(i, 'x', gid * 64 + i * width, width);
    }),
    w32,
  );
}

describe('analyzer on toy kernels', () => {
  it('perfectly coalesced f32 loads: 4 sectors per warp access, 16 per 512 useful bytes', () => {
    const a = analyzeDispatch(toy(64, 3, (gid, _l, rec) => rec.load(0, 'x', gid * 4, 4)), w32);
    expect(a.loads.accesses).toBe(6);
    expect(sectorsPerAccess(a.loads)).toBe(4);
    expect(sectorsPer512B(a.loads)).toBe(16);
    expect(linesPer512B(a.loads)).toBe(4);
    expect(activeLanes(a.loads)).toBe(1);
    expect(a.stores.accesses).toBe(0);
    expect(sectorsPer512B(a.stores)).toBeNull();
  });

  it('loads with a 64-byte stride: 32 sectors per warp access, 128 per 512 useful bytes', () => {
    const a = analyzeDispatch(toy(32, 1, (gid, _l, rec) => rec.load(0, 'x', gid * 64, 4)), w32);
    expect(sectorsPerAccess(a.loads)).toBe(32);
    expect(sectorsPer512B(a.loads)).toBe(128);
  });

  it('a broadcast (every lane the same address) touches 1 sector for 4 useful bytes', () => {
    const a = analyzeDispatch(toy(32, 1, (_g, _l, rec) => rec.load(0, 'x', 256, 4)), w32);
    expect(a.loads.sectors).toBe(1);
    expect(a.loads.usefulBytes).toBe(4);
    expect(sectorsPerAccess(a.loads)).toBe(1);
    expect(activeLanes(a.loads)).toBe(1);
  });

  it('half the lanes idle: active 0.5, coalescing unchanged', () => {
    const a = analyzeDispatch(
      toy(64, 1, (gid, l, rec) => {
        if (l % 32 < 16) rec.load(0, 'x', gid * 4, 4);
      }),
      w32,
    );
    expect(a.loads.accesses).toBe(2);
    expect(activeLanes(a.loads)).toBe(0.5);
    expect(sectorsPer512B(a.loads)).toBe(16);
  });

  it('lanes past the end of a workgroup (48 invocations, 32-lane warps) count as inactive', () => {
    const a = analyzeDispatch(toy(48, 1, (gid, _l, rec) => rec.store(0, 'y', gid * 4, 4)), w32);
    expect(a.stores.accesses).toBe(2);
    expect(activeLanes(a.stores)).toBe(0.75);
  });

  it("a lane-private run of 16 floats per lane (today's gather): 32 sectors per 512 B as vec4, 128 as f32", () => {
    const vec4 = lanePrivateRuns(16);
    expect(vec4.loads.accesses).toBe(4);
    expect(sectorsPerAccess(vec4.loads)).toBe(32);
    expect(sectorsPer512B(vec4.loads)).toBe(32);
    // Neighbouring lanes 64 B apart: 16 lines of 128 B per 512 B, the "about 64" in sector units.
    expect(linesPer512B(vec4.loads)).toBe(16);
    const scalar = lanePrivateRuns(4);
    expect(scalar.loads.accesses).toBe(16);
    expect(sectorsPer512B(scalar.loads)).toBe(128);
  });

  it('64-lane warps: 8 sectors per coalesced f32 access, a 32-invocation workgroup fills half a warp', () => {
    const a = analyzeDispatch(toy(128, 1, (gid, _l, rec) => rec.load(0, 'x', gid * 4, 4)), { warpSize: 64 });
    expect(a.loads.accesses).toBe(2);
    expect(sectorsPerAccess(a.loads)).toBe(8);
    expect(sectorsPer512B(a.loads)).toBe(16);
    const half = analyzeDispatch(toy(32, 2, (gid, _l, rec) => rec.load(0, 'x', gid * 4, 4)), { warpSize: 64 });
    expect(activeLanes(half.loads)).toBe(0.5);
    // The same loads with 32-lane warps are whole warps.
    expect(activeLanes(analyzeDispatch(toy(32, 2, (gid, _l, rec) => rec.load(0, 'x', gid * 4, 4)), w32).loads)).toBe(1);
  });

  it('groups by step: lanes at different loop iterations are different accesses; buffers and kinds are separate', () => {
    const a = analyzeDispatch(
      toy(32, 1, (gid, l, rec) => {
        rec.load(0, 'x', gid * 4, 4);
        rec.load(0, 'w', gid * 4, 4); // same step, another buffer: its own access
        rec.store(1, 'x', gid * 4, 4);
        if (l === 0) rec.load(2, 'x', 0, 4); // one lane alone
      }),
      w32,
    );
    expect(a.loads.accesses).toBe(3);
    expect(a.stores.accesses).toBe(1);
    expect(a.byBuffer.get('w')!.loads.sectors).toBe(4);
    expect(a.byBuffer.get('x')!.loads.sectors).toBe(5);
    expect(activeLanes(a.loads)).toBeCloseTo((1 + 1 + 1 / 32) / 3, 12);
    expect(sectorsPer512B(combined(a.loads, a.stores))).toBe((13 * 512) / (128 * 3 + 4));
  });

  it('overlapping lanes count their bytes once; an unaligned 16-byte load spans two sectors', () => {
    const a = analyzeDispatch(toy(2, 1, (_g, l, rec) => rec.load(0, 'x', 24 + l * 8, 16)), w32);
    expect(a.loads.usefulBytes).toBe(24); // [24, 40) ∪ [32, 48)
    expect(a.loads.sectors).toBe(2);
  });

  it('the serial chain is the most steps one invocation runs; dispatches of an operation add up', () => {
    const chain = (n: number): DispatchTrace =>
      toy(32, 1, (gid, _l, rec) => {
        for (let i = 0; i <= gid % n; i++) rec.load(i, 'x', i * 4, 4);
      });
    expect(analyzeDispatch(chain(10), w32).maxSerialSteps).toBe(10);
    const op = analyzeOperation(
      { kernel: 'toy', variant: '', rows: 1, cols: 1, batch: 1, sparsity: 0, dispatches: [chain(10), chain(3)], readbacks: 1 },
      PROFILES.h100,
    );
    expect(op.model.maxSerialSteps).toBe(13);
    expect(op.model.dispatches).toBe(2);
    expect(op.model.readbacks).toBe(1);
  });

  it('refuses an invocation outside its workgroup', () => {
    const bad: DispatchTrace = {
      ...toy(4, 1, () => undefined),
      workgroups: () => [{ workgroup: 0, invocations: [{ globalIndex: 9, localIndex: 9, events: [] as MemoryEvent[] }] }],
    };
    expect(() => analyzeDispatch(bad, w32)).toThrow(/local index 9/);
  });

  it('samples workgroups evenly, first and last included', () => {
    expect(sampleWorkgroups(10, 4)).toEqual([0, 3, 6, 9]);
    expect(sampleWorkgroups(3, 8)).toEqual([0, 1, 2]);
    expect(sampleWorkgroups(0, 8)).toEqual([]);
  });
});

describe('workgroups per multiprocessor', () => {
  it('H100: N / 132, capped by 32 resident workgroups, 2048 threads or 228 KB of workgroup memory', () => {
    const h = PROFILES.h100;
    expect(workgroupsPerSM(h, 264, 64)).toEqual({ dispatched: 2, maxResident: 32, limitedBy: 'workgroups', resident: 2, waves: 1 });
    expect(workgroupsPerSM(h, 66, 64).dispatched).toBe(0.5);
    expect(workgroupsPerSM(h, 132 * 32 * 2 + 1, 64).waves).toBe(3);
    expect(workgroupsPerSM(h, 1000, 1024)).toMatchObject({ maxResident: 2, limitedBy: 'threads' });
    // 1000 invocations occupy 32 whole warps, as 1024 do.
    expect(workgroupsPerSM(h, 1000, 1000).maxResident).toBe(2);
    expect(workgroupsPerSM(h, 1000, 64, 48 * 1024)).toMatchObject({ maxResident: 4, limitedBy: 'workgroup memory', resident: 4 });
  });

  it('other profiles: an AMD CU holds 16 workgroups, a Xe-LP subslice 1792 SIMD16 invocations', () => {
    expect(workgroupsPerSM(PROFILES['amd-cdna'], 240, 64)).toMatchObject({ dispatched: 2, maxResident: 16, limitedBy: 'workgroups' });
    expect(workgroupsPerSM(PROFILES['intel-xe-lp'], 6, 256)).toMatchObject({ dispatched: 1, maxResident: 7, limitedBy: 'threads' });
    expect(workgroupsPerSM(PROFILES['apple-m2'], 10, 1024)).toMatchObject({ dispatched: 1, maxResident: 3, limitedBy: 'threads' });
  });
});

describe("models of today's product shaders", () => {
  const W = CSRMatrix.random({ rows: 512, cols: 512, density: 0.1, seed: 7 });
  const byBuffer = (a: DispatchAnalysis, name: string) => a.byBuffer.get(name)!;

  it('CSR gather, batch 128 (VEC4): X loads touch 32 sectors (16 lines) per 512 B; loads about 33 in all', () => {
    const op = analyzeOperation(modelGatherCsr(W, 128), PROFILES.h100);
    const d = op.dispatches[0]!;
    const x = byBuffer(d, 'X').loads;
    // One sector per active lane (a row's lanes drop out when it ends): at most 32 per access.
    expect(sectorsPerAccess(x)!).toBeLessThanOrEqual(32);
    expect(sectorsPerAccess(x)!).toBeGreaterThan(30);
    expect(sectorsPer512B(x)).toBe(32);
    expect(linesPer512B(x)! * 4).toBe(64); // the "about 64", counted in 128-byte lines
    expect(op.model.sectorsPer512B.loads!).toBeGreaterThan(32);
    expect(op.model.sectorsPer512B.loads!).toBeLessThan(36);
    expect(op.model.sectorsPer512B.stores).toBe(32);
    // 4 rows share a warp: colIdx and values are 4 sectors for 16 distinct bytes.
    expect(sectorsPer512B(byBuffer(d, 'colIdx').loads)).toBe(128);
    expect(op.model.activeLanes!).toBeGreaterThan(0.9);
    // 512 rows / 8 per workgroup = 64 workgroups: under half a workgroup per H100 SM.
    expect(op.model.workgroupsPerSM.dispatched).toBeCloseTo(64 / 132, 12);
    let longest = 0;
    for (let r = 0; r < W.rows; r++) longest = Math.max(longest, W.rowPtr[r + 1]! - W.rowPtr[r]!);
    // rowOrder, rowPtr[r], rowPtr[r + 1], 6 per nonzero (values, colIdx, 4 × X), 4 stores.
    expect(op.model.maxSerialSteps).toBe(3 + 6 * longest + 4);
    expect(op.model).toMatchObject({ kernel: 'spmm_csr', variant: 'emulation CSR+VEC4', dispatches: 1, readbacks: 1, batch: 128 });
  });

  it('CSR gather, batch 64: half of every warp idle (lanes 4–7 of a row have no columns)', () => {
    const op = analyzeOperation(modelGatherCsr(W, 64), PROFILES.h100);
    const x = byBuffer(op.dispatches[0]!, 'X').loads;
    expect(sectorsPer512B(x)).toBe(32);
    expect(activeLanes(x)!).toBeLessThanOrEqual(0.5);
    expect(activeLanes(x)!).toBeGreaterThan(0.4);
  });

  it('CSR gather, batch 1: scalar loads, one lane per row, up to 128 sectors per 512 B', () => {
    const op = analyzeOperation(modelGatherCsr(W, 1), PROFILES.h100);
    const x = byBuffer(op.dispatches[0]!, 'X').loads;
    expect(op.model.variant).toBe('emulation CSR');
    // A sector per 4-byte load, less where two rows of the warp read columns less than 8 apart (X rows are 4 B).
    expect(sectorsPer512B(x)!).toBeLessThanOrEqual(128);
    expect(sectorsPer512B(x)!).toBeGreaterThan(100);
    expect(activeLanes(x)!).toBeLessThanOrEqual(4 / 32);
  });

  it('every output element is stored exactly once, whatever the batch (the model covers the product)', () => {
    for (const batch of [1, 6, 64, 136]) {
      for (const trace of [modelGatherCsr(W, batch), modelGatherCsrT(W, batch)]) {
        const stored = new Map<number, number>();
        for (const wg of trace.dispatches[0]!.workgroups()) {
          for (const inv of wg.invocations) {
            for (const e of inv.events) {
              if (e.kind !== 'store') continue;
              for (let b = e.byteOffset; b < e.byteOffset + e.bytes; b += 4) stored.set(b, (stored.get(b) ?? 0) + 1);
            }
          }
        }
        const outRows = trace.kernel === 'spmm_csr' ? W.rows : W.cols;
        expect(stored.size).toBe(outRows * batch);
        expect([...stored.values()].every((n) => n === 1)).toBe(true);
      }
    }
  });

  it('the transpose gather reads values through perm and X as the forward does', () => {
    const op = analyzeOperation(modelGatherCsrT(W, 128), PROFILES.h100);
    const d = op.dispatches[0]!;
    expect(op.model.variant).toBe('emulation CSR+PERM+VEC4');
    expect(sectorsPer512B(byBuffer(d, 'X').loads)).toBe(32);
    expect(byBuffer(d, 'perm').loads.accesses).toBe(byBuffer(d, 'values').loads.accesses);
  });

  it('SDDMM, batch 128 (VEC4): X 32 sectors (32 lines) per 512 B, coalesced indices and stores', () => {
    const op = analyzeOperation(modelSddmmCsr(W, 128), PROFILES.h100);
    const d = op.dispatches[0]!;
    const x = byBuffer(d, 'X').loads;
    expect(sectorsPer512B(x)).toBe(32);
    expect(linesPer512B(x)! * 4).toBe(128); // the "about 128", counted in 128-byte lines
    // Neighbouring entries share their dY row: a broadcast of 16 bytes, 1 or 2 sectors.
    expect(sectorsPer512B(byBuffer(d, 'dY').loads)!).toBeGreaterThanOrEqual(32);
    expect(sectorsPer512B(byBuffer(d, 'dY').loads)!).toBeLessThan(40);
    expect(sectorsPer512B(byBuffer(d, 'rowOf').loads)).toBeCloseTo(16, 0);
    expect(op.model.sectorsPer512B.stores).toBeCloseTo(16, 0);
    expect(op.model.maxSerialSteps).toBe(2 + 2 * 32 + 1);
    expect(op.model.workgroupsPerSM.dispatched).toBeCloseTo(Math.ceil(W.nnz / 64) / 132, 12);
  });

  it('SDDMM, batch 6: scalar loads of both operands, about 128 sectors per 512 B for X', () => {
    const op = analyzeOperation(modelSddmmCsr(W, 6), PROFILES.h100);
    expect(op.model.variant).toBe('emulation CSR');
    // A sector per 4-byte load, less where neighbouring entries' X rows (24 B) share one.
    const x = sectorsPer512B(byBuffer(op.dispatches[0]!, 'X').loads)!;
    expect(x).toBeLessThanOrEqual(128);
    expect(x).toBeGreaterThan(110);
    // 4 loads of dY and 4 of X in the full quad, 2 + 2 in the partial one.
    expect(op.model.maxSerialSteps).toBe(2 + 8 + 4 + 1);
  });

  it('a sample of workgroups gives the figures of the whole dispatch, within a few per cent', () => {
    const all = analyzeOperation(modelGatherCsr(W, 128), PROFILES.h100).model;
    const sampled = analyzeOperation(modelGatherCsr(W, 128, { maxWorkgroups: 8 }), PROFILES.h100).model;
    expect(sampled.sectorsPer512B.all!).toBeCloseTo(all.sectorsPer512B.all!, 0);
    expect(sampled.maxSerialSteps).toBe(all.maxSerialSteps); // the first workgroup holds the longest rows
    expect(sampled.workgroupsPerSM).toEqual(all.workgroupsPerSM);
  });
});

describe("issue 13's floors for the gpu profile (H100-class profile, 32-byte sectors)", () => {
  // The model's shapes (512² and 4096² at 90 and 99 % sparsity); 4096² is
  // analysed on 32 evenly spaced workgroups, as `npm run bench -- --model` does.
  const layers = [512, 4096].flatMap((n) => [0.9, 0.99].map((sparsity) => ({ n, sparsity, W: CSRMatrix.random({ rows: n, cols: n, density: 1 - sparsity, seed: 1 }) })));
  const options = { maxWorkgroups: 32 };
  const gathers = [
    ['spmm_csr', modelGatherCsr, modelGatherCsrWarp],
    ['spmm_csr_t', modelGatherCsrT, modelGatherCsrTWarp],
  ] as const;

  for (const batch of [64, 128]) {
    for (const [kernel, emulation, gpu] of gathers) {
      it(`${kernel}, batch ${batch}: ≤ 20 sectors per 512 useful bytes and every lane of a row's warp on its batch columns (the emulation shader beside it: > 32, half idle at 64)`, () => {
        for (const { n, sparsity, W } of layers) {
          const at = `${n}² at ${sparsity}`;
          const op = analyzeOperation(gpu(W, batch, options), PROFILES.h100);
          const d = op.dispatches[0]!;
          expect(op.model.sectorsPer512B.all!, at).toBeLessThanOrEqual(20);
          expect(op.model.sectorsPer512B.loads!, at).toBeLessThanOrEqual(20);
          // X loads and Y stores, the accesses that grow with the batch: all 32 lanes, every time.
          expect(activeLanes(d.byBuffer.get('X')!.loads), at).toBe(1);
          expect(activeLanes(d.byBuffer.get('Y')!.stores), at).toBe(1);
          expect(sectorsPer512B(d.byBuffer.get('X')!.loads), at).toBe(16);
          // With the row's pointers and the staged pairs (rows of ~5 entries at 99 % stage on 5 lanes of 32): ≥ 0.86 in all.
          expect(op.model.activeLanes!, at).toBeGreaterThan(batch === 64 && n === 512 && sparsity === 0.99 ? 0.85 : 0.9);
          const old = analyzeOperation(emulation(W, batch, options), PROFILES.h100).model;
          expect(old.sectorsPer512B.all!, at).toBeGreaterThan(32);
          if (batch === 64) expect(old.activeLanes!, at).toBeLessThanOrEqual(0.5);
        }
      });
    }

    it(`sddmm_csr, batch ${batch}: ≤ 24 sectors per 512 useful bytes (the emulation shader: about 31.5)`, () => {
      for (const { n, sparsity, W } of layers) {
        const at = `${n}² at ${sparsity}`;
        const op = analyzeOperation(modelSddmmCsrWarp(W, batch, options), PROFILES.h100);
        expect(op.model.sectorsPer512B.all!, at).toBeLessThanOrEqual(24);
        const d = op.dispatches[0]!;
        for (const buffer of ['X', 'dY']) {
          expect(sectorsPer512B(d.byBuffer.get(buffer)!.loads), `${at} ${buffer}`).toBe(16);
          expect(activeLanes(d.byBuffer.get(buffer)!.loads), `${at} ${buffer}`).toBe(1);
        }
        // 8 results of a workgroup in one 32-byte store.
        expect(sectorsPer512B(d.byBuffer.get('outValues')!.stores)!, at).toBeLessThan(16.5);
        expect(analyzeOperation(modelSddmmCsr(W, batch, options), PROFILES.h100).model.sectorsPer512B.all!, at).toBeGreaterThan(31);
      }
    });
  }

  it('the gpu models cover the product: every output stored once, every stored entry of W read once per batch column', () => {
    const W = CSRMatrix.random({ rows: 77, cols: 45, density: 0.2, seed: 3 });
    for (const batch of [1, 33, 64, 130]) {
      for (const trace of [modelGatherCsrWarp(W, batch), modelGatherCsrTWarp(W, batch), modelSddmmCsrWarp(W, batch)]) {
        const stored = new Map<number, number>();
        let xLoads = 0;
        for (const wg of trace.dispatches[0]!.workgroups()) {
          for (const inv of wg.invocations) {
            for (const e of inv.events) {
              if (e.kind === 'store') stored.set(e.byteOffset, (stored.get(e.byteOffset) ?? 0) + 1);
              else if (e.buffer === 'X') xLoads++;
            }
          }
        }
        const outputs = trace.kernel === 'spmm_csr' ? W.rows * batch : trace.kernel === 'spmm_csr_t' ? W.cols * batch : W.nnz;
        expect(stored.size, `${trace.kernel} batch ${batch}`).toBe(outputs);
        expect([...stored.values()].every((c) => c === 1)).toBe(true);
        expect(xLoads, `${trace.kernel} batch ${batch}`).toBe(W.nnz * batch);
      }
    }
  });
});

describe('npm run bench -- --model', () => {
  it('prints the model, times nothing, and writes model: { profile, kernels } that the schema accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgsparse-model-'));
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(dir, 'model.json');
      expect(await benchMain(['--model', '--model-shapes', '64x64x64', '--model-sparsities', '0.9', '--model-profile', 'amd-cdna', '--out', out])).toBe(0);
      const printed = logs.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toContain('64-lane warps');
      expect(printed).toMatch(/spmm_csr_t\s+emulation CSR\+PERM\+VEC4/);
      expect(printed).toMatch(/spmm_csr_t\s+gpu CSR\+PERM gatherWarp/);
      const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
      expect(validateReport(report)).toEqual([]);
      expect(report.cases).toEqual([]);
      expect(report.skipped[0]!.label).toBe('timing suite');
      expect(report.model!.profile.name).toBe('amd-cdna');
      expect(report.model!.kernels.map((k) => `${k.kernel} ${k.variant}`)).toEqual([
        'spmm_csr emulation CSR+VEC4',
        'spmm_csr gpu CSR gatherWarp',
        'spmm_csr_t emulation CSR+PERM+VEC4',
        'spmm_csr_t gpu CSR+PERM gatherWarp',
        'sddmm_csr emulation CSR+VEC4',
        'sddmm_csr gpu CSR sddmmWarp',
        'gemm emulation NN main',
        'gemm gpu NN tileGpu',
        'set-evolve emulation (before)',
        'set-evolve gpu (after)',
        ...skewedLayers().flatMap((l) => [false, true].map((after) => `${l.transpose ? 'spmm_csr_t' : 'spmm_csr'} ${modelGatherSkew(l, 1, after).variant}`)),
      ]);
      for (const k of report.model!.kernels) {
        if (k.kernel === 'set-evolve') continue; // at 1 M connections whatever the shapes asked for (see the SET evolution block)
        if (k.rows === 4096 && k.batch === 128 && k.kernel !== 'gemm') continue; // the skewed layers, whatever the shapes (see the skewed-layers block)
        expect(Object.keys(k).sort()).toEqual(
          ['kernel', 'variant', 'rows', 'cols', 'batch', 'sparsity', 'sectorsPer512B', 'activeLanes', 'workgroupsPerSM', 'maxSerialSteps', 'dispatches', 'readbacks', ...(k.kernel === 'gemm' ? ['workgroupMemory'] : [])].sort(),
        );
        expect(k).toMatchObject({ rows: 64, cols: 64, batch: 64, dispatches: 1, readbacks: 1 });
      }
      // 64-lane wavefronts hold 8 rows × 4 active column runs of the gather at batch 64: half idle, as with 32 lanes.
      expect(report.model!.kernels[0]!.activeLanes!).toBeLessThanOrEqual(0.5);
      // The training step, counted from the trainer's recording on the test's WebGPU device (floor: at most 15 fused).
      expect(report.model!.trainSteps!.map((t) => `${t.profile} ${t.fused ? 'fused' : 'separate'} ${t.dispatches}`)).toEqual(['emulation fused 12', 'emulation separate 35', 'gpu fused 12', 'gpu separate 35']);
      expect(printed).toContain('train step, reference SET-MLP 784-1000-1000-1000-10, batch 128, gpu profile, fused: 12 dispatches');
    } finally {
      logs.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    // The whole model, SET evolution at 1 M connections and the 4096² skewed layers included: ~30 s on a quiet
    // 2-core machine, 115 s at load 16 (others' suites); a hang guard, not a speed test.
  }, 360_000);

  it('the schema refuses a model off its format; --model-profile takes the four profiles only', () => {
    const { model } = { model: { profile: { ...PROFILES.h100 }, traces: 'js-model', kernels: [] as unknown[] } };
    expect(validateModel(model)).toEqual([]);
    const good = analyzeOperation(modelSddmmCsr(CSRMatrix.random({ rows: 32, cols: 32, density: 0.5, seed: 1 }), 8), PROFILES.h100).model;
    expect(validateModel({ ...model, kernels: [good] })).toEqual([]);
    expect(validateModel({ ...model, kernels: [{ ...good, sectorsPer512B: { loads: 10, stores: null, all: 10 } }] })).toEqual([
      'model.kernels[0].sectorsPer512B.all is below 16, which 32-byte sectors cannot reach',
    ]);
    expect(validateModel({ ...model, profile: { ...PROFILES.h100, name: 'gtx' } })[0]).toMatch(/model.profile.name/);
    expect(validateModel({ ...model, kernels: [{ ...good, readbacks: -1, activeLanes: 2 }] })).toHaveLength(2);
    const bare = { schema: 'wgsparse-bench/1', date: new Date().toISOString(), adapter: null, features: [], limits: {}, skipped: [], cases: [] };
    expect(validateReport(bare)).toContain('cases must be a non-empty array (or empty beside a model)');
    expect(validateReport({ ...bare, model })).toEqual([]);
    expect(parseBenchArgv(['--model', '--model-profile', 'intel-xe-lp'])).toMatchObject({ model: true, modelProfile: 'intel-xe-lp' });
    expect(() => parseBenchArgv(['--model-profile', 'gtx'])).toThrow(OptionError);
  });
});

describe('skewed layers: gatherWarp before and after length bins and split rows (bench/model/kernels.ts, batch 128)', () => {
  // Analysed on 32 evenly spaced workgroups, as `npm run bench -- --model` does; the longest rows sit in workgroup 0 (sampled) after.
  const options = { maxWorkgroups: 32 };
  const figures = (name: string, after: boolean, profile: 'h100' | 'amd-cdna') => analyzeOperation(modelGatherSkew(skewedLayers().find((l) => l.name === name)!, 128, after, options), PROFILES[profile]).model;

  it('power-law rows and power-law columns (4096²): the longest invocation walks a quarter of the longest row (16,648 → 4,178 and 16,776 → 4,211 steps), still ≤ 20 sectors per 512 B', () => {
    for (const name of ['power-law rows', 'power-law columns']) {
      const before = figures(name, false, 'h100');
      const after = figures(name, true, 'h100');
      expect(after.maxSerialSteps, name).toBeLessThan(before.maxSerialSteps / 3.9);
      expect(after.sectorsPer512B.all!, name).toBeLessThanOrEqual(20);
      expect(after.workgroupsPerSM.dispatched, name).toBe(before.workgroupsPerSM.dispatched);
      // One row per 32-lane warp: idle warps of a workgroup make no accesses, so this figure barely moves (a split row's last quarter stages fewer pairs).
      expect(after.activeLanes!, name).toBeGreaterThan(before.activeLanes! - 0.01);
    }
  });

  it('with 64-lane wavefronts (two rows each) the binned order pairs rows of like length: active lanes 0.79 → 0.99 (power laws), 0.91 → 0.93 (ER transpose)', () => {
    for (const name of ['power-law rows', 'power-law columns', 'ER']) {
      const before = figures(name, false, 'amd-cdna');
      const after = figures(name, true, 'amd-cdna');
      expect(after.activeLanes!, name).toBeGreaterThan(before.activeLanes! + 0.015);
      if (name !== 'ER') {
        expect(before.activeLanes!, name).toBeLessThan(0.8);
        expect(after.activeLanes!, name).toBeGreaterThan(0.98);
      }
    }
  });

  it("an ER layer's transpose (binomial columns, mean 41) splits nothing: same serial steps within the header load and sampling", () => {
    const after = figures('ER', true, 'h100');
    const before = figures('ER', false, 'h100');
    expect(after.maxSerialSteps).toBeLessThanOrEqual(before.maxSerialSteps * 1.02);
    expect(after.activeLanes!).toBeCloseTo(before.activeLanes!, 2);
  });
});

describe('SET evolution model (bench/model/evolution.ts) at 1 M connections, and against a real run', () => {
  it('counts the dispatches and read-backs a real evolveResident records on SwiftShader, on both kernel profiles', async () => {
    const engine = await gpuEngine();
    for (const profile of ['emulation', 'gpu'] as const) {
      for (const [W, second] of [
        [CSRMatrix.random({ rows: 300, cols: 200, density: 0.2, seed: 3 }), false],
        // Long columns (the band-wise transpose) and a second optimizer state.
        [CSRMatrix.random({ rows: 120, cols: 20, density: 0.6, seed: 4 }), true],
      ] as const) {
        const ctx = new GpuContext(engine.device!, false, undefined, undefined, profile);
        const { counts } = countRuns(ctx);
        const operand = ResidentCsr.upload(ctx, W, new Float32Array(W.nnz), second ? new Float32Array(W.nnz) : undefined, { training: true });
        try {
          const { rounds } = await evolveResident(operand, 0.3, { kind: 'random', seed: 11, limit: 0.1 });
          const model = modelEvolution(W, 0.3, 11, profile, { training: true, second });
          expect(model.rounds).toBe(rounds);
          expect(model.dispatches.length, `${profile} dispatches`).toBe(counts.dispatches);
          expect(model.readbacks, `${profile} read-backs`).toBe(counts.readbacks);
          expect(model.submissions).toBe(counts.submissions);
          // And the run it counted gave the CPU twin's layer.
          const cpu = evolveCpu(W, new Float32Array(W.nnz), second ? new Float32Array(W.nnz) : undefined, 0.3, { kind: 'random', seed: 11, limit: 0.1 });
          const got = await operand.read(second);
          expect(got.W.colIdx).toEqual(cpu.W.colIdx);
          expect(got.W.values).toEqual(cpu.W.values);
          expect(got.second).toEqual(cpu.second);
        } finally {
          operand.release();
        }
      }
    }
  }, 60_000);

  it('gpu profile at 1 M connections (4096² at 6 %, 1024² at 95 %), a real run on SwiftShader: one submission, one read-back (the final counters), as the model counts', async () => {
    const engine = await gpuEngine();
    const ctx = new GpuContext(engine.device!, false, undefined, undefined, 'gpu');
    for (const W of [CSRMatrix.random({ rows: 4096, cols: 4096, density: 0.06, seed: 1 }), CSRMatrix.random({ rows: 1024, cols: 1024, density: 0.95, seed: 1 })]) {
      const { counts, spy } = countRuns(ctx);
      const operand = ResidentCsr.upload(ctx, W, new Float32Array(W.nnz), undefined, { training: true });
      try {
        const { rounds } = await evolveResident(operand, 0.3, { kind: 'random', seed: 7, limit: 0.05 });
        spy.mockRestore();
        const model = modelEvolution(W, 0.3, 7, 'gpu');
        expect(rounds).toBe(model.rounds);
        expect([counts.dispatches, counts.readbacks, counts.submissions]).toEqual([model.dispatches.length, model.readbacks, model.submissions]);
        expect(counts.readbacks).toBe(1);
        const cpu = evolveCpu(W, new Float32Array(W.nnz), undefined, 0.3, { kind: 'random', seed: 7, limit: 0.05 });
        const got = await operand.read();
        expect(got.W.colIdx).toEqual(cpu.W.colIdx);
        expect(got.W.values).toEqual(cpu.W.values);
      } finally {
        spy.mockRestore();
        operand.release();
      }
    }
  }, 300_000);

  it('gpu profile: no invocation above 1,024 dependent steps at 1 M connections (4096² at 6 %, 1024² at 95 %); emulation shows the chains it replaces', () => {
    for (const [W, emulationLongest] of [
      [CSRMatrix.random({ rows: 4096, cols: 4096, density: 0.06, seed: 1 }), 'csrScatterColumnBlocks'],
      [CSRMatrix.random({ rows: 1024, cols: 1024, density: 0.95, seed: 1 }), 'regrowValidate'],
    ] as const) {
      expect(W.nnz).toBeGreaterThan(950_000);
      const before = modelEvolution(W, 0.3, 7, 'emulation');
      const after = modelEvolution(W, 0.3, 7, 'gpu');
      console.log(
        `[set-evolve model] ${W.rows}×${W.cols} nnz ${W.nnz}: emulation ${before.dispatches.length} dispatches, ${before.readbacks} read-backs, max ${before.maxSerialSteps} steps (${before.longest}); ` +
          `gpu ${after.dispatches.length} dispatches, ${after.readbacks} read-backs, max ${after.maxSerialSteps} steps (${after.longest})`,
      );
      expect(before.longest).toBe(emulationLongest);
      expect(before.maxSerialSteps).toBeGreaterThan(1024);
      expect(after.maxSerialSteps).toBeLessThanOrEqual(1024);
      expect(after.rounds).toBe(before.rounds);
      // The floor: no host read-back but the final counters (emulation: the kept count and one nnz per round).
      expect(after.readbacks).toBe(1);
      expect(after.submissions).toBe(1);
      expect(before.readbacks).toBe(1 + before.rounds);
    }
  }, 60_000);
});

describe('GEMM model (bench/model/gemm.ts): workgroup-memory banks, reuse, occupancy; issue 13 floors for the gpu profile', () => {
  /** A toy 32-lane dispatch in workgroup memory: lane l accesses `bytes` at `offset(l)`. */
  const banksOf = (offset: (lane: number) => number, bytes = 4, kind: 'load' | 'store' = 'load') =>
    analyzeBankConflicts(toy(32, 1, (_g, l, rec) => (kind === 'load' ? rec.load(0, 'tile', offset(l), bytes) : rec.store(0, 'tile', offset(l), bytes))), w32);

  it('bank conflicts on toy accesses with known answers (32 banks of 4 bytes)', () => {
    expect(banksOf((l) => 4 * l).loads).toEqual({ accesses: 1, wavefronts: 1, idealWavefronts: 1, maxWays: 1 });
    expect(banksOf((l) => 8 * l).loads.maxWays).toBe(2); // stride 2 words
    expect(banksOf((l) => 128 * l, 4, 'store').stores).toEqual({ accesses: 1, wavefronts: 32, idealWavefronts: 1, maxWays: 32 }); // one bank
    expect(banksOf(() => 12).loads.maxWays).toBe(1); // a broadcast
    expect(banksOf((l) => 4 * (l % 16) + 256 * Math.floor(l / 16)).loads.maxWays).toBe(2); // two rows of 64 words, same banks
    // vec4: quarter-warps of 8 lanes; consecutive vec4s fill the 32 banks once per phase.
    expect(banksOf((l) => 16 * l, 16).loads).toEqual({ accesses: 1, wavefronts: 4, idealWavefronts: 4, maxWays: 1 });
    expect(banksOf((l) => 32 * l, 16).loads.maxWays).toBe(2); // every other vec4: 8 lanes on 16 banks
    expect(banksOf(() => 0, 16).loads).toMatchObject({ wavefronts: 4, maxWays: 1 });
  });

  const options = { maxWorkgroups: 32 };
  const gemmOf = (profile: 'emulation' | 'gpu', m: number, n: number, k: number, transA = false, transB = false, extra: { maxWorkgroups?: number; maxKSteps?: number } = options) =>
    analyzeGemm(modelGemm(profile, { m, n, k }, { transA, transB, ...extra }), PROFILES.h100);

  it('the models cover the product: every output stored once (partials, then C, with split-K), every element of op(A) read once per column tile, of op(B) once per row tile', () => {
    for (const [m, n, k] of [[70, 33, 300], [130, 65, 40], [5, 1, 1]] as const) {
      for (const profile of ['emulation', 'gpu'] as const) {
        for (const [transA, transB] of [[false, false], [true, true]] as const) {
          const trace = modelGemm(profile, { m, n, k }, { transA, transB, maxKSteps: Infinity });
          const [tileM, tileN] = profile === 'gpu' ? [128, 64] : [64, 64];
          const stores = new Map<string, number>();
          const loads = new Map<string, number>();
          for (const d of trace.operation.dispatches) {
            for (const wg of d.workgroups()) {
              for (const inv of wg.invocations) {
                for (const e of inv.events) {
                  const map = e.kind === 'store' ? stores : loads;
                  map.set(`${e.buffer}@${e.byteOffset}`, (map.get(`${e.buffer}@${e.byteOffset}`) ?? 0) + 1);
                }
              }
            }
          }
          const at = `${profile} ${m}×${n}×${k} transA=${transA}`;
          const split = profile === 'gpu' ? gemmGrid({ m, n, k }).splits : 1;
          const count = (map: Map<string, number>, buffer: string) => [...map].filter(([key]) => key.startsWith(`${buffer}@`)).map(([, c]) => c);
          expect(count(stores, 'C').length, at).toBe(m * n);
          expect(count(stores, 'C').every((c) => c === 1), at).toBe(true);
          if (split > 1) expect(count(stores, 'partials').length, at).toBe(split * m * n);
          expect(count(loads, 'A').length, at).toBe(m * k);
          expect(count(loads, 'A').every((c) => c === Math.ceil(n / tileN)), at).toBe(true);
          expect(count(loads, 'B').length, at).toBe(k * n);
          expect(count(loads, 'B').every((c) => c === Math.ceil(m / tileM)), at).toBe(true);
        }
      }
    }
  });

  it('sampled k-steps give the figures of the whole k range (every full k-step repeats the same accesses further along K); serial steps and workgroup memory do not depend on sampling', () => {
    for (const profile of ['emulation', 'gpu'] as const) {
      const all = gemmOf(profile, 300, 100, 512, true, false, { maxKSteps: Infinity }).model;
      const sampled = gemmOf(profile, 300, 100, 512, true, false, { maxKSteps: 2 }).model;
      expect(sampled.sectorsPer512B.loads!, profile).toBeCloseTo(all.sectorsPer512B.loads!, 6);
      expect(sampled.activeLanes!, profile).toBeCloseTo(all.activeLanes!, 2);
      expect(sampled.workgroupMemory, profile).toEqual(all.workgroupMemory);
      const few = gemmOf(profile, 300, 100, 520, true, false, { maxWorkgroups: 3, maxKSteps: 2 }).model;
      const whole = gemmOf(profile, 300, 100, 520, true, false, { maxKSteps: Infinity }).model;
      expect(few.maxSerialSteps, profile).toBe(whole.maxSerialSteps);
      expect(few.workgroupsPerSM, profile).toEqual(whole.workgroupsPerSM);
      expect(few.workgroupMemory, profile).toEqual(whole.workgroupMemory);
    }
  });

  // Every 4096 × 4096 product: a layer's forward (W · X), backward (Wᵀ · dY) and weight gradient (dY · Xᵀ) at batch 64 and 128, and 4096³ in all four transpositions.
  const products = [
    ...[64, 128].flatMap((batch) => [
      { m: 4096, n: batch, k: 4096, transA: false, transB: false },
      { m: 4096, n: batch, k: 4096, transA: true, transB: false },
      { m: 4096, n: 4096, k: batch, transA: false, transB: true },
    ]),
    ...[false, true].flatMap((transA) => [false, true].map((transB) => ({ m: 4096, n: 4096, k: 4096, transA, transB }))),
  ];

  it('gpu (tileGpu): no bank conflicts, 32 multiply-adds per 3 workgroup-memory loads, ≥ 2 workgroups per H100 SM, coalesced, for every 4096 × 4096 product; the emulation shader (main) beside it misses', () => {
    for (const { m, n, k, transA, transB } of products) {
      const at = `${m}×${n}×${k} transA=${transA} transB=${transB}`;
      const gpu = gemmOf('gpu', m, n, k, transA, transB);
      expect(gpu.workgroupMemory.maxConflictWays, at).toEqual({ loads: 1, stores: 1 });
      expect(gpu.workgroupMemory.conflictFactor, at).toEqual({ loads: 1, stores: 1 });
      expect(gpu.workgroupMemory.madsPerLoad!, at).toBeGreaterThanOrEqual(4);
      expect(gpu.workgroupMemory.madsPerLoad!, at).toBeCloseTo(32 / 3, 12);
      expect(gpu.model.workgroupsPerSM.dispatched, at).toBeGreaterThanOrEqual(2);
      // The reduction pass (split-K) fills the device too.
      for (const d of gpu.dispatches) expect(workgroupsPerSM(PROFILES.h100, d.workgroupCount, d.threadsPerWorkgroup).dispatched, `${at} ${d.label}`).toBeGreaterThanOrEqual(2);
      expect(gpu.model.sectorsPer512B.loads!, at).toBeCloseTo(16, 6);
      expect(gpu.model.sectorsPer512B.stores!, at).toBeCloseTo(16, 6);
      expect(gpu.model.activeLanes, at).toBe(1);

      const old = gemmOf('emulation', m, n, k, transA, transB);
      expect(old.workgroupMemory.madsPerLoad, at).toBe(2);
      // Bs[kk][4x + c]: lanes x and x + 8 on one bank.
      expect(old.workgroupMemory.maxConflictWays.loads, at).toBe(2);
      // The transposed staging stores (A when not transposed, B when transposed): 16 lanes on one bank.
      expect(old.workgroupMemory.maxConflictWays.stores, at).toBe(!transA || transB ? 16 : 1);
      if (k === 4096 && n < 4096) expect(old.model.workgroupsPerSM.dispatched, at).toBeLessThan(1);
      expect(old.model.sectorsPer512B.stores, at).toBe(64);
    }
  }, 120_000);

  it('split-K shortens the longest chain: at batch 64 the 4096 × 4096 forward runs 9 splits of 464 terms (390 accesses a thread) instead of 4096 (2064)', () => {
    const gpu = gemmOf('gpu', 4096, 64, 4096);
    expect(gpu.model).toMatchObject({ variant: 'gpu NN tileGpu split-K 9', dispatches: 2, readbacks: 1, maxSerialSteps: 29 * 12 + 32 + 10 });
    expect(gemmOf('emulation', 4096, 64, 4096).model).toMatchObject({ variant: 'emulation NN main', dispatches: 1, maxSerialSteps: 256 * 8 + 16 });
  });
});
