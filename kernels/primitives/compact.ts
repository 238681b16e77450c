import { InvalidArgumentError } from '../../src/errors.js';
import type { GpuPlan, HostKernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';
import { exclusiveScan } from './scan.js';

const { THREADS } = programs.compactScatter.layout.consts;

/**
 * Indices of the set 0/1 flags, in order (a stable compaction). On the GPU
 * over `count` flags of a buffer, returning `indices` (count entries; the
 * first `total` are meaningful) and `positions` (count + 1 entries;
 * positions[count] = total, on the GPU); the plan (tests, host callers)
 * uploads the flags and reads the indices back.
 */
export const compactIndices: HostKernel<[flags: Uint32Array], Uint32Array, [flags: GPUBuffer, count: number], { indices: GPUBuffer; positions: GPUBuffer }> = {
  name: 'compactIndices',
  validate(flags) {
    if (!(flags instanceof Uint32Array)) throw new InvalidArgumentError('flags', 'must be a Uint32Array');
    for (let i = 0; i < flags.length; i++) if (flags[i]! > 1) throw new InvalidArgumentError('flags', `must hold 0 or 1, found ${flags[i]} at ${i}`);
  },
  cpu(flags) {
    const out: number[] = [];
    for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i);
    return Uint32Array.from(out);
  },
  encode(s, flags, count) {
    const positions = s.output('compact positions', (count + 1) * 4);
    s.copy(flags, positions, count * 4);
    exclusiveScan.encode(s, positions, count + 1);
    const indices = s.output('compact indices', count * 4);
    s.dispatch(programs.compactScatter, { bindings: { flags, positions, indices }, uniforms: { count }, workgroups: Math.ceil(count / THREADS) });
    return { indices, positions };
  },
  plan(s, flags): GpuPlan<Uint32Array> {
    const { indices } = compactIndices.encode(s, s.upload('flags', flags), flags.length);
    // The host learns the total from the flags it already has; the GPU never needs to send it.
    const total = flags.reduce((a, f) => a + f, 0);
    return { result: indices, byteLength: total * 4, decode: (bytes) => new Uint32Array(bytes) };
  },
};
