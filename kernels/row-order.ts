import type { OperationScope } from '../src/gpu/gpu-context.js';
import { hostKernel } from '../src/gpu/kernel.js';
import { InvalidArgumentError } from '../src/errors.js';
import { exclusiveScan } from './primitives/scan.js';
import { programs } from './programs.js';

const { ORDER_ROWS, ORDER_BINS, LONG_ROW_BITS, SCHEDULE_HEADER, SCHEDULE_STRIDE } = programs.rowOrderScatter.layout.consts;

/** Entries from which a row is long (split over a whole workgroup of the gpu gather): 2^(LONG_ROW_BITS − 1) = 128. */
export const LONG_ROW = 2 ** (LONG_ROW_BITS - 1);
/** The schedule's layout: header words (word 0 = long rows), then words per slot (row, first entry, end). */
export const SCHEDULE = { header: SCHEDULE_HEADER, stride: SCHEDULE_STRIDE } as const;

/** Words of the schedule of `rows` rows. */
export function scheduleWords(rows: number): number {
  return SCHEDULE_HEADER + SCHEDULE_STRIDE * rows;
}

/** The length bin of a row of `len` entries, 0 for the longest: ORDER_BINS − 1 − its bit length. */
function binKey(len: number): number {
  return ORDER_BINS - 1 - (32 - Math.clz32(len));
}

/**
 * The schedule of the 'gpu' profile's CSR gather (shaders/row-order.wgsl)
 * from row pointers: rows by length bin (⌈log2⌉ classes, longest first,
 * by index within a class), each slot carrying its row and entry range, and
 * the number of long rows (≥ LONG_ROW entries, the first slots). On the GPU
 * it is rebuilt after every change of topology (ResidentCsr.recordInstall,
 * ResidentNM.replaceMask) in the submission that made it, no read-back; the
 * host builds the same words at upload.
 */
export const rowSchedule = hostKernel<[rowPtr: Uint32Array, rows: number], Uint32Array, [rowPtr: GPUBuffer, rows: number, schedule: GPUBuffer]>({
  name: 'rowSchedule',
  validate(rowPtr, rows) {
    if (!(rowPtr instanceof Uint32Array) || rowPtr.length !== rows + 1) throw new InvalidArgumentError('rowPtr', `must be a Uint32Array of rows + 1 = ${rows + 1} pointers`);
  },
  cpu(rowPtr, rows) {
    const out = new Uint32Array(scheduleWords(rows));
    const counts = new Uint32Array(ORDER_BINS + 1);
    for (let r = 0; r < rows; r++) counts[binKey(rowPtr[r + 1]! - rowPtr[r]!) + 1]!++;
    for (let k = 0; k < ORDER_BINS; k++) counts[k + 1]! += counts[k]!;
    out[0] = counts[ORDER_BINS - LONG_ROW_BITS]!;
    for (let r = 0; r < rows; r++) {
      const at = SCHEDULE_HEADER + SCHEDULE_STRIDE * counts[binKey(rowPtr[r + 1]! - rowPtr[r]!)]!++;
      out[at] = r;
      out[at + 1] = rowPtr[r]!;
      out[at + 2] = rowPtr[r + 1]!;
    }
    return out;
  },
  /** Records the schedule of `rows` rows into `schedule` (scheduleWords(rows) words): two passes around a scan. */
  encode(s: OperationScope, rowPtr, rows, schedule) {
    if (rows === 0) return;
    const blocks = Math.ceil(rows / ORDER_ROWS);
    const counts = s.output('row order bin counts', ORDER_BINS * blocks * 4);
    const uniforms = s.uniforms(programs.rowOrderCounts, { rows, blocks });
    s.dispatch(programs.rowOrderCounts, { bindings: { rowPtr, counts }, uniforms, workgroups: blocks });
    exclusiveScan.encode(s, counts, ORDER_BINS * blocks);
    s.dispatch(programs.rowOrderScatter, { bindings: { rowPtr, counts, schedule }, uniforms, workgroups: blocks });
  },
  upload(s, rowPtr, rows) {
    const ptr = s.upload('rowPtr', rowPtr);
    return { byteLength: scheduleWords(rows) * 4, encodeArgs: (schedule) => [ptr, rows, schedule] };
  },
  decode(bytes) {
    return new Uint32Array(bytes);
  },
});
