import { InvalidArgumentError } from '../../src/errors.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { randomU32, randomUnit } from '../../src/random.js';

/**
 * SET regrowth, shared definitions of both backends. Candidates are drawn
 * in rounds: candidate j of round t sits at (mulhi(r₁, rows), mulhi(r₂, cols))
 * with r₁, r₂ from the counter-based PRNG, so every position is equally
 * likely. A candidate is valid if the position is absent from the layer and
 * no earlier candidate of the round took it; the first `remaining` valid
 * candidates (in j order) are accepted, with a uniform(-limit, limit) weight
 * and zero optimizer state. Rounds repeat until nnz is back to its target.
 * Drawing enough candidates for the fraction of absent positions keeps the
 * round count small even when few absent positions remain.
 */
export const REGROW_STREAM = 0x5e7000;
/** Upper bound on candidates per round (memory), whatever the oversampling. */
export const MAX_CANDIDATES_PER_ROUND = 1 << 22;
/** Positions are mapped with an exact 32×21-bit multiply-high, shared with WGSL. */
export const MAX_REGROW_DIMENSION = 1 << 21;

export function candidatesForRound(remaining: number, rows: number, cols: number, present: number): number {
  const absent = rows * cols - present;
  const oversample = (rows * cols) / absent;
  return Math.min(MAX_CANDIDATES_PER_ROUND, Math.ceil(remaining * oversample * 1.25) + 16);
}

/** floor(u · n / 2³²), exact for u < 2³² and n < 2²¹ (the product stays below 2⁵³). */
export function mulhi(u: number, n: number): number {
  return Math.floor((u * n) / 4294967296);
}

export function candidate(seed: number, round: number, j: number, rows: number, cols: number): { row: number; col: number } {
  return {
    row: mulhi(randomU32(seed, REGROW_STREAM + 3 * round, j), rows),
    col: mulhi(randomU32(seed, REGROW_STREAM + 3 * round + 1, j), cols),
  };
}

/** The new weight of candidate j of round t, rounded to f32 exactly as the GPU computes it. */
export function newWeight(seed: number, round: number, j: number, limit: number): number {
  const u = randomUnit(seed, REGROW_STREAM + 3 * round + 2, j);
  return Math.fround(Math.fround(limit) * (2 * u - 1));
}

export function checkRegrow(kept: CSRMatrix, targetNnz: number): void {
  if (kept.rows >= MAX_REGROW_DIMENSION || kept.cols >= MAX_REGROW_DIMENSION) {
    throw new InvalidArgumentError('W', `regrowth supports up to ${MAX_REGROW_DIMENSION - 1} rows and columns, got ${kept.rows} × ${kept.cols}`);
  }
  if (!Number.isInteger(targetNnz) || targetNnz < kept.nnz || targetNnz > kept.rows * kept.cols) {
    throw new InvalidArgumentError('targetNnz', `must be an integer in [${kept.nnz}, ${kept.rows * kept.cols}], got ${targetNnz}`);
  }
}

/** Regrowth on the CPU, the twin of the GPU rounds; an optional second state moves like `state` (new entries 0). */
export function regrowCsrCpu(
  kept: CSRMatrix,
  keptState: Float32Array,
  targetNnz: number,
  seed: number,
  limit: number,
  keptSecond?: Float32Array,
): { W: CSRMatrix; state: Float32Array; second?: Float32Array; rounds: number } {
  checkRegrow(kept, targetNnz);
  const { rows, cols } = kept;
  let W = kept;
  let state = keptState;
  let second = keptSecond;
  let round = 0;
  while (W.nnz < targetNnz) {
    const remaining = targetNnz - W.nnz;
    const present = new Set<number>();
    for (let r = 0; r < rows; r++) for (let k = W.rowPtr[r]!; k < W.rowPtr[r + 1]!; k++) present.add(r * cols + W.colIdx[k]!);
    const count = candidatesForRound(remaining, rows, cols, W.nnz);
    const accepted: Array<{ row: number; col: number; j: number }> = [];
    for (let j = 0; j < count && accepted.length < remaining; j++) {
      const { row, col } = candidate(seed, round, j, rows, cols);
      const key = row * cols + col;
      if (present.has(key)) continue;
      present.add(key); // later duplicates of this position are invalid
      accepted.push({ row, col, j });
    }
    // Merge per row: kept entries and accepted ones, by column.
    accepted.sort((a, b) => a.row - b.row || a.col - b.col);
    const nnz = W.nnz + accepted.length;
    const rowPtr = new Uint32Array(rows + 1);
    const colIdx = new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    const nextState = new Float32Array(nnz);
    const nextSecond = second ? new Float32Array(nnz) : undefined;
    let a = 0;
    let out = 0;
    for (let r = 0; r < rows; r++) {
      let k = W.rowPtr[r]!;
      const end = W.rowPtr[r + 1]!;
      while (k < end || (a < accepted.length && accepted[a]!.row === r)) {
        const takeNew = a < accepted.length && accepted[a]!.row === r && (k >= end || accepted[a]!.col < W.colIdx[k]!);
        if (takeNew) {
          const { col, j } = accepted[a++]!;
          colIdx[out] = col;
          values[out] = newWeight(seed, round, j, limit);
          nextState[out++] = 0;
        } else {
          colIdx[out] = W.colIdx[k]!;
          values[out] = W.values[k]!;
          if (nextSecond) nextSecond[out] = second![k]!;
          nextState[out++] = state[k++]!;
        }
      }
      rowPtr[r + 1] = out;
    }
    W = new CSRMatrix({ rows, cols, rowPtr, colIdx, values });
    state = nextState;
    second = nextSecond;
    round++;
  }
  return { W, state, ...(second ? { second } : {}), rounds: round };
}
