/**
 * The benchmark library end to end on a tiny configuration: every case is
 * checked against the float64 reference before timing, the report validates
 * against the documented schema, and the table/CSV/floors are produced.
 * (No assertion on speed: speed is measured by `npm run bench`, not by tests.)
 */
import { describe, expect, test } from 'vitest';
import { checkFloors, formatTable, toCsv } from '../bench/report.js';
import { validateReport } from '../bench/schema.js';
import { defaultConfig, runSuite, type SuiteConfig } from '../bench/suite.js';
import { cpuEngine, gpuEngine } from './helpers/engines.js';
import { timeInterleaved, type Sampler } from '../bench/timing.js';
import { createMathjsPeer, createTfjsCpuPeer } from '../bench/peers.js';

function tinyConfig(): SuiteConfig {
  const config = defaultConfig(true);
  config.shapes = [{ rows: 48, cols: 40, batch: 9 }];
  config.cpuShape = { rows: 24, cols: 32, batch: 5 };
  config.sparsities = [0.9];
  config.nm = [[2, 4]];
  config.mathjsSparsities = [0.9];
  config.timing = { runs: 10, warmups: 1, targetRunMs: 0.1, maxRepeats: 2 };
  config.evolve = [{ rows: 40, cols: 30, density: 0.2, batch: 8 }];
  return config;
}

describe('benchmark suite', () => {
  test('runs every op × format on WebGPU and the CPU and produces a valid report', async () => {
    const gpu = await gpuEngine();
    const cpu = await cpuEngine();
    const progress: number[] = [];
    const report = await runSuite(tinyConfig(), {
      gpu,
      cpu,
      peers: [await createTfjsCpuPeer(), createMathjsPeer()],
      environment: { runtime: 'vitest', platform: process.platform },
      onProgress: (p) => {
        if (p.result) progress.push(p.done);
      },
    });
    expect(validateReport(report)).toEqual([]);
    // 3 ops × (dense, csr 90%, 2:4) on the GPU + evolve/round trip/epoch + 3 CPU variants + tfjs-cpu + mathjs.
    expect(report.cases).toHaveLength(9 + 3 + 3 + 2);
    expect(progress).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (const op of ['evolve', 'evolve-roundtrip', 'epoch']) {
      const c = report.cases.find((k) => k.op === op)!;
      expect(c.nnz).toBeGreaterThan(0);
      expect(c.medianMs).toBeGreaterThan(0);
    }
    for (const c of report.cases) {
      expect(c.runs, `${c.op} ${c.format}`).toBeGreaterThanOrEqual(10);
      expect(c.maxAbsError).toBeLessThan(1e-3);
    }
    // The formats (and peers) of one op and shape take turns run by run; evolve cases time themselves.
    for (const c of report.cases) expect(c.interleaved, `${c.op} ${c.format} ${c.impl}`).toBe(['evolve', 'evolve-roundtrip', 'epoch'].includes(c.op) ? undefined : true);
    const gpuCsr = report.cases.find((c) => c.backend === 'webgpu' && c.format === 'csr' && c.op === 'forward')!;
    expect(gpuCsr.speedupVsDense).not.toBeNull();
    expect(report.adapter?.architecture).toBeTruthy();
    expect(formatTable(report)).toContain('csr 90%');
    expect(toCsv(report).split('\n')[0]).toMatch(/^op,format,n,m,sparsity/);
    expect(checkFloors(report).map((f) => f.name)).toContain('CPU CSR 90% vs mathjs sparse multiply');
  });

  test('groups over the interleaving budget are timed one case at a time, and say so', async () => {
    const config = tinyConfig();
    config.ops = ['forward'];
    config.evolve = [];
    config.interleaveBudgetBytes = 0;
    const report = await runSuite(config, { gpu: await gpuEngine(), cpu: await cpuEngine(), peers: [], environment: { runtime: 'vitest', platform: process.platform } });
    expect(validateReport(report)).toEqual([]);
    expect(report.cases).toHaveLength(3 + 3);
    // The CPU group needs no device bytes, so it still takes turns; the GPU group is over a zero budget.
    for (const c of report.cases) expect(c.interleaved, `${c.backend} ${c.format}`).toBe(c.backend === 'cpu');
  });

  test('timeInterleaved prepares every sampler first, then takes one run of each per round, rotating the order', async () => {
    const log: string[] = [];
    const fake = (name: string, ms: number): Sampler => ({
      repeatsPerRun: 1,
      timing: 'wall',
      prepare: async () => void log.push(`prepare ${name}`),
      sample: async () => {
        log.push(name);
        return ms + log.length / 1000;
      },
      dispose: () => {},
    });
    const timings = await timeInterleaved([fake('a', 1), fake('b', 2), fake('c', 3)], 10);
    expect(log.slice(0, 3)).toEqual(['prepare a', 'prepare b', 'prepare c']);
    expect(log.slice(3, 12)).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect(log.filter((x) => x === 'b')).toHaveLength(10);
    expect(timings.map((t) => t.runs)).toEqual([10, 10, 10]);
    expect(timings.map((t) => Math.floor(t.medianMs))).toEqual([1, 2, 3]);
    expect(timings.every((t) => t.minMs <= t.medianMs)).toBe(true);
  });

  test('timeInterleaved starts a sampler over when its timing mode changes mid-way (timestamps dropped)', async () => {
    let calls = 0;
    let mode: 'timestamp' | 'wall' = 'timestamp';
    const switching: Sampler = {
      repeatsPerRun: 1,
      get timing() {
        return mode;
      },
      prepare: async () => {},
      // Four GPU-time samples of 1 ms, then timestamps stop: wall samples of 5 ms.
      sample: async () => {
        calls++;
        if (calls === 5) mode = 'wall';
        return mode === 'timestamp' ? 1 : 5;
      },
      dispose: () => {},
    };
    const steady: Sampler = { repeatsPerRun: 1, timing: 'wall', prepare: async () => {}, sample: async () => 2, dispose: () => {} };
    const [t, u] = await timeInterleaved([switching, steady], 10);
    expect(t!.timing).toBe('wall');
    expect(t!.runs).toBe(10);
    expect(t!.minMs).toBe(5); // none of the 1 ms timestamp samples is left in
    expect(calls).toBe(14);
    expect(u!.runs).toBe(10);
  });

  test('the schema validator rejects what the README says is required', () => {
    expect(validateReport({})).not.toEqual([]);
    const bad = { schema: 'wgsparse-bench/1', date: 'x', adapter: null, cases: [{ op: 'forward', format: 'csr', impl: 'wgsparse', backend: 'cpu', runs: 3 }] };
    const problems = validateReport(bad);
    expect(problems).toContain('date must be an ISO date string');
    expect(problems.some((p) => p.includes('runs must be ≥ 10'))).toBe(true);
    expect(problems.some((p) => p.includes('medianMs'))).toBe(true);
  });
});
