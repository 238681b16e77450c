/**
 * The kernel-profile comparison (bench/profiles.ts, the GPU recipe's
 * `profiles` step) dry-run on SwiftShader: both profiles measured in turns on
 * one device, their results agreeing, the model's predictions beside them.
 * Times are not checked (never timed tests); that every field is filled is.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { compareProfiles, defaultProfilesConfig, formatProfiles, PROFILES_SCHEMA } from '../bench/profiles.js';
import { gpuEngine } from './helpers/engines.js';

describe('kernel profiles side by side', () => {
  const made: Engine[] = [];
  afterAll(() => {
    for (const e of made.reverse()) e.dispose();
  });

  async function engines() {
    const device = (await gpuEngine()).device!;
    const emulation = await createEngine({ backend: 'webgpu', device, kernels: 'emulation' });
    const gpu = await createEngine({ backend: 'webgpu', device, kernels: 'gpu' });
    made.push(emulation, gpu);
    return { emulation, gpu };
  }

  test('every op and format of a shape, both profiles timed, results agreeing, CSR with the model', async () => {
    const config = { ...defaultProfilesConfig(true), shapes: [{ rows: 70, cols: 44, batch: 36 }], sparsities: [0.9], timing: { runs: 3, warmups: 1, targetRunMs: 1, maxRepeats: 2 }, modelWorkgroups: 4 };
    const seen: string[] = [];
    const report = await compareProfiles(await engines(), config, (p) => void seen.push(p.label));
    expect(report.schema).toBe(PROFILES_SCHEMA);
    expect(report.adapter?.vendor).toBeTruthy();
    // dense, CSR 90 %, 2:4 × forward, backward, SDDMM.
    expect(report.cases).toHaveLength(9);
    expect(seen).toHaveLength(9);
    for (const c of report.cases) {
      expect(c.emulation.runs).toBe(3);
      expect(c.gpu.runs).toBe(3);
      expect(c.emulation.medianMs).toBeGreaterThan(0);
      expect(c.gpu.medianMs).toBeGreaterThan(0);
      expect(c.gpuSpeedup).toBeCloseTo(c.emulation.medianMs / c.gpu.medianMs, 10);
      // Same products in another summation order: float32 rounding apart, no more.
      expect(c.maxAbsDiff).toBeLessThan(1e-4);
      if (c.format === 'csr') {
        expect(c.model!.emulation.variant).toMatch(/^emulation/);
        expect(c.model!.gpu.variant).toMatch(/^gpu/);
        expect(c.model!.gpu.loadSectorsPer512B).toBeGreaterThan(0);
      } else expect(c.model).toBeNull();
    }
    const table = formatProfiles(report);
    expect(table.split('\n')).toHaveLength(2 + 9);
    expect(table).toContain('csr 90%');
  }, 180_000);

  test('refuses two engines of one profile, or on two devices', async () => {
    const { emulation, gpu } = await engines();
    const config = defaultProfilesConfig(true);
    await expect(compareProfiles({ emulation, gpu: emulation }, config)).rejects.toThrow(/an 'emulation' and a 'gpu' engine/);
    const other = await createEngine({ backend: 'webgpu', kernels: 'gpu' });
    made.push(other);
    await expect(compareProfiles({ emulation, gpu: other }, config)).rejects.toThrow(/one device/);
    expect(gpu.kernelProfile?.profile).toBe('gpu');
  });
});
