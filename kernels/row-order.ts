import type { OperationScope } from '../src/gpu/gpu-context.js';
import { hostKernel } from '../src/gpu/kernel.js';
import { InvalidArgumentError } from '../src/errors.js';
import { exclusiveScan } from './primitives/scan.js';
import { programs } from './programs.js';

const { ORDER_ROWS, ORDER_BINS, SCHEDULE_HEADER, SCHEDULE_STRIDE } = programs.rowOrderScatter.layout.consts;

/** The fewest entries of a long row (one split over a whole workgroup of the gpu gather): four 32-entry strips. */
export const LONG_ROW = 128;

/**
 * Entries from which a row of a matrix with `rows` rows and `nnz` entries is
 * long: the power of two at or above max(LONG_ROW, 4 × the mean length). A
 * split row costs its workgroup a quarter of its length but takes the
 * workgroup for one row instead of four, so splitting pays where a row
 * would otherwise hold up the dispatch, several times the mean; rows only
 * a little longer than the rest (an Erdős–Rényi transpose's columns) stay
 * whole (splitting them measured more serial steps in the model, not fewer).
 */
export function longRowThreshold(rows: number, nnz: number): number {
  const target = Math.max(LONG_ROW, rows > 0 ? (4 * nnz) / rows : 0);
  return 2 ** Math.ceil(Math.log2(target));
}

/** longRowThreshold as the shader takes it: the bit length of a row of that many entries. */
function longBits(rows: number, nnz: number): number {
  return 32 - Math.clz32(longRowThreshold(rows, nnz));
}
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
 * the number of long rows (≥ longRowThreshold entries, the first slots). On the GPU
 * it is rebuilt after every change of topology (ResidentCsr.recordInstall,
 * ResidentNM.replaceMask) in the submission that made it, no read-back; the
 * host builds the same words at upload.
 */
export const rowSchedule = hostKernel<[rowPtr: Uint32Array, rows: number], Uint32Array, [rowPtr: GPUBuffer, rows: number, nnz: number, schedule: GPUBuffer]>({
  name: 'rowSchedule',
  validate(rowPtr, rows) {
    if (!(rowPtr instanceof Uint32Array) || rowPtr.length !== rows + 1) throw new InvalidArgumentError('rowPtr', `must be a Uint32Array of rows + 1 = ${rows + 1} pointers`);
  },
  cpu(rowPtr, rows) {
    const out = new Uint32Array(scheduleWords(rows));
    const counts = new Uint32Array(ORDER_BINS + 1);
    for (let r = 0; r < rows; r++) counts[binKey(rowPtr[r + 1]! - rowPtr[r]!) + 1]!++;
    for (let k = 0; k < ORDER_BINS; k++) counts[k + 1]! += counts[k]!;
    out[0] = counts[ORDER_BINS - longBits(rows, rowPtr[rows]! - rowPtr[0]!)]!;
    for (let r = 0; r < rows; r++) {
      const at = SCHEDULE_HEADER + SCHEDULE_STRIDE * counts[binKey(rowPtr[r + 1]! - rowPtr[r]!)]!++;
      out[at] = r;
      out[at + 1] = rowPtr[r]!;
      out[at + 2] = rowPtr[r + 1]!;
    }
    return out;
  },
  /** Records the schedule of `rows` rows holding `nnz` entries into `schedule` (scheduleWords(rows) words): two passes around a scan. */
  encode(s: OperationScope, rowPtr, rows, nnz, schedule) {
    if (rows === 0) return;
    const blocks = Math.ceil(rows / ORDER_ROWS);
    const counts = s.output('row order bin counts', ORDER_BINS * blocks * 4);
    const uniforms = s.uniforms(programs.rowOrderCounts, { rows, blocks, longBits: longBits(rows, nnz) });
    s.dispatch(programs.rowOrderCounts, { bindings: { rowPtr, counts }, uniforms, workgroups: blocks });
    exclusiveScan.encode(s, counts, ORDER_BINS * blocks);
    s.dispatch(programs.rowOrderScatter, { bindings: { rowPtr, counts, schedule }, uniforms, workgroups: blocks });
  },
  upload(s, rowPtr, rows) {
    const ptr = s.upload('rowPtr', rowPtr);
    return { byteLength: scheduleWords(rows) * 4, encodeArgs: (schedule) => [ptr, rows, rowPtr[rows]! - rowPtr[0]!, schedule] };
  },
  decode(bytes) {
    return new Uint32Array(bytes);
  },
});
