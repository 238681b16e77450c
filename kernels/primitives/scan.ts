import type { OperationScope } from '../../src/engine/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { GpuPlan, Kernel } from '../kernel.js';
import { programs } from '../programs.js';

/** Values per workgroup block; must match BLOCK in shaders/scan.wgsl. */
const SCAN_BLOCK = 3072;

/**
 * Records an in-place exclusive prefix sum of `count` u32 values in `data`
 * (no readback): blocks are scanned, their totals scanned recursively, then
 * added back. Temporaries belong to the scope. Returns nothing: the total is
 * not needed on the host (callers that need it scan count + 1 values).
 */
export function encodeExclusiveScan(s: OperationScope, data: GPUBuffer, count: number): void {
  if (count === 0) return;
  const blocks = Math.ceil(count / SCAN_BLOCK);
  const params = s.uniform([count, 0, 0, 0]);
  const sums = s.output('scan block sums', blocks * 4);
  s.dispatch({ pipeline: s.pipeline(programs.scanBlocks), buffers: [params, data, sums], workgroups: blocks });
  if (blocks > 1) {
    encodeExclusiveScan(s, sums, blocks);
    s.dispatch({ pipeline: s.pipeline(programs.scanAddOffsets), buffers: [params, data, sums], workgroups: blocks });
  }
}

/** Exclusive prefix sum as a standalone kernel (tests, and host-side callers). */
export const exclusiveScan: Kernel<[values: Uint32Array], Uint32Array> = {
  name: 'exclusiveScan',
  validate(values) {
    if (!(values instanceof Uint32Array)) throw new InvalidArgumentError('values', 'must be a Uint32Array');
  },
  cpu(values) {
    const out = new Uint32Array(values.length);
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      out[i] = sum;
      sum = (sum + values[i]!) >>> 0;
    }
    return out;
  },
  plan(s, values): GpuPlan<Uint32Array> {
    const data = s.upload('values', values);
    encodeExclusiveScan(s, data, values.length);
    return { result: data, byteLength: values.byteLength, decode: (bytes) => new Uint32Array(bytes) };
  },
};
