/**
 * Floors and skips carry their reasons: a MISS of a GPU floor measured on
 * SwiftShader says the floor needs a real GPU, a CPU-only report lists the GPU
 * cases and floors it could not measure (in `skipped`, with the reason), and
 * the JSON written by the CLI and the page (finishReport) validates.
 */
import { describe, expect, test } from 'vitest';
import { checkFloors, emulatedAdapter, finishReport, formatFloors } from '../bench/report.js';
import { BENCH_SCHEMA, validateReport, type BenchCaseResult, type BenchReport } from '../bench/schema.js';
import { defaultConfig, runSuite } from '../bench/suite.js';
import { cpuEngine } from './helpers/engines.js';

const SWIFTSHADER = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' };

function result(c: Partial<BenchCaseResult> & Pick<BenchCaseResult, 'op' | 'format' | 'backend' | 'medianMs'>): BenchCaseResult {
  return {
    n: null,
    m: null,
    sparsity: 0,
    rows: 512,
    cols: 512,
    batch: 64,
    nnz: 1000,
    impl: 'wgsparse',
    minMs: c.medianMs,
    runs: 10,
    repeatsPerRun: 1,
    timing: 'wall',
    gflops: 1,
    denseEquivalentGflops: 1,
    gbps: 1,
    speedupVsDense: null,
    maxAbsError: 0,
    ...c,
  };
}

function report(adapter: BenchReport['adapter'], cases: BenchCaseResult[], skipped: BenchReport['skipped'] = []): BenchReport {
  return {
    schema: BENCH_SCHEMA,
    date: new Date(0).toISOString(),
    adapter,
    features: [],
    limits: {},
    environment: { runtime: 'vitest', platform: 'test' },
    config: {
      quick: true,
      runs: 10,
      shapes: [{ rows: 512, cols: 512, batch: 64 }],
      cpuShape: { rows: 512, cols: 512, batch: 64 },
      ops: ['forward'],
      sparsities: [0.9, 0.99],
      nm: [[2, 4]],
      evolve: [{ rows: 4096, cols: 4096, density: 0.06, batch: 128 }],
      peers: ['tfjs-webgpu', 'tfjs-cpu', 'mathjs'],
    },
    skipped,
    cases,
  };
}

const evolveCases = [
  result({ op: 'evolve', format: 'csr', backend: 'webgpu', medianMs: 644, rows: 4096, cols: 4096, nnz: 1_000_000 }),
  result({ op: 'evolve-roundtrip', format: 'csr', backend: 'cpu', medianMs: 162, rows: 4096, cols: 4096, nnz: 1_000_000 }),
  result({ op: 'epoch', format: 'csr', backend: 'webgpu', medianMs: 695_718, rows: 4096, cols: 4096, nnz: 1_000_000 }),
];

describe('floors say why they missed or were not measured', () => {
  test('a GPU floor missed on SwiftShader says, on its MISS line, that it needs a real GPU', () => {
    const floors = checkFloors(report(SWIFTSHADER, evolveCases));
    const evolve = floors.find((f) => f.name.startsWith('GPU evolve vs CPU round trip'))!;
    expect(evolve).toMatchObject({ status: 'miss', pass: false, needsGpu: true });
    expect(evolve.reason).toContain('SwiftShader');
    expect(evolve.reason).toContain('real GPU');
    const line = formatFloors(floors).split('\n').find((l) => l.includes('GPU evolve vs CPU round trip'))!;
    expect(line).toMatch(/^ {2}MISS {2}GPU evolve vs CPU round trip .* 0\.25× \(floor 5×; .*\) — the adapter is SwiftShader, a CPU emulation of a GPU: this floor needs a real GPU/);
    // A passing floor needs no excuse; on a real GPU a miss gets none either.
    expect(floors.find((f) => f.name.startsWith('epoch'))!).toMatchObject({ status: 'pass', reason: null });
    const real = checkFloors(report({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }, evolveCases));
    expect(real.find((f) => f.name.startsWith('GPU evolve'))!).toMatchObject({ status: 'miss', reason: null });
    expect(emulatedAdapter(SWIFTSHADER)).toContain('SwiftShader');
    expect(emulatedAdapter(null)).toBeNull();
  });

  test('without an adapter every GPU floor is listed as not measured, with the reason, in floors and in skipped', () => {
    const cpuOnly = report(null, [
      result({ op: 'forward', format: 'csr', backend: 'cpu', medianMs: 1, sparsity: 0.9 }),
      result({ op: 'forward', format: 'dense', backend: 'cpu', medianMs: 5, impl: 'tfjs-cpu' }),
      result({ op: 'forward', format: 'csr', backend: 'cpu', medianMs: 60, sparsity: 0.9, impl: 'mathjs' }),
    ]);
    const finished = finishReport(cpuOnly);
    const gpuFloors = finished.floors.filter((f) => f.needsGpu);
    expect(gpuFloors.map((f) => f.name)).toEqual([
      'wgsparse GEMM vs tfjs-webgpu matMul, 512×512×64',
      'CSR 90% vs wgsparse GEMM, 512×512×64',
      'CSR 99% vs wgsparse GEMM, 512×512×64',
      '2:4 vs wgsparse GEMM, 512×512×64',
      'GPU evolve vs CPU round trip (read back, evolve, upload), 4096×4096 at density 0.06',
      'epoch (forward + backward, 60,000 samples) vs GPU evolve, 4096×4096 at density 0.06',
    ]);
    for (const f of gpuFloors) expect(f, f.name).toMatchObject({ status: 'not measured', ratio: null, reason: expect.stringContaining('no WebGPU adapter') });
    expect(formatFloors(finished.floors)).toMatch(/^ {2}SKIP {2}CSR 90% vs wgsparse GEMM, 512×512×64: not measured \(floor 4×\) — no WebGPU adapter/m);
    expect(finished.skipped.filter((s) => s.kind === 'check').map((s) => s.label)).toEqual(gpuFloors.map((f) => f.name));
    expect(validateReport(finished)).toEqual([]);
    // The CPU floors were measured.
    expect(finished.floors.filter((f) => !f.needsGpu).map((f) => f.status)).toEqual(['pass', 'pass']);
  });

  test('a floor whose cases were switched off says which option did it', () => {
    const r = report(SWIFTSHADER, []);
    r.config.peers = [];
    r.config.evolve = [];
    r.config.sparsities = [0.5];
    r.cases = [result({ op: 'forward', format: 'dense', backend: 'webgpu', medianMs: 10 })];
    const floors = checkFloors(r);
    const reason = (prefix: string) => floors.find((f) => f.name.startsWith(prefix))!.reason;
    expect(reason('wgsparse GEMM vs tfjs-webgpu')).toContain('peers off');
    expect(reason('CSR 90% vs wgsparse GEMM')).toContain('0.9 was not among the sparsities');
    expect(reason('GPU evolve')).toContain('evolve off');
    expect(reason('CPU CSR 90% vs mathjs')).toContain('peers off');
  });

  test('a CSR case that came out off the asked sparsity (a small shape) is named as the reason its floor was not measured', () => {
    const r = report(null, [
      result({ op: 'forward', format: 'csr', backend: 'cpu', medianMs: 1, sparsity: 0.922, rows: 32, cols: 32 }),
      result({ op: 'forward', format: 'dense', backend: 'cpu', medianMs: 5, impl: 'tfjs-cpu', rows: 32, cols: 32 }),
    ]);
    const floor = checkFloors(r).find((f) => f.name === 'CPU CSR 90% vs tfjs-cpu dense matMul')!;
    expect(floor.status).toBe('not measured');
    expect(floor.reason).toBe("the CSR case asked at 0.9 came out at 92.2 % sparsity (32×32: too small a shape to land within the floor's tolerance)");
  });

  test('a CPU-only suite run lists every GPU case it could not measure, with the reason (not "skipped": [])', async () => {
    const config = defaultConfig(true);
    config.shapes = [{ rows: 48, cols: 40, batch: 9 }];
    config.cpuShape = { rows: 24, cols: 32, batch: 5 };
    config.sparsities = [0.9];
    config.nm = [[2, 4]];
    config.ops = ['forward', 'sddmm'];
    config.timing = { runs: 10, warmups: 1, targetRunMs: 0.1, maxRepeats: 2 };
    config.evolve = [{ rows: 40, cols: 30, density: 0.2, batch: 8 }];
    const r = await runSuite(config, { gpu: undefined, gpuUnavailable: 'navigator.gpu is missing', cpu: await cpuEngine(), peers: [], environment: { runtime: 'vitest', platform: process.platform } });
    expect(validateReport(r)).toEqual([]);
    expect(r.cases.every((c) => c.backend === 'cpu')).toBe(true);
    expect(r.skipped.map((s) => s.label)).toEqual([
      'webgpu forward 48×40×9 (dense, csr 90%, 2:4)',
      'webgpu sddmm 48×40×9 (dense, csr 90%, 2:4)',
      'webgpu evolve / round trip / epoch, 40×30 at density 0.2',
    ]);
    for (const s of r.skipped) expect(s).toMatchObject({ kind: 'case', reason: 'no WebGPU adapter (navigator.gpu is missing): the GPU cases need one' });
    expect(r.config).toMatchObject({ ops: ['forward', 'sddmm'], sparsities: [0.9], peers: [] });
  });
});
