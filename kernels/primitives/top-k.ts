import { InvalidArgumentError } from '../../src/errors.js';
import { hostKernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';
import { selectRank } from './select.js';

/** The k largest values and where they are, in ascending index order. */
export interface TopK {
  indices: Uint32Array;
  values: Float32Array;
}

/** The sortable key of an f32 (shaders/fragments/sortable-key.wgsl): -0 sorts below +0, as on the GPU. */
export function sortableKey(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  return (bits & 0x80000000 ? ~bits : bits ^ 0x80000000) >>> 0;
}

/**
 * The k largest of `count` f32 values, ties going to lower indices: a radix
 * select of the value at ascending rank count − k (selectRank, reused as it
 * is), then one workgroup that gathers the chosen indices and values in
 * ascending index order (shaders/primitives/top-k.wgsl). `encode` writes
 * 2k words into `out` (indices, then the values' bits), so a caller reads
 * back those and nothing else. Values compare by sortable key, on both
 * sides: -0 ranks below +0. NaN has no place in a ranking (validate refuses it).
 */
export const topK = hostKernel<[values: Float32Array, k: number], TopK, [values: GPUBuffer, count: number, k: number, out: GPUBuffer]>({
  name: 'topK',
  validate(values, k) {
    if (!(values instanceof Float32Array)) throw new InvalidArgumentError('values', 'must be a Float32Array');
    if (!Number.isInteger(k) || k < 1 || k > values.length) throw new InvalidArgumentError('k', `must be an integer in [1, ${values.length}], got ${String(k)}`);
    const nan = values.findIndex(Number.isNaN);
    if (nan >= 0) throw new InvalidArgumentError('values', `holds NaN at ${nan}, which has no rank`);
  },
  cpu(values, k) {
    const keys = Uint32Array.from(values, sortableKey);
    const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => keys[b]! - keys[a]! || a - b);
    const indices = Uint32Array.from(order.slice(0, k)).sort();
    return { indices, values: Float32Array.from(indices, (i) => values[i]!) };
  },
  encode(s, values, count, k, out) {
    const state = selectRank.encode(s, values, count, [count - k]);
    s.dispatch(programs.topKGather, { bindings: { values, state, out }, uniforms: { count, k }, workgroups: 1 });
  },
  upload(s, values, k) {
    const buffer = s.upload('values', values);
    return { byteLength: 8 * k, encodeArgs: (out) => [buffer, values.length, k, out] };
  },
  decode(bytes, _values, k) {
    return { indices: new Uint32Array(bytes, 0, k).slice(), values: new Float32Array(bytes, 4 * k, k).slice() };
  },
});
