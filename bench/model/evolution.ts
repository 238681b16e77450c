// The GPU execution model of one SET evolution of a CSR layer (prune →
// regrow → install with the transpose index rebuilt), per kernel profile
// (emulation: one submission for the pruning, one per regrowth round, one for
// the install; gpu: all of it in one submission of ROUNDS_AHEAD rounds sized
// on the GPU, another only when nnz is still short):
// how many dispatches it records, how many blocking host read-backs it waits
// for, and the longest chain of dependent steps one invocation runs (a chain
// that no number of multiprocessors shortens). A step is the entry point's
// start or one loop iteration, its helpers' loops included (a 160-bit word
// loop, a bisection, a row walk): an invocation that runs no loop takes 1
// step, a dispatch that runs no invocation 0. Transcribed from
// kernels/set/*.ts, kernels/primitives/*.ts, kernels/csr-transpose.ts,
// kernels/row-order.ts and their shaders; test/bench-model.test.ts holds the
// dispatch and read-back counts against a real run on SwiftShader, and
// test/evolution-steps-trace.test.ts each dispatch's steps against the
// shaders' own count (bench/model/wgsl-steps.ts), so the model cannot drift
// from the code. The data-dependent sizes (kept count, candidates per round,
// bucket and cell occupancy, bisection lengths) come from the CPU twin and
// the same counter-based draws.
import { programs } from '../../kernels/programs.js';
import { doubleAsFixed, setKeepFlagsCpu, setStats } from '../../kernels/set/prune.js';
import { candidatesForRound, regrowBands, regrowRound, ROUNDS_AHEAD, validCandidates, type RegrowLayer } from '../../kernels/set/regrow.js';
import { compactCsr } from '../../kernels/set/compact-csr.js';
import { transposeBands } from '../../kernels/csr-transpose.js';
import type { KernelProfile } from '../../src/gpu/kernel-profile.js';
import type { CSRMatrix } from '../../src/index.js';
import { emptyTotals, type KernelModel, type OperationAnalysis } from './analyze.js';
import { workgroupsPerSM, type DeviceProfile } from './profiles.js';

/** One modelled dispatch: its name, workgroups, threads per workgroup and the steps of its longest invocation. */
export interface EvolutionDispatch {
  label: string;
  workgroups: number;
  threads: number;
  steps: number;
  /**
   * Where the order in which atomics hand out slots changes the count (an
   * insertion sort of slots filled in arbitrary order), the fewest steps;
   * `steps` is then the most.
   */
  fewest?: number;
}

export interface EvolutionModel {
  profile: KernelProfile;
  dispatches: EvolutionDispatch[];
  /** Blocking host read-backs (mapAsync of a result) before evolveResident returns. */
  readbacks: number;
  /** Submissions (GpuContext.run calls), read back or not. */
  submissions: number;
  rounds: number;
  maxSerialSteps: number;
  /** The dispatch holding the longest chain. */
  longest: string;
}

// Workgroup sizes as the programs declare them (kernels/programs.ts); the test compares the counts with a real run.
const { THREADS } = programs.setKeepFlags.layout.consts;
const { THREADS: SCAN_THREADS, CHUNK: SCAN_CHUNK } = programs.scanChunks.layout.consts;
const { BAND_THREADS } = programs.csrScatterEntries.layout.consts;
const { ORDER_ROWS, ORDER_BINS } = programs.rowOrderScatter.layout.consts;
const { RANK_FRAC } = programs.setThresholdRanks.layout.consts;
const { MAX_CANDIDATES } = programs.regrowSizeRound.layout.consts;
// The reductions' host constants (kernels/primitives/select.ts, kernels/set/prune.ts), restated.
const VALUES_PER_THREAD = 64;
const MAX_REDUCE_WORKGROUPS = 1024;
/** Bins pick walks per select, and the bins it clears (shaders/primitives/select.wgsl); SET selects two ranks. */
const PICK_BINS = 256;
const SELECTS = 2;

function scan(out: EvolutionDispatch[], label: string, count: number): void {
  if (count === 0) return;
  const chunks = Math.ceil(count / SCAN_CHUNK);
  const workgroups = Math.ceil(chunks / SCAN_THREADS);
  if (chunks === 1) {
    out.push({ label: `${label} scan`, workgroups: 1, threads: SCAN_THREADS, steps: 1 + count });
    return;
  }
  out.push({ label: `${label} scan totals`, workgroups, threads: SCAN_THREADS, steps: 1 + SCAN_CHUNK });
  scan(out, label, chunks);
  out.push({ label: `${label} scan chunks`, workgroups, threads: SCAN_THREADS, steps: 1 + SCAN_CHUNK });
}

function reduceGrid(count: number): { workgroups: number; steps: number } {
  const workgroups = Math.max(1, Math.min(MAX_REDUCE_WORKGROUPS, Math.ceil(count / (THREADS * VALUES_PER_THREAD))));
  return { workgroups, steps: 1 + Math.ceil(count / (workgroups * THREADS)) };
}

/** Iterations of columnsBelow(r, c) (shaders/fragments/csr-search.wgsl): a bisection of row r's sorted columns. */
function columnsBelowSteps(W: CSRMatrix, r: number, c: number): number {
  let lo = W.rowPtr[r]!;
  let hi = W.rowPtr[r + 1]!;
  let n = 0;
  for (; lo < hi; n++) {
    const mid = (lo + hi) >>> 1;
    if (W.colIdx[mid]! < c) lo = mid + 1;
    else hi = mid;
  }
  return n;
}

/** Iterations of rowOfEntry(k) (shaders/fragments/csr-search.wgsl): a bisection of rowPtr. */
function rowOfEntrySteps(W: CSRMatrix, k: number): number {
  let lo = 0;
  let hi = W.rows;
  let n = 0;
  for (; lo < hi; n++) {
    const mid = (lo + hi + 1) >>> 1;
    if (W.rowPtr[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return n;
}

const MASK_160 = (1n << 160n) - 1n;
const wordOf = (x: bigint, i: number): bigint => (x >> BigInt(32 * i)) & 0xffffffffn;
/** The highest of the five words where x is non-zero, or -1. */
const topWord = (x: bigint): number => (x === 0n ? -1 : Math.floor((x.toString(2).length - 1) / 32));

/**
 * shaders/fragments/wide.wgsl's functions on BigInts, counting their loop
 * iterations as the WGSL runs them (the early returns of the compares and
 * bit lengths included): the one-thread passes' steps.
 */
class WideSteps {
  steps = 0;
  add(a: bigint, b: bigint): bigint {
    this.steps += 5;
    return (a + b) & MASK_160;
  }
  sub(a: bigint, b: bigint): bigint {
    this.steps += 5;
    return a - b;
  }
  shiftLeft(a: bigint, s: number): bigint {
    this.steps += Math.max(0, 5 - Math.floor(s / 32));
    return (a << BigInt(s)) & MASK_160;
  }
  shiftRight(a: bigint, s: number): bigint {
    this.steps += Math.max(0, 5 - Math.floor(s / 32));
    return a >> BigInt(s);
  }
  bitLength(a: bigint): number {
    this.steps += 4 - Math.max(0, topWord(a)) + 1;
    return a === 0n ? 0 : a.toString(2).length;
  }
  less(a: bigint, b: bigint): boolean {
    this.steps += 4 - Math.max(0, topWord(a ^ b)) + 1;
    return a < b;
  }
  anyBitBelow(a: bigint, p: number): boolean {
    for (let i = 0; i < 5 && 32 * i < p; i++) {
      this.steps++;
      const n = Math.min(32, p - 32 * i);
      if ((wordOf(a, i) & ((1n << BigInt(n)) - 1n)) !== 0n) return true;
    }
    return false;
  }
  roundToDouble(a: bigint): bigint {
    const length = this.bitLength(a);
    if (length <= 53) return a;
    const s = length - 53;
    let m = this.shiftRight(a, s);
    const half = ((a >> BigInt(s - 1)) & 1n) !== 0n;
    if (half && ((m & 1n) !== 0n || this.anyBitBelow(a, s - 1))) m = this.add(m, 1n);
    return this.shiftLeft(m, s);
  }
}

/** thresholdRanks (shaders/set/prune.wgsl) on W's one stats record: its wide arithmetic, then 8 state words. */
function thresholdRanksSteps(values: Float32Array, zeta: number): number {
  const n = values.length;
  const [, below, above] = setStats.cpu(values);
  const keep = doubleAsFixed(1 - zeta);
  const z = doubleAsFixed(zeta);
  const fixed = (f: { hi: number; lo: number }): bigint => (BigInt(f.hi) << 32n) | BigInt(f.lo);
  const last = n - above!;
  const w = new WideSteps();
  w.shiftRight(w.roundToDouble(fixed(keep) * BigInt(below!)), keep.frac);
  const grown = w.roundToDouble(fixed(z) * BigInt(n - last));
  const sum = w.add(w.shiftLeft(BigInt(last), RANK_FRAC), w.shiftLeft(grown, RANK_FRAC - z.frac));
  w.shiftRight(w.roundToDouble(sum), RANK_FRAC);
  return 1 + w.steps + 8;
}

/** sizeRound (shaders/set/regrow.wgsl): candidatesFor's division, one compare (and subtract) per quotient bit. */
function sizeRoundSteps(rows: number, cols: number, present: number, remaining: number): number {
  if (remaining === 0) return 1;
  const w = new WideSteps();
  const n = BigInt(rows) * BigInt(cols);
  const den = w.shiftLeft(w.sub(n, BigInt(present)), 2);
  const times = n * BigInt(remaining);
  const num = w.add(w.shiftLeft(times, 2), times);
  if (w.less((den & ((1n << 64n) - 1n)) * BigInt(MAX_CANDIDATES - 17), num)) return 1 + w.steps;
  let rest = num;
  for (let b = 32 - Math.clz32(MAX_CANDIDATES - 1); b > 0; b--) {
    w.steps++;
    const part = w.shiftLeft(den, b - 1);
    if (!w.less(rest, part)) rest = w.sub(rest, part);
  }
  w.bitLength(rest);
  return 1 + w.steps;
}

function rowLengths(W: CSRMatrix): number[] {
  return Array.from({ length: W.rows }, (_, r) => W.rowPtr[r + 1]! - W.rowPtr[r]!);
}

/** Models one evolution of W (random growth, seed, ζ) on `profile`'s kernels. */
export function modelEvolution(W: CSRMatrix, zeta: number, seed: number, profile: KernelProfile, options: { training?: boolean; second?: boolean } = {}): EvolutionModel {
  const gpu = profile === 'gpu';
  const training = options.training ?? true;
  const second = options.second ?? false;
  const { rows, cols, nnz } = W;
  const d: EvolutionDispatch[] = [];
  let readbacks = 0;
  let submissions = 0;
  let layer: RegrowLayer = { W, state: new Float32Array(nnz), ...(second ? { second: new Float32Array(nnz) } : {}) };

  // Prune (kernels/set/prune-csr.ts): stats, their ranks (setRanks), selects, flags and compaction in one
  // submission; the emulation profile reads the kept count back, the gpu profile goes on recording.
  const removes = nnz > 0 && zeta > 0;
  if (removes) {
    const grid = reduceGrid(nnz);
    d.push({ label: 'setAbsMin', ...grid, threads: THREADS }, { label: 'setCountOutside', ...grid, threads: THREADS });
    // Word loops of the 160-bit products, roundings and shifts (fragments/wide.wgsl).
    d.push({ label: 'setThresholdRanks', workgroups: 1, threads: THREADS, steps: thresholdRanksSteps(W.values, zeta) });
    for (let pass = 0; pass < 4; pass++) {
      d.push({ label: 'selectHistogram', ...grid, threads: THREADS });
      // pick: one thread walks 256 bins per select and clears 512; pickScan: 8 doublings per select.
      d.push(
        gpu
          ? { label: 'selectPickScan', workgroups: 1, threads: PICK_BINS, steps: 1 + SELECTS * Math.log2(PICK_BINS) }
          : { label: 'selectPick', workgroups: 1, threads: 1, steps: 1 + SELECTS * PICK_BINS + 2 * PICK_BINS },
      );
    }
    d.push({ label: 'setKeepFlags', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    scan(d, 'kept positions', nnz + 1);
    for (let i = 0; i < (second ? 2 : 1); i++) d.push({ label: 'csrScatterKept', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    d.push({ label: 'csrRowPointers', workgroups: Math.ceil((rows + 1) / THREADS), threads: THREADS, steps: 1 });
    if (!gpu) {
      readbacks++;
      submissions++;
    }
    const flags = setKeepFlagsCpu(W.values, zeta);
    layer = compactCsr.cpu(W, layer.state, flags, layer.second);
  }

  // Regrowth rounds (kernels/set/regrow.ts). Emulation: a submission per round, scratch sized for its
  // candidates, its nnz read back. gpu: ROUNDS_AHEAD rounds per submission with scratch sized for the
  // largest first round (nothing kept), per-candidate passes dispatched indirectly for the round's count;
  // rounds past the target draw nothing and copy the layer along; each submission ends with the install
  // and the counters' read-back.
  const capacity = candidatesForRound(nnz, rows, cols, 0);
  let round = 0;
  let recorded = 0;
  // The gpu profile records whole batches of rounds, at least one batch when something was removed.
  const more = (): boolean => layer.W.nnz < nnz || (gpu && removes && (recorded === 0 || recorded % ROUNDS_AHEAD !== 0));
  while (more()) {
    const kept = layer.W;
    const remaining = nnz - kept.nnz;
    const candidates = candidatesForRound(remaining, rows, cols, kept.nnz);
    const scratch = gpu ? capacity : candidates;
    const { bands, colsPerBand } = regrowBands(rows, cols, scratch);
    const cells = rows * bands;
    // The round's draws, as shaders/set/regrow.wgsl makes them (grouped by row, sorted by column), and which it accepts.
    const drawn = validCandidates(kept, seed, recorded, candidates, remaining);
    const cellOf = (r: number, c: number): number => r * bands + Math.floor(c / colsPerBand);
    const perCell = new Uint32Array(cells);
    for (let r = 0; r < rows; r++) for (let i = drawn.rowStart[r]!; i < drawn.rowStart[r + 1]!; i++) perCell[cellOf(r, drawn.candCol[i]!)]!++;
    const perCandidate = Math.ceil(candidates / THREADS);
    const perRowGroups = Math.ceil(rows / THREADS);
    // sizeRound: candidatesForRound's division, a 160-bit compare-subtract per quotient bit.
    d.push({ label: 'regrowSizeRound', workgroups: 1, threads: 1, steps: sizeRoundSteps(rows, cols, kept.nnz, remaining) });
    d.push({ label: 'regrowGenerate', workgroups: perCandidate, threads: THREADS, steps: 1 });
    scan(d, 'cell pointers', cells + 1);
    d.push({ label: 'regrowScatterBuckets', workgroups: perCandidate, threads: THREADS, steps: 1 });
    if (gpu) {
      // A candidate walks its cell and bisects its row; an accepted one (scatterNewEntries) again; a kept entry bisects rowPtr and walks its cell.
      let validate = 1;
      let scatterNew = 1;
      for (let r = 0; r < rows; r++) {
        for (let i = drawn.rowStart[r]!; i < drawn.rowStart[r + 1]!; i++) {
          const c = drawn.candCol[i]!;
          const steps = 1 + perCell[cellOf(r, c)]! + columnsBelowSteps(kept, r, c);
          validate = Math.max(validate, steps);
          if (drawn.accept[i]) scatterNew = Math.max(scatterNew, steps);
        }
      }
      let scatterKept = 1;
      for (let r = 0; r < rows; r++) {
        for (let k = kept.rowPtr[r]!; k < kept.rowPtr[r + 1]!; k++) scatterKept = Math.max(scatterKept, 1 + rowOfEntrySteps(kept, k) + perCell[cellOf(r, kept.colIdx[k]!)]!);
      }
      d.push({ label: 'regrowValidateCandidate', workgroups: perCandidate, threads: THREADS, steps: validate });
      scan(d, 'candidate ranks', scratch + 1);
      d.push({ label: 'regrowAcceptCandidate', workgroups: perCandidate, threads: THREADS, steps: 1 });
      scan(d, 'accepted per cell', cells + 1);
      d.push({ label: 'regrowNewRowPointers', workgroups: Math.ceil((rows + 1) / THREADS), threads: THREADS, steps: 1 });
      d.push({ label: 'regrowScatterKeptEntries', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: scatterKept });
      d.push({ label: 'regrowScatterNewEntries', workgroups: perCandidate, threads: THREADS, steps: scatterNew });
    } else {
      // validate: an insertion sort of the row's bucket, whose slots within a cell came in arbitrary order (from none
      // to every pair of a cell inverted), then a bisection of the row per new column. countAccepted walks the bucket;
      // mergeRows emits kept and accepted entries, skips the rest, and breaks.
      let fewest = 1;
      let most = 1;
      let count = 1;
      let merge = 1;
      for (let r = 0; r < rows; r++) {
        const start = drawn.rowStart[r]!;
        const b = drawn.rowStart[r + 1]! - start;
        let searches = 0;
        let pairs = 0;
        for (let i = start; i < start + b; i++) {
          // `first && !rowHolds(…)` short-circuits: a repeated column is no search.
          if (i === start || drawn.candCol[i - 1] !== drawn.candCol[i]) searches += columnsBelowSteps(kept, r, drawn.candCol[i]!);
          // Cellmates before it in the sorted bucket: at most this many inversions.
          let q = i;
          while (q > start && cellOf(r, drawn.candCol[q - 1]!) === cellOf(r, drawn.candCol[i]!)) q--;
          pairs += i - q;
        }
        const sorted = 1 + Math.max(0, b - 1) + b + searches;
        fewest = Math.max(fewest, sorted);
        most = Math.max(most, sorted + pairs);
        count = Math.max(count, 1 + b);
        merge = Math.max(merge, 2 + kept.rowPtr[r + 1]! - kept.rowPtr[r]! + b);
      }
      d.push({ label: 'regrowRowBuckets', workgroups: Math.ceil((rows + 1) / THREADS), threads: THREADS, steps: 1 });
      d.push({ label: 'regrowValidate', workgroups: perRowGroups, threads: THREADS, steps: most, ...(fewest < most ? { fewest } : {}) });
      scan(d, 'candidate ranks', candidates + 1);
      d.push({ label: 'regrowCountAccepted', workgroups: perRowGroups, threads: THREADS, steps: count });
      scan(d, 'new row pointers', rows + 1);
      d.push({ label: 'regrowMergeRows', workgroups: perRowGroups, threads: THREADS, steps: merge });
    }
    for (let i = 0; i < (second ? 2 : 1); i++) d.push({ label: 'regrowGatherValues', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    if (remaining > 0) {
      layer = regrowRound.cpu(layer, nnz, seed, Math.sqrt(6 / cols), recorded);
      round++;
    }
    recorded++;
    if (!gpu) {
      readbacks++;
      submissions++;
    } else if (recorded % ROUNDS_AHEAD === 0) {
      // The batch's install (dropped when nnz is still short) and its counters.
      install(d, layer.W, profile, training);
      readbacks++;
      submissions++;
    }
  }

  // Install (kernels/resident/csr.ts): copies, and for a training operand the derived indices; nothing
  // read back. Its own submission on the emulation profile (and on the gpu one when nothing is removed).
  if (!gpu || !removes) {
    install(d, layer.W, profile, training);
    submissions++;
  }
  // A dispatch of no workgroups (a gpu round past the target, an empty layer's passes) runs no invocation.
  for (const x of d) if (x.workgroups === 0) x.steps = 0;
  const longest = d.reduce<EvolutionDispatch | undefined>((a, x) => (!a || x.steps > a.steps ? x : a), undefined);
  return { profile, dispatches: d, readbacks, submissions, rounds: round, maxSerialSteps: longest?.steps ?? 0, longest: longest?.label ?? '-' };
}

/** The install's dispatches (kernels/resident/csr.ts, kernels/csr-transpose.ts): the derived indices of a training operand (and on gpu its gathers' schedules). */
function install(d: EvolutionDispatch[], evolved: CSRMatrix, profile: KernelProfile, training: boolean): void {
  if (!training) return;
  const gpu = profile === 'gpu';
  const { rows, cols, nnz } = evolved;
  const maxRow = Math.max(0, ...rowLengths(evolved));
  const bands = transposeBands(rows, cols, nnz);
  const rowsPerBlock = Math.max(1, Math.ceil(rows / bands));
  let entriesRows = 1;
  for (let k = 0; k < nnz; k++) entriesRows = Math.max(entriesRows, 1 + rowOfEntrySteps(evolved, k));
  d.push(
    gpu
      ? { label: 'csrEntriesRows', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: entriesRows }
      : { label: 'csrRowsOfEntries', workgroups: Math.ceil(rows / THREADS), threads: THREADS, steps: 1 + maxRow },
  );
  if (bands > 1) {
    d.push({ label: 'csrCountColumnBlocks', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    scan(d, 'column band table', cols * bands + 1);
    d.push({ label: 'csrColumnPointers', workgroups: Math.ceil((cols + 1) / THREADS), threads: THREADS, steps: 1 });
    if (gpu) {
      d.push({ label: 'csrScatterEntries', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: scatterEntriesSteps(evolved, rowsPerBlock) });
    } else {
      // A band's thread walks its rows and their entries.
      let band = 1;
      for (let b = 0; b < bands; b++) {
        const first = Math.min(rows, b * rowsPerBlock);
        const last = Math.min(rows, first + rowsPerBlock);
        band = Math.max(band, 1 + last - first + evolved.rowPtr[last]! - evolved.rowPtr[first]!);
      }
      d.push({ label: 'csrScatterColumnBlocks', workgroups: Math.ceil(bands / BAND_THREADS), threads: BAND_THREADS, steps: band });
    }
  } else {
    const colLengths = new Uint32Array(cols);
    evolved.colIdx.forEach((c) => colLengths[c]!++);
    const maxColumn = colLengths.reduce((a, b) => Math.max(a, b), 0);
    d.push({ label: 'csrCountColumns', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    scan(d, 'column pointers', cols + 1);
    d.push({ label: 'csrScatterColumns', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    // Insertion sort of a column whose slots came in arbitrary order: from sorted (a pass) to reversed (every pair moved).
    const pass = 1 + Math.max(0, maxColumn - 1);
    const most = pass + (maxColumn * (maxColumn - 1)) / 2;
    d.push({ label: 'csrSortColumns', workgroups: Math.ceil(cols / THREADS), threads: THREADS, steps: most, ...(pass < most ? { fewest: pass } : {}) });
  }
  // The gpu gather's schedules of the rows and the columns (kernels/row-order.ts): bin counts, their scan, a
  // stable scatter whose rank walks the earlier keys of its 256-row block (workgroup memory).
  if (gpu) {
    for (const n of [rows, cols]) {
      const blocks = Math.ceil(n / ORDER_ROWS);
      d.push({ label: 'rowOrderCounts', workgroups: blocks, threads: ORDER_ROWS, steps: 1 });
      scan(d, 'row order bins', ORDER_BINS * blocks);
      d.push({ label: 'rowOrderScatter', workgroups: blocks, threads: ORDER_ROWS, steps: Math.min(ORDER_ROWS, n) });
    }
  }
}

/**
 * csrScatterEntries (shaders/csr-transpose.wgsl): entry k of row r in its band walks the band's earlier rows,
 * bisecting each for its column. Rows from the band's last, stopping once no earlier row can beat the longest
 * (a bisection of a row of length n takes at most bit-length(n) steps), so 1 M connections stay quick.
 */
function scatterEntriesSteps(W: CSRMatrix, rowsPerBlock: number): number {
  let longest = 1;
  for (let first = 0; first < W.rows; first += rowsPerBlock) {
    const last = Math.min(W.rows, first + rowsPerBlock);
    // bound[r]: the most any entry of row r can take.
    const bound = [1];
    for (let q = first; q < last - 1; q++) bound.push(bound[bound.length - 1]! + 1 + (32 - Math.clz32(W.rowPtr[q + 1]! - W.rowPtr[q]!)));
    for (let r = last - 1; r >= first && bound[r - first]! > longest; r--) {
      for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) {
        let steps = 1;
        for (let q = first; q < r; q++) steps += 1 + columnsBelowSteps(W, q, W.colIdx[k]!);
        longest = Math.max(longest, steps);
      }
    }
  }
  return longest;
}

/** The evolution as a row of the `--model` table and JSON: kernel 'set-evolve', variant 'emulation' (before) or 'gpu' (after). */
export function evolutionAnalysis(W: CSRMatrix, m: EvolutionModel, device: DeviceProfile): OperationAnalysis {
  const largest = m.dispatches.reduce<EvolutionDispatch | undefined>((a, x) => (!a || x.workgroups > a.workgroups ? x : a), undefined);
  const model: KernelModel = {
    kernel: 'set-evolve',
    variant: `${m.profile} (${m.profile === 'gpu' ? 'after' : 'before'})`,
    rows: W.rows,
    cols: W.cols,
    batch: 0,
    sparsity: 1 - W.nnz / (W.rows * W.cols),
    sectorsPer512B: { loads: null, stores: null, all: null },
    activeLanes: null,
    workgroupsPerSM: workgroupsPerSM(device, largest?.workgroups ?? 0, largest?.threads ?? device.warpSize),
    maxSerialSteps: m.maxSerialSteps,
    dispatches: m.dispatches.length,
    readbacks: m.readbacks,
  };
  return { model, dispatches: [], loads: emptyTotals(), stores: emptyTotals() };
}
