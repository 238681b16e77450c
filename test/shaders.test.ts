/**
 * Every WGSL program compiles and validates: once on Dawn's null backend
 * (validation without execution) and once on the real adapter used by the
 * kernel tests, with compilation messages and error scopes checked.
 */
import { describe, expect, test } from 'vitest';
import { create, globals } from 'webgpu';
import { programs } from '../kernels/programs.js';
import type { ShaderProgram } from '../src/gpu/program.js';
import { adapterName, gpuEngine } from './helpers/engines.js';

Object.assign(globalThis, globals);

async function compileAll(device: GPUDevice): Promise<string[]> {
  const problems: string[] = [];
  for (const program of Object.values(programs) as ShaderProgram[]) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: program.key, code: program.code() });
    const info = await module.getCompilationInfo();
    for (const m of info.messages) if (m.type === 'error') problems.push(`${program.key}:${m.lineNum}:${m.linePos} ${m.message}`);
    await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: program.entryPoint ?? 'main', constants: program.constants } }).catch((e: unknown) => {
      problems.push(`${program.key}: pipeline: ${String(e)}`);
    });
    const error = await device.popErrorScope();
    if (error) problems.push(`${program.key}: ${error.message}`);
  }
  return problems;
}

describe('every shader compiles', () => {
  test('on the Dawn null backend', async () => {
    const gpu = create(['backend=null']);
    const adapter = await gpu.requestAdapter();
    expect(adapter, 'Dawn null backend adapter').not.toBeNull();
    const device = await adapter!.requestDevice({ requiredLimits: { maxComputeInvocationsPerWorkgroup: 256 } });
    try {
      expect(await compileAll(device)).toEqual([]);
    } finally {
      device.destroy();
    }
  });

  test('on the real adapter', async () => {
    const engine = await gpuEngine();
    console.log(`compiling on ${adapterName(engine)}`);
    expect(await compileAll(engine.device!)).toEqual([]);
  });

  test('there are programs for every kernel family', () => {
    const keys = Object.values(programs).map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['spmm:csr', 'spmm:csr+perm', 'spmm:nm:2:4', 'nm-transpose', 'sddmm:csr', 'sddmm:nm', 'gemm:nn', 'gemm:tt']));
  });
});
