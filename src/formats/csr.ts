import { InvalidArgumentError } from '../errors.js';
import { RandomStream } from '../random.js';
import { DenseMatrix } from './dense.js';
import { initLimit, type WeightInit } from './init.js';
import { indexFingerprint } from './fingerprint.js';
import { allocate, assertCount, assertFinite, assertIndexDimension, assertLength, assertProbability, MAX_INDEX_DIMENSION } from './validate.js';

export interface CSRParts {
  rows: number;
  cols: number;
  /** rows + 1 offsets into colIdx/values, non-decreasing, rowPtr[0] = 0. */
  rowPtr: Uint32Array;
  /** Column of each nonzero, strictly increasing within a row. */
  colIdx: Uint32Array;
  values: Float32Array;
}

/**
 * The transpose index (CSC of W): for column c, entries colPtr[c]..colPtr[c+1]
 * hold the rows with a nonzero in c (ascending) and perm, the position of that
 * nonzero in W's values. It makes dX = Wᵀ·dY an atomic-free gather.
 */
export interface CSRTransposeIndex {
  colPtr: Uint32Array;
  rowIdx: Uint32Array;
  perm: Uint32Array;
  /** Columns by decreasing length, the transpose's row swizzle (see rowOrder). */
  order: Uint32Array;
}

export interface CSRRandomOptions {
  rows: number;
  cols: number;
  /** Probability of each connection. Give this or `epsilon`. */
  density?: number;
  /**
   * Erdős–Rényi density parameter of SET: p = ε(rows + cols)/(rows·cols),
   * capped at 1 (a layer that small is dense, as in the reference).
   */
  epsilon?: number;
  seed?: number;
  /** How values are drawn; default 'he-uniform' (SET's default). */
  init?: WeightInit;
}

/**
 * Compressed sparse row matrix, rows × cols. Memory is O(rows + nnz): no dense
 * array or mask is ever built unless toDense() is asked for.
 *
 * The structure (rowPtr, colIdx) is immutable after construction: the
 * transpose index, row order and GPU copies are derived from it. Typed arrays
 * cannot be frozen, so the constructor fingerprints them and every product,
 * evolution and layer that takes the matrix re-checks (verifyStructure): a
 * structure written to afterwards gives a typed error instead of a hang or
 * wrong values. `values` may be updated in place (non-finite values are
 * refused at each use).
 */
export class CSRMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Uint32Array;
  readonly colIdx: Uint32Array;
  readonly values: Float32Array;
  private cachedTranspose: CSRTransposeIndex | undefined;
  private cachedRowIndices: Uint32Array | undefined;
  private cachedRowOrder: Uint32Array | undefined;
  private readonly rowPtrFingerprint: number;
  private readonly colIdxFingerprint: number;

  constructor(parts: CSRParts) {
    const { rows, cols, rowPtr, colIdx, values } = parts;
    assertCount('rows', rows);
    assertCount('cols', cols);
    assertIndexDimension('cols', cols);
    if (!(rowPtr instanceof Uint32Array)) throw new InvalidArgumentError('rowPtr', 'must be a Uint32Array');
    if (!(colIdx instanceof Uint32Array)) throw new InvalidArgumentError('colIdx', 'must be a Uint32Array');
    if (!(values instanceof Float32Array)) throw new InvalidArgumentError('values', 'must be a Float32Array');
    assertLength('rowPtr', rowPtr, rows + 1);
    if (rowPtr[0] !== 0) throw new InvalidArgumentError('rowPtr', `must start at 0, got ${rowPtr[0]}`);
    // Monotonicity first, over all rows: a decreasing rowPtr also makes some
    // row's span of colIdx look unsorted, and the fault must be blamed on rowPtr.
    for (let r = 0; r < rows; r++) {
      if (rowPtr[r + 1]! < rowPtr[r]!) {
        throw new InvalidArgumentError('rowPtr', `must be non-decreasing, but rowPtr[${r + 1}] = ${rowPtr[r + 1]} < rowPtr[${r}] = ${rowPtr[r]}`);
      }
    }
    const nnz = rowPtr[rows]!;
    assertLength('colIdx', colIdx, nnz);
    assertLength('values', values, nnz);
    for (let r = 0; r < rows; r++) {
      const start = rowPtr[r]!;
      const end = rowPtr[r + 1]!;
      let prev = -1;
      for (let k = start; k < end; k++) {
        const c = colIdx[k]!;
        if (c >= cols) throw new InvalidArgumentError('colIdx', `column ${c} at position ${k} (row ${r}) is out of range [0, ${cols})`);
        if (c <= prev) {
          throw new InvalidArgumentError(
            'colIdx',
            c === prev ? `duplicate column ${c} in row ${r}` : `columns of row ${r} must be sorted ascending (found ${prev} then ${c})`,
          );
        }
        prev = c;
      }
    }
    assertFinite('values', values, (k) => `nonzero ${k}`);
    this.rows = rows;
    this.cols = cols;
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.values = values;
    this.rowPtrFingerprint = indexFingerprint(rowPtr);
    this.colIdxFingerprint = indexFingerprint(colIdx);
  }

  get nnz(): number {
    return this.colIdx.length;
  }

  /**
   * Throws an InvalidArgumentError naming `argument.rowPtr` or
   * `argument.colIdx` when either was written to after construction (O(rows +
   * nnz), ~1–2 ms per million nonzeros). Every product, evolution and layer
   * taking this matrix calls it; call it yourself after handing the arrays
   * to code you do not trust.
   */
  verifyStructure(argument = 'W', fingerprint: (array: Uint32Array) => number = indexFingerprint): void {
    // `fingerprint`: @internal, the kernels pass the SIMD twin of indexFingerprint (same value, faster).
    if (fingerprint(this.rowPtr) !== this.rowPtrFingerprint) throw structureChanged(`${argument}.rowPtr`);
    if (fingerprint(this.colIdx) !== this.colIdxFingerprint) throw structureChanged(`${argument}.colIdx`);
  }

  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.nnz / (this.rows * this.cols);
  }

  /** Keeps the nonzeros (exact zeros are dropped). */
  static fromDense(dense: DenseMatrix): CSRMatrix {
    const { rows, cols, data } = dense;
    let nnz = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
    const rowPtr = new Uint32Array(rows + 1);
    const colIdx = new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = data[r * cols + c]!;
        if (v !== 0) {
          colIdx[k] = c;
          values[k++] = v;
        }
      }
      rowPtr[r + 1] = k;
    }
    return new CSRMatrix({ rows, cols, rowPtr, colIdx, values });
  }

  /**
   * From coordinate triplets in any order. Duplicates are an error unless
   * `duplicates: 'sum'` asks for them to be added.
   */
  static fromCOO(coo: {
    rows: number;
    cols: number;
    rowIndices: ArrayLike<number>;
    colIndices: ArrayLike<number>;
    values: ArrayLike<number>;
    duplicates?: 'error' | 'sum';
  }): CSRMatrix {
    const { rows, cols, rowIndices, colIndices, values } = coo;
    assertCount('rows', rows);
    assertCount('cols', cols);
    const n = rowIndices.length;
    assertLength('colIndices', colIndices, n);
    assertLength('values', values, n);
    for (let k = 0; k < n; k++) {
      const r = rowIndices[k]!;
      const c = colIndices[k]!;
      if (!Number.isInteger(r) || r < 0 || r >= rows) throw new InvalidArgumentError('rowIndices', `entry ${k} = ${r} is out of range [0, ${rows})`);
      if (!Number.isInteger(c) || c < 0 || c >= cols) throw new InvalidArgumentError('colIndices', `entry ${k} = ${c} is out of range [0, ${cols})`);
    }
    const order = Array.from({ length: n }, (_, k) => k);
    order.sort((a, b) => rowIndices[a]! - rowIndices[b]! || colIndices[a]! - colIndices[b]!);
    const rowPtr = new Uint32Array(rows + 1);
    const colIdx: number[] = [];
    const vals: number[] = [];
    let lastR = -1;
    let lastC = -1;
    for (const k of order) {
      const r = rowIndices[k]!;
      const c = colIndices[k]!;
      if (r === lastR && c === lastC) {
        if (coo.duplicates !== 'sum') throw new InvalidArgumentError('colIndices', `duplicate entry (${r}, ${c}); pass duplicates: 'sum' to add them`);
        vals[vals.length - 1]! += values[k]!;
        continue;
      }
      colIdx.push(c);
      vals.push(values[k]!);
      rowPtr[r + 1]!++;
      lastR = r;
      lastC = c;
    }
    for (let r = 0; r < rows; r++) rowPtr[r + 1]! += rowPtr[r]!;
    return new CSRMatrix({ rows, cols, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(vals) });
  }

  /**
   * A seeded Erdős–Rényi random matrix: each entry present independently with
   * probability p, drawn row by row (nnz_r ~ Binomial(cols, p), then distinct
   * columns by Floyd's algorithm) so memory stays O(nnz) even for 10⁶ × 10⁶.
   */
  static random(options: CSRRandomOptions): CSRMatrix {
    const { rows, cols, seed = 1, init = 'he-uniform' } = options;
    assertCount('rows', rows);
    assertCount('cols', cols);
    assertIndexDimension('rows', rows);
    assertIndexDimension('cols', cols);
    const p = erdosRenyiDensity(options);
    const densityArgument = options.density !== undefined ? 'density' : 'epsilon';
    const limit = initLimit(init, cols, rows);
    const rng = new RandomStream(seed, 0xc5a);
    const rowPtr = allocate('rows', Uint32Array, rows + 1);
    const counts = allocate('rows', Uint32Array, rows);
    let nnz = 0;
    for (let r = 0; r < rows; r++) {
      counts[r] = rng.binomial(cols, p);
      nnz += counts[r]!;
      // rowPtr is 32-bit: past 2³² − 1 it would wrap silently.
      if (nnz > MAX_INDEX_DIMENSION) {
        throw new InvalidArgumentError(densityArgument, `gives more than 2³² − 1 nonzeros for ${rows} × ${cols} (CSR offsets are 32-bit); use a lower ${densityArgument}`);
      }
      rowPtr[r + 1] = nnz;
    }
    const colIdx = allocate(densityArgument, Uint32Array, nnz);
    const values = allocate(densityArgument, Float32Array, nnz);
    const chosen = new Set<number>();
    for (let r = 0; r < rows; r++) {
      const k = counts[r]!;
      const start = rowPtr[r]!;
      const row = colIdx.subarray(start, start + k);
      if (k === cols) {
        for (let c = 0; c < cols; c++) row[c] = c;
      } else {
        chosen.clear();
        // Floyd: k distinct values from [0, cols) in k draws.
        for (let j = cols - k; j < cols; j++) {
          const t = rng.nextInt(j + 1);
          chosen.add(chosen.has(t) ? j : t);
        }
        let i = 0;
        for (const c of chosen) row[i++] = c;
        row.sort();
      }
      for (let i = 0; i < k; i++) values[start + i] = drawInit(init, limit, rng);
    }
    return new CSRMatrix({ rows, cols, rowPtr, colIdx, values });
  }

  toDense(): DenseMatrix {
    const out = new DenseMatrix(this.rows, this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let k = this.rowPtr[r]!; k < this.rowPtr[r + 1]!; k++) out.data[r * this.cols + this.colIdx[k]!] = this.values[k]!;
    }
    return out;
  }

  /** Same structure, new values (e.g. gradients at the nonzeros). */
  withValues(values: Float32Array): CSRMatrix {
    assertLength('values', values, this.nnz);
    return new CSRMatrix({ rows: this.rows, cols: this.cols, rowPtr: this.rowPtr, colIdx: this.colIdx, values });
  }

  /** Number of nonzeros in each row. */
  rowCounts(): Uint32Array {
    const out = new Uint32Array(this.rows);
    for (let r = 0; r < this.rows; r++) out[r] = this.rowPtr[r + 1]! - this.rowPtr[r]!;
    return out;
  }

  /** The CSC transpose index, built on first use by counting sort (O(nnz + cols)). */
  transposeIndex(): CSRTransposeIndex {
    this.cachedTranspose ??= buildTransposeIndex(this.rows, this.cols, this.rowPtr, this.colIdx);
    return this.cachedTranspose;
  }

  /** The row of each nonzero (the COO row array), for per-nonzero kernels. */
  rowIndices(): Uint32Array {
    if (this.cachedRowIndices) return this.cachedRowIndices;
    const out = new Uint32Array(this.nnz);
    for (let r = 0; r < this.rows; r++) out.fill(r, this.rowPtr[r]!, this.rowPtr[r + 1]!);
    this.cachedRowIndices = out;
    return out;
  }

  /**
   * Rows ordered by decreasing length (Sputnik's "row swizzle"): neighbouring
   * GPU threads then get rows of similar length, so a power-law row does not
   * stall a workgroup of short ones.
   */
  rowOrder(): Uint32Array {
    if (this.cachedRowOrder) return this.cachedRowOrder;
    this.cachedRowOrder = orderByLengthDesc(this.rowPtr, this.rows);
    return this.cachedRowOrder;
  }
}

/**
 * The transpose index of any row-compressed pattern (a CSR, or an N:M
 * matrix's slots through its implicit row pointers), by counting sort in
 * O(nnz + cols): entries of a column come out by ascending row, and perm
 * points at each entry's position in the pattern's values.
 */
export function buildTransposeIndex(rows: number, cols: number, rowPtr: Uint32Array, colIdx: Uint32Array): CSRTransposeIndex {
  const nnz = colIdx.length;
  const colPtr = new Uint32Array(cols + 1);
  for (let k = 0; k < nnz; k++) colPtr[colIdx[k]! + 1]!++;
  for (let c = 0; c < cols; c++) colPtr[c + 1]! += colPtr[c]!;
  const next = colPtr.slice(0, cols);
  const rowIdx = new Uint32Array(nnz);
  const perm = new Uint32Array(nnz);
  for (let r = 0; r < rows; r++) {
    for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) {
      const dst = next[colIdx[k]!]!++;
      rowIdx[dst] = r;
      perm[dst] = k;
    }
  }
  return { colPtr, rowIdx, perm, order: orderByLengthDesc(colPtr, cols) };
}

function structureChanged(argument: string): InvalidArgumentError {
  return new InvalidArgumentError(
    argument,
    'was changed after the CSRMatrix was built; its structure is immutable (the transpose index, row order and GPU copies ' +
      'derive from it). Build a new CSRMatrix from the edited arrays, which validates them: ' +
      'new CSRMatrix({ rows, cols, rowPtr, colIdx, values })',
  );
}

/** 0, 1, …, count − 1: rows (or columns, or samples) in their own order. */
export function identityOrder(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => i);
}

/** Rows (or columns) sorted by decreasing segment length, by counting sort. */
export function orderByLengthDesc(ptr: Uint32Array, count: number): Uint32Array {
  let maxLen = 0;
  for (let i = 0; i < count; i++) maxLen = Math.max(maxLen, ptr[i + 1]! - ptr[i]!);
  const buckets = new Uint32Array(maxLen + 2);
  for (let i = 0; i < count; i++) buckets[maxLen - (ptr[i + 1]! - ptr[i]!) + 1]!++;
  for (let b = 0; b <= maxLen; b++) buckets[b + 1]! += buckets[b]!;
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[buckets[maxLen - (ptr[i + 1]! - ptr[i]!)]!++] = i;
  return out;
}

/** The connection probability from `density` or SET's `epsilon`. */
export function erdosRenyiDensity(options: { rows: number; cols: number; density?: number; epsilon?: number }): number {
  const { rows, cols, density, epsilon } = options;
  if ((density === undefined) === (epsilon === undefined)) {
    throw new InvalidArgumentError('density', 'give exactly one of density and epsilon');
  }
  if (density !== undefined) {
    assertProbability('density', density);
    return density;
  }
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new InvalidArgumentError('epsilon', `must be a finite number > 0, got ${String(epsilon)}`);
  }
  if (rows * cols === 0) return 0;
  return Math.min(1, (epsilon * (rows + cols)) / (rows * cols));
}

function drawInit(init: WeightInit, limit: number, rng: RandomStream): number {
  return init === 'normal' ? rng.normal() * limit : rng.uniform(-limit, limit);
}
