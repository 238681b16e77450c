import { InvalidArgumentError } from '../../src/errors.js';
import { randomU32 } from '../../src/random.js';
import type { GpuPlan, Kernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';

const { THREADS } = programs.randomFill.layout.consts;

/** count values of the counter-based stream (seed, stream) from counter `first`. */
export const randomFill: Kernel<[count: number, seed: number, stream: number, first: number], Uint32Array> = {
  name: 'randomFill',
  validate(count, seed, stream, first) {
    for (const [name, v] of [['count', count], ['seed', seed], ['stream', stream], ['first', first]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(name, `must be a u32, got ${v}`);
    }
  },
  cpu(count, seed, stream, first) {
    return Uint32Array.from({ length: count }, (_, i) => randomU32(seed, stream, (first + i) >>> 0));
  },
  plan(s, count, seed, stream, first): GpuPlan<Uint32Array> {
    const out = s.output('random values', count * 4);
    s.dispatch(programs.randomFill, { bindings: { out }, uniforms: { count, seed, stream, first }, workgroups: Math.ceil(count / THREADS) });
    return { result: out, byteLength: count * 4, decode: (bytes) => new Uint32Array(bytes) };
  },
};
