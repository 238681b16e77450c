/**
 * Indirect dispatch in the runtime (src/gpu/gpu-context.ts): a dispatch's
 * workgroups read by the GPU from a BufferOwner.indirectArgs buffer that an
 * earlier step of the same submission wrote; zero workgroups run nothing; a
 * bound over the device's per-dimension limit is refused (an indirect count
 * is never folded). The kernel is randomFill, whose output shows which
 * workgroups ran.
 */
import { describe, expect, test } from 'vitest';
import { programs } from '../kernels/programs.js';
import { randomFill } from '../kernels/primitives/random-fill.js';
import { GpuContext } from '../src/gpu/gpu-context.js';
import { adapterName, gpuEngine } from './helpers/engines.js';

const engine = await gpuEngine();
const ctx = new GpuContext(engine.device!, false, undefined);
const { THREADS } = programs.randomFill.layout.consts;

describe(`indirect dispatch on WebGPU (${adapterName(engine)})`, () => {
  test.each([
    [0, 'no workgroup: nothing written'],
    [1, 'one workgroup'],
    [3, 'three of the four the uniforms allow'],
  ])('%i workgroups read from the buffer (%s), the rest of the output untouched', async (x) => {
    const count = 4 * THREADS;
    const got = await ctx.run('indirect fill', (s) => {
      const args = s.indirectArgs('fill workgroups', 2);
      // The second triple (byte offset 12) is the one dispatched; the first must be ignored.
      s.copy(s.upload('args', Uint32Array.of(4, 1, 1, x, 1, 1)), args, 24);
      const out = s.output('out', count * 4);
      s.dispatch(programs.randomFill, { bindings: { out }, uniforms: { count, seed: 9, stream: 2, first: 0 }, workgroups: 4, indirect: { buffer: args, offset: 12 } });
      return { result: out, byteLength: count * 4, decode: (bytes) => new Uint32Array(bytes) };
    });
    const expected = new Uint32Array(count);
    expected.set(randomFill.cpu(x * THREADS, 9, 2, 0));
    expect(got).toEqual(expected);
  });

  test("a bound over the device's workgroups per dimension is refused, naming the program", async () => {
    const maxDim = engine.device!.limits.maxComputeWorkgroupsPerDimension;
    await expect(
      ctx.run('too many', (s) => {
        const out = s.output('out', 16);
        s.dispatch(programs.randomFill, { bindings: { out }, uniforms: { count: 1 }, workgroups: maxDim + 1, indirect: { buffer: s.indirectArgs('w', 1), offset: 0 } });
        return { result: out, byteLength: 4, decode: () => 0 };
      }),
    ).rejects.toThrow(/random:fill: up to .* indirect workgroups/);
  });
});
