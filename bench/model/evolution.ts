// The GPU execution model of one SET evolution of a CSR layer (prune →
// regrow → install with the transpose index rebuilt), per kernel profile
// (emulation: one submission for the pruning, one per regrowth round, one for
// the install; gpu: all of it in one submission of ROUNDS_AHEAD rounds sized
// on the GPU, another only when nnz is still short):
// how many dispatches it records, how many blocking host read-backs it waits
// for, and the longest chain of dependent steps one invocation runs (loop
// iterations of the longest invocation of any dispatch: a chain that no
// number of multiprocessors shortens). Transcribed from kernels/set/*.ts,
// kernels/primitives/*.ts, kernels/csr-transpose.ts and their shaders;
// test/bench-model.test.ts holds the dispatch and read-back counts against a
// real run on SwiftShader, so the model cannot drift from the code. The
// data-dependent sizes (kept count, candidates per round, bucket and cell
// occupancy) come from the CPU twin and the same counter-based draws.
import { programs } from '../../kernels/programs.js';
import { setKeepFlagsCpu } from '../../kernels/set/prune.js';
import { candidatesForRound, mulhi, REGROW_STREAM, regrowBands, regrowRound, ROUNDS_AHEAD, type RegrowLayer } from '../../kernels/set/regrow.js';
import { compactCsr } from '../../kernels/set/compact-csr.js';
import { transposeBands } from '../../kernels/csr-transpose.js';
import { randomU32Keyed, streamKey } from '../../src/random.js';
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
// The reductions' host constants (kernels/primitives/select.ts, kernels/set/prune.ts), restated.
const VALUES_PER_THREAD = 64;
const MAX_REDUCE_WORKGROUPS = 1024;
/** 160-bit integer work of the one-thread sizing passes (shaders/fragments/wide.wgsl): word loops of 5. */
const WIDE_WORDS = 5;
/** thresholdRanks: 2 products, 3 roundings (bit length, shifts, sticky bits, an add each), 2 shifts, a sum, 2 floors. */
const WIDE_OPS_RANKS = 24;
/** sizeRound: 22 quotient bits, each a shift, a compare and a subtract, plus the products before. */
const WIDE_OPS_ROUND = 22 * 3 + 8;

const log2Steps = (n: number): number => Math.ceil(Math.log2(n + 1)) + 1;

function scan(out: EvolutionDispatch[], label: string, count: number): void {
  if (count === 0) return;
  const chunks = Math.ceil(count / SCAN_CHUNK);
  const workgroups = Math.ceil(chunks / SCAN_THREADS);
  if (chunks === 1) {
    out.push({ label: `${label} scan`, workgroups: 1, threads: SCAN_THREADS, steps: count });
    return;
  }
  out.push({ label: `${label} scan totals`, workgroups, threads: SCAN_THREADS, steps: SCAN_CHUNK });
  scan(out, label, chunks);
  out.push({ label: `${label} scan chunks`, workgroups, threads: SCAN_THREADS, steps: SCAN_CHUNK });
}

function reduceGrid(count: number): { workgroups: number; steps: number } {
  const workgroups = Math.max(1, Math.min(MAX_REDUCE_WORKGROUPS, Math.ceil(count / (THREADS * VALUES_PER_THREAD))));
  return { workgroups, steps: Math.ceil(count / (workgroups * THREADS)) };
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
    // Word loops of the 160-bit products, roundings and shifts (fragments/wide.wgsl): about 12 of 5 words.
    d.push({ label: 'setThresholdRanks', workgroups: 1, threads: THREADS, steps: WIDE_OPS_RANKS * WIDE_WORDS });
    for (let pass = 0; pass < 4; pass++) {
      d.push({ label: 'selectHistogram', ...grid, threads: THREADS });
      // pick: one thread walks 256 bins per select and clears 512; pickScan: 8 doublings per select.
      d.push(gpu ? { label: 'selectPickScan', workgroups: 1, threads: 256, steps: 2 * 8 + 2 } : { label: 'selectPick', workgroups: 1, threads: 1, steps: 2 * 256 + 512 });
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
    // The round's draws, as shaders/set/regrow.wgsl makes them: bucket sizes per row and per cell.
    const rowKey = streamKey(seed, REGROW_STREAM + 3 * recorded);
    const colKey = streamKey(seed, REGROW_STREAM + 3 * recorded + 1);
    const perRow = new Uint32Array(rows);
    const perCell = new Uint32Array(cells);
    for (let j = 0; j < candidates; j++) {
      const r = mulhi(randomU32Keyed(rowKey, j), rows);
      const c = mulhi(randomU32Keyed(colKey, j), cols);
      perRow[r]!++;
      perCell[r * bands + Math.floor(c / colsPerBand)]!++;
    }
    const maxCell = perCell.reduce((a, b) => Math.max(a, b), 0);
    const keptLengths = rowLengths(kept);
    const maxKept = Math.max(0, ...keptLengths);
    const perCandidate = Math.ceil(candidates / THREADS);
    const perRowGroups = Math.ceil(rows / THREADS);
    // sizeRound: candidatesForRound's division, a 160-bit compare-subtract per quotient bit.
    d.push({ label: 'regrowSizeRound', workgroups: 1, threads: 1, steps: WIDE_OPS_ROUND * WIDE_WORDS });
    d.push({ label: 'regrowGenerate', workgroups: perCandidate, threads: THREADS, steps: 1 });
    scan(d, 'cell pointers', cells + 1);
    d.push({ label: 'regrowScatterBuckets', workgroups: perCandidate, threads: THREADS, steps: 1 });
    if (gpu) {
      d.push({ label: 'regrowValidateCandidate', workgroups: perCandidate, threads: THREADS, steps: maxCell + log2Steps(maxKept) });
      scan(d, 'candidate ranks', scratch + 1);
      d.push({ label: 'regrowAcceptCandidate', workgroups: perCandidate, threads: THREADS, steps: 1 });
      scan(d, 'accepted per cell', cells + 1);
      d.push({ label: 'regrowNewRowPointers', workgroups: Math.ceil((rows + 1) / THREADS), threads: THREADS, steps: 1 });
      d.push({ label: 'regrowScatterKeptEntries', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: log2Steps(rows) + maxCell });
      d.push({ label: 'regrowScatterNewEntries', workgroups: perCandidate, threads: THREADS, steps: log2Steps(maxKept) + maxCell });
    } else {
      // validate: an insertion sort of the row's bucket (about linear: one candidate per cell), then a binary search per candidate.
      let validate = 0;
      let merge = 0;
      perRow.forEach((b, r) => {
        validate = Math.max(validate, b + b * log2Steps(keptLengths[r]!));
        merge = Math.max(merge, keptLengths[r]! + b);
      });
      d.push({ label: 'regrowRowBuckets', workgroups: Math.ceil((rows + 1) / THREADS), threads: THREADS, steps: 1 });
      d.push({ label: 'regrowValidate', workgroups: perRowGroups, threads: THREADS, steps: validate });
      scan(d, 'candidate ranks', candidates + 1);
      d.push({ label: 'regrowCountAccepted', workgroups: perRowGroups, threads: THREADS, steps: Math.max(...perRow) });
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
  const longest = d.reduce<EvolutionDispatch | undefined>((a, x) => (!a || x.steps > a.steps ? x : a), undefined);
  return { profile, dispatches: d, readbacks, submissions, rounds: round, maxSerialSteps: longest?.steps ?? 0, longest: longest?.label ?? '-' };
}

/** The install's dispatches (kernels/resident/csr.ts, kernels/csr-transpose.ts): the derived indices of a training operand (and on gpu its gathers' schedules). */
function install(d: EvolutionDispatch[], evolved: CSRMatrix, profile: KernelProfile, training: boolean): void {
  if (!training) return;
  const gpu = profile === 'gpu';
  const { rows, cols, nnz } = evolved;
  const lengths = rowLengths(evolved);
  const maxRow = Math.max(0, ...lengths);
  const bands = transposeBands(rows, cols, nnz);
  const rowsPerBlock = Math.max(1, Math.ceil(rows / bands));
  d.push(
    gpu
      ? { label: 'csrEntriesRows', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: log2Steps(rows) }
      : { label: 'csrRowsOfEntries', workgroups: Math.ceil(rows / THREADS), threads: THREADS, steps: maxRow },
  );
  if (bands > 1) {
    d.push({ label: 'csrCountColumnBlocks', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: 1 });
    scan(d, 'column band table', cols * bands + 1);
    d.push({ label: 'csrColumnPointers', workgroups: Math.ceil((cols + 1) / THREADS), threads: THREADS, steps: 1 });
    if (gpu) {
      d.push({ label: 'csrScatterEntries', workgroups: Math.ceil(nnz / THREADS), threads: THREADS, steps: (rowsPerBlock - 1) * log2Steps(maxRow) });
    } else {
      let band = 0;
      for (let b = 0; b < bands; b++) {
        const first = Math.min(rows, b * rowsPerBlock);
        const last = Math.min(rows, first + rowsPerBlock);
        band = Math.max(band, last - first + evolved.rowPtr[last]! - evolved.rowPtr[first]!);
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
    // Insertion sort of a column in arbitrary slot order: up to length² / 2 moves.
    d.push({ label: 'csrSortColumns', workgroups: Math.ceil(cols / THREADS), threads: THREADS, steps: Math.ceil((maxColumn * maxColumn) / 2) });
  }
  // The gpu gather's schedules of the rows and the columns (kernels/row-order.ts): bin counts, their scan, a
  // stable scatter whose rank walks the earlier keys of its 256-row block (workgroup memory).
  if (gpu) {
    for (const n of [rows, cols]) {
      const blocks = Math.ceil(n / ORDER_ROWS);
      d.push({ label: 'rowOrderCounts', workgroups: blocks, threads: ORDER_ROWS, steps: 1 });
      scan(d, 'row order bins', ORDER_BINS * blocks);
      d.push({ label: 'rowOrderScatter', workgroups: blocks, threads: ORDER_ROWS, steps: ORDER_ROWS - 1 });
    }
  }
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
