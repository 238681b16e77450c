import { InvalidArgumentError } from '../../src/errors.js';
import type { GpuPlan, HostKernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';

const { THREADS } = programs.selectHistogram.layout.consts;
/**
 * Values per thread in the histogram passes: each workgroup streams many
 * values before it pays for its barrier and its 256 global atomics (64 per
 * thread measured 7× faster than 4 per thread on SwiftShader).
 */
const VALUES_PER_THREAD = 64;
const MAX_WORKGROUPS = 1024;

/** The float whose sortable key is `key` (inverse of sortableKey in shaders/fragments/sortable-key.wgsl). */
export function keyToFloat(key: number): number {
  const bits = key & 0x80000000 ? (key ^ 0x80000000) >>> 0 : ~key >>> 0;
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits);
  return view.getFloat32(0);
}

/**
 * A select state a pass wrote on the GPU (ranks computed there, not known
 * to the host): 32 bytes, zero but for the ranks in words 2 and 6; the
 * select runs in it in place.
 */
export interface PreparedSelect {
  state: GPUBuffer;
  selects: 1 | 2;
}

/**
 * The value at `rank` in ascending order. On the GPU a radix select over
 * `count` f32 values of a buffer, of one rank or two at once (ascending,
 * 0-based; SET's two thresholds share the passes over the values): encode
 * returns the 32-byte state buffer whose word 4j holds, after the
 * dispatches, the sortable key (see keyToFloat) of the value at ranks[j]
 * (or it selects in a PreparedSelect's state); nothing is read back. The plan (tests, host callers) selects one rank.
 */
export const selectRank: HostKernel<
  [values: Float32Array, rank: number],
  number,
  [values: GPUBuffer, count: number, ranks: readonly [number] | readonly [number, number] | PreparedSelect],
  GPUBuffer
> = {
  name: 'selectRank',
  validate(values, rank) {
    if (!(values instanceof Float32Array)) throw new InvalidArgumentError('values', 'must be a Float32Array');
    if (!Number.isInteger(rank) || rank < 0 || rank >= values.length) {
      throw new InvalidArgumentError('rank', `must be an integer in [0, ${values.length}), got ${rank}`);
    }
  },
  cpu(values, rank) {
    return Float32Array.from(values).sort()[rank]!;
  },
  encode(s, values, count, ranks) {
    let state: GPUBuffer;
    let selects: number;
    if ('state' in ranks) {
      ({ state, selects } = ranks);
    } else {
      state = s.output('select state', 32);
      s.writeWords(state, new Uint32Array([0, 0, ranks[0], 0, 0, 0, ranks[1] ?? 0, 0]));
      selects = ranks.length;
    }
    const hist = s.output('select histogram', 512 * 4);
    const workgroups = Math.max(1, Math.min(MAX_WORKGROUPS, Math.ceil(count / (THREADS * VALUES_PER_THREAD))));
    for (const shift of [24, 16, 8, 0]) {
      const uniforms = s.uniforms(programs.selectHistogram, { count, shift, selects });
      s.dispatch(programs.selectHistogram, { bindings: { values, state, hist }, uniforms, workgroups });
      // The gpu profile picks with a workgroup scan of the bins instead of one thread walking them (shaders/primitives/select.wgsl).
      s.dispatch(s.kernelProfile === 'gpu' ? programs.selectPickScan : programs.selectPick, { bindings: { state, hist }, uniforms, workgroups: 1 });
    }
    return state;
  },
  plan(s, values, rank): GpuPlan<number> {
    const buffer = s.upload('values', values);
    const state = selectRank.encode(s, buffer, values.length, [rank]);
    return { result: state, byteLength: 4, decode: (bytes) => keyToFloat(new Uint32Array(bytes)[0]!) };
  },
};
