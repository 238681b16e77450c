import { InvalidArgumentError } from '../../src/errors.js';
import { randomU32 } from '../../src/random.js';
import { hostKernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';

const { THREADS } = programs.randomFill.layout.consts;

/** count values of the counter-based stream (seed, stream) from counter `first`. */
export const randomFill = hostKernel<[count: number, seed: number, stream: number, first: number], Uint32Array, [count: number, seed: number, stream: number, first: number, out: GPUBuffer]>({
  name: 'randomFill',
  validate(count, seed, stream, first) {
    for (const [name, v] of [['count', count], ['seed', seed], ['stream', stream], ['first', first]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(name, `must be a u32, got ${v}`);
    }
  },
  cpu(count, seed, stream, first) {
    return Uint32Array.from({ length: count }, (_, i) => randomU32(seed, stream, (first + i) >>> 0));
  },
  encode(s, count, seed, stream, first, out) {
    s.dispatch(programs.randomFill, { bindings: { out }, uniforms: { count, seed, stream, first }, workgroups: Math.ceil(count / THREADS) });
  },
  // Nothing to upload: the values come from the counters alone.
  upload: (_s, count, seed, stream, first) => ({ byteLength: count * 4, encodeArgs: (out) => [count, seed, stream, first, out] }),
  decode: (bytes) => new Uint32Array(bytes),
});
