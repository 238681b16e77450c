import type { OperationScope } from '../../src/gpu/gpu-context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { GpuPlan, HostKernel } from '../../src/gpu/kernel.js';
import { programs } from '../programs.js';

const { THREADS: SCAN_THREADS, CHUNK: SCAN_CHUNK } = programs.scanChunks.layout.consts;

/**
 * Exclusive prefix sum of u32 values (wrapping). On the GPU it runs in place
 * over `count` values of a buffer: what the compactions, transposes and
 * regrowth record; the Engine-style plan (tests, host callers) uploads the
 * values and reads them back scanned.
 */
export const exclusiveScan: HostKernel<[values: Uint32Array], Uint32Array, [data: GPUBuffer, count: number]> = {
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
  encode: recordScan,
  plan(s, values): GpuPlan<Uint32Array> {
    const data = s.upload('values', values);
    recordScan(s, data, values.length);
    return { result: data, byteLength: values.byteLength, decode: (bytes) => new Uint32Array(bytes) };
  },
};

/**
 * Records an in-place exclusive prefix sum of `count` u32 values in `data`
 * (no readback): chunk totals, their scan (recursively), then every chunk
 * rescanned from its total. Temporaries belong to the scope. Returns nothing:
 * the total is not needed on the host (callers that need it scan count + 1 values).
 */
function recordScan(s: OperationScope, data: GPUBuffer, count: number): void {
  if (count === 0) return;
  const chunks = Math.ceil(count / SCAN_CHUNK);
  const workgroups = Math.ceil(chunks / SCAN_THREADS);
  if (chunks === 1) {
    s.dispatch(programs.scanChunks, { bindings: { data, totals: s.output('scan totals', 4) }, uniforms: { count, fromTotals: 0 }, workgroups: 1 });
    return;
  }
  const uniforms = s.uniforms(programs.scanChunks, { count, fromTotals: 1 });
  const totals = s.output('scan chunk totals', chunks * 4);
  s.dispatch(programs.scanChunkTotals, { bindings: { data, totals }, uniforms, workgroups });
  recordScan(s, totals, chunks);
  s.dispatch(programs.scanChunks, { bindings: { data, totals }, uniforms, workgroups });
}
