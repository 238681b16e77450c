import type { OperationScope } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { GpuPlan, Kernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';
import { encodeExclusiveScan } from './scan.js';

const { THREADS } = programs.compactScatter.layout.consts;

/**
 * Records a stable compaction of the indices whose 0/1 flag is set. Returns
 * `indices` (count entries; the first `total` are meaningful) and
 * `positions` (count + 1 entries; positions[count] = total, on the GPU).
 */
export function encodeCompact(s: OperationScope, flags: GPUBuffer, count: number): { indices: GPUBuffer; positions: GPUBuffer } {
  const positions = s.output('compact positions', (count + 1) * 4);
  s.copy(flags, positions, count * 4);
  encodeExclusiveScan(s, positions, count + 1);
  const indices = s.output('compact indices', count * 4);
  s.dispatch(programs.compactScatter, { bindings: { flags, positions, indices }, uniforms: { count }, workgroups: Math.ceil(count / THREADS) });
  return { indices, positions };
}

/** Indices of the set flags, in order, as a standalone kernel (tests, host callers). */
export const compactIndices: Kernel<[flags: Uint32Array], Uint32Array> = {
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
  plan(s, flags): GpuPlan<Uint32Array> {
    const { indices } = encodeCompact(s, s.upload('flags', flags), flags.length);
    // The host learns the total from the flags it already has; the GPU never needs to send it.
    const total = flags.reduce((a, f) => a + f, 0);
    return { result: indices, byteLength: total * 4, decode: (bytes) => new Uint32Array(bytes) };
  },
};
