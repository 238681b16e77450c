import { InvalidArgumentError } from '../errors.js';
import { RandomStream } from '../random.js';
import { DenseMatrix } from './dense.js';
import { initLimit, type WeightInit } from './init.js';
import { indexFingerprint } from './fingerprint.js';
import { allocate, assertCount, assertFinite, assertIndexDimension, assertLength } from './validate.js';
import { buildTransposeIndex, type CSRTransposeIndex } from './csr.js';

/** M values the kernels support: powers of two whose indices pack into ≤ 4 bits. */
export const SUPPORTED_M = [2, 4, 8, 16] as const;

export interface NMParts {
  rows: number;
  /** The reduction dimension; a multiple of m. */
  cols: number;
  n: number;
  m: number;
  /** rows × (cols/m) × n kept values, group by group; unused slots hold 0. */
  values: Float32Array;
  /**
   * The in-group position (0..m-1) of each value, log2(m) bits each, packed
   * little-end first, floor(32 / log2 m) per Uint32 word, slot k in word
   * ⌊k / perWord⌋. Within a group, positions strictly increase.
   */
  indices: Uint32Array;
}

/**
 * N:M structured sparse matrix (2:4 by default): along the reduction dimension,
 * every group of m consecutive weights keeps at most n, stored as exactly n
 * slots — every row holds the same count, so GPU work is perfectly balanced.
 */
export class NMMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly n: number;
  readonly m: number;
  readonly values: Float32Array;
  readonly indices: Uint32Array;
  private cachedTranspose: CSRTransposeIndex | undefined;
  private readonly indicesFingerprint: number;

  constructor(parts: NMParts) {
    const { rows, cols, n, m, values, indices } = parts;
    assertCount('rows', rows);
    assertCount('cols', cols);
    checkNM(n, m);
    if (cols % m !== 0) throw new InvalidArgumentError('cols', `must be a multiple of m = ${m}, got ${cols}`);
    if (!(values instanceof Float32Array)) throw new InvalidArgumentError('values', 'must be a Float32Array');
    if (!(indices instanceof Uint32Array)) throw new InvalidArgumentError('indices', 'must be a Uint32Array');
    const slots = rows * (cols / m) * n;
    assertLength('values', values, slots);
    assertLength('indices', indices, packedWords(slots, m));
    this.rows = rows;
    this.cols = cols;
    this.n = n;
    this.m = m;
    this.values = values;
    this.indices = indices;
    for (let group = 0; group < slots / n; group++) {
      let prev = -1;
      for (let t = 0; t < n; t++) {
        const p = this.slotPosition(group * n + t);
        if (p <= prev) {
          const row = Math.floor(group / this.groupsPerRow);
          throw new InvalidArgumentError('indices', `positions in group ${group % this.groupsPerRow} of row ${row} must strictly increase (found ${prev} then ${p})`);
        }
        prev = p;
      }
    }
    assertFinite('values', values, (k) => `slot ${k}`);
    this.indicesFingerprint = indexFingerprint(indices);
  }

  /**
   * Throws an InvalidArgumentError naming `argument.indices` when the packed
   * positions were written to after construction (the transpose index and GPU
   * copies derive from them); every product, evolution and layer taking this
   * matrix calls it. `values` may change in place.
   */
  verifyStructure(argument = 'W', fingerprint: (array: Uint32Array) => number = indexFingerprint): void {
    // `fingerprint`: @internal, the kernels pass the SIMD twin of indexFingerprint (same value, faster).
    if (fingerprint(this.indices) !== this.indicesFingerprint) {
      throw new InvalidArgumentError(
        `${argument}.indices`,
        'was changed after the NMMatrix was built; its structure is immutable (the transpose index and GPU copies derive from it). ' +
          'Build a new NMMatrix from the edited arrays, which validates them: new NMMatrix({ rows, cols, n, m, values, indices })',
      );
    }
  }

  get groupsPerRow(): number {
    return this.cols / this.m;
  }

  /** Slots (stored values) per row: (cols / m) · n. */
  get slotsPerRow(): number {
    return this.groupsPerRow * this.n;
  }

  get bitsPerIndex(): number {
    return Math.log2(this.m);
  }

  /** Stored nonzero count (slots), including any zero-valued padding slots. */
  get nnz(): number {
    return this.values.length;
  }

  /** The in-group position of slot k. */
  slotPosition(k: number): number {
    const bits = Math.log2(this.m);
    const perWord = Math.floor(32 / bits);
    return (this.indices[Math.floor(k / perWord)]! >>> ((k % perWord) * bits)) & (this.m - 1);
  }

  /** Row pointers as a CSR would hold them (every row has slotsPerRow slots): what the CPU kernels share with CSR. */
  rowPointers(): Uint32Array {
    const ptr = new Uint32Array(this.rows + 1);
    for (let r = 0; r <= this.rows; r++) ptr[r] = r * this.slotsPerRow;
    return ptr;
  }

  /**
   * The column of every slot in one pass (incremental decode, no division per
   * slot): what the CPU kernels index with.
   */
  slotColumns(): Uint32Array {
    const { n, m, cols, nnz, indices } = this;
    const out = new Uint32Array(nnz);
    const bits = Math.log2(m);
    const perWord = Math.floor(32 / bits);
    const mask = m - 1;
    // Word by word (slots never straddle words: perWord · bits ≤ 32), shifting
    // a field off per slot; the group base advances every n slots and wraps at
    // the end of a row. Words are kept as int32 (`| 0`, `>>`): a uint32 over
    // 2³¹ would be boxed as a double, and the sign bits shifted in never
    // reach a field that is read.
    let k = 0;
    let t = 0;
    let groupBase = 0;
    for (let word = 0; k < nnz; word++) {
      let bitsLeft = indices[word]! | 0;
      for (const end = Math.min(nnz, k + perWord); k < end; k++) {
        out[k] = groupBase + (bitsLeft & mask);
        bitsLeft >>= bits;
        if (++t === n) {
          t = 0;
          groupBase += m;
          if (groupBase === cols) groupBase = 0;
        }
      }
    }
    return out;
  }

  /**
   * The transpose index (CSC) of the slots, built on first use: for column c,
   * the rows holding it (ascending) and, in perm, their slot numbers. It makes
   * dX = Wᵀ·dY the same atomic-free gather as a CSR's.
   */
  transposeIndex(): CSRTransposeIndex {
    this.cachedTranspose ??= buildTransposeIndex(this.rows, this.cols, this.rowPointers(), this.slotColumns());
    return this.cachedTranspose;
  }

  /** The column of slot k (its group's first column plus its in-group position). */
  slotColumn(k: number): number {
    const group = Math.floor(k / this.n) % this.groupsPerRow;
    return group * this.m + this.slotPosition(k);
  }

  /** From a dense matrix whose groups already hold at most n nonzeros each. */
  static fromDense(dense: DenseMatrix, { n = 2, m = 4 }: { n?: number; m?: number } = {}): NMMatrix {
    return NMMatrix.build(dense, n, m, 'exact');
  }

  /** Magnitude pruning: keep the n largest |w| of each group of m (ties: lower position). */
  static pruneDense(dense: DenseMatrix, { n = 2, m = 4 }: { n?: number; m?: number } = {}): NMMatrix {
    return NMMatrix.build(dense, n, m, 'prune');
  }

  /** A seeded random N:M matrix: n positions drawn uniformly in each group. */
  static random(options: { rows: number; cols: number; n?: number; m?: number; seed?: number; init?: WeightInit }): NMMatrix {
    const { rows, cols, n = 2, m = 4, seed = 1, init = 'he-uniform' } = options;
    assertCount('rows', rows);
    assertCount('cols', cols);
    assertIndexDimension('rows', rows);
    assertIndexDimension('cols', cols);
    checkNM(n, m);
    if (cols % m !== 0) throw new InvalidArgumentError('cols', `must be a multiple of m = ${m}, got ${cols}`);
    const rng = new RandomStream(seed, 0x2a4);
    const limit = initLimit(init, cols, rows);
    const groups = rows * (cols / m);
    const values = allocate('rows × cols', Float32Array, groups * n);
    const positions = new Uint8Array(groups * n);
    const pick = new Uint8Array(m);
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < m; i++) pick[i] = i;
      for (let t = 0; t < n; t++) {
        const j = t + rng.nextInt(m - t);
        const tmp = pick[t]!;
        pick[t] = pick[j]!;
        pick[j] = tmp;
      }
      const chosen = Array.from(pick.subarray(0, n)).sort((a, b) => a - b);
      for (let t = 0; t < n; t++) {
        positions[g * n + t] = chosen[t]!;
        values[g * n + t] = init === 'normal' ? rng.normal() * limit : rng.uniform(-limit, limit);
      }
    }
    return new NMMatrix({ rows, cols, n, m, values, indices: packPositions(positions, m) });
  }

  private static build(dense: DenseMatrix, n: number, m: number, mode: 'exact' | 'prune'): NMMatrix {
    checkNM(n, m);
    const { rows, cols, data } = dense;
    if (cols % m !== 0) throw new InvalidArgumentError('dense', `cols must be a multiple of m = ${m}, got ${cols}`);
    const groups = rows * (cols / m);
    const values = new Float32Array(groups * n);
    const positions = new Uint8Array(groups * n);
    const order = Array.from({ length: m }, (_, i) => i);
    for (let g = 0; g < groups; g++) {
      const base = g * m;
      let keep: number[];
      if (mode === 'exact') {
        keep = [];
        for (let i = 0; i < m; i++) if (data[base + i] !== 0) keep.push(i);
        if (keep.length > n) {
          const row = Math.floor(g / (cols / m));
          throw new InvalidArgumentError('dense', `group ${g % (cols / m)} of row ${row} has ${keep.length} nonzeros, more than n = ${n}; use NMMatrix.pruneDense to prune`);
        }
      } else {
        order.sort((a, b) => Math.abs(data[base + b]!) - Math.abs(data[base + a]!) || a - b);
        keep = order.slice(0, n);
      }
      // Pad with the lowest unused positions (value 0) so every group has n distinct slots.
      for (let i = 0; keep.length < n; i++) if (!keep.includes(i)) keep.push(i);
      keep.sort((a, b) => a - b);
      for (let t = 0; t < n; t++) {
        positions[g * n + t] = keep[t]!;
        values[g * n + t] = data[base + keep[t]!]!;
      }
    }
    return new NMMatrix({ rows, cols, n, m, values, indices: packPositions(positions, m) });
  }

  toDense(): DenseMatrix {
    const out = new DenseMatrix(this.rows, this.cols);
    const slotsPerRow = this.slotsPerRow;
    for (let k = 0; k < this.values.length; k++) {
      const row = Math.floor(k / slotsPerRow);
      out.data[row * this.cols + this.slotColumn(k)] = this.values[k]!;
    }
    return out;
  }

  /** Same structure, new values. */
  withValues(values: Float32Array): NMMatrix {
    return new NMMatrix({ rows: this.rows, cols: this.cols, n: this.n, m: this.m, values, indices: this.indices });
  }
}

export function checkNM(n: number, m: number): void {
  if (!(SUPPORTED_M as readonly number[]).includes(m)) {
    throw new InvalidArgumentError('m', `must be one of ${SUPPORTED_M.join(', ')}, got ${String(m)}`);
  }
  if (!Number.isInteger(n) || n < 1 || n > m) throw new InvalidArgumentError('n', `must be an integer in [1, m = ${m}], got ${String(n)}`);
}

export function packedWords(slots: number, m: number): number {
  return Math.ceil(slots / Math.floor(32 / Math.log2(m)));
}

/** Packs in-group positions (each < m) into log2(m)-bit fields. */
export function packPositions(positions: ArrayLike<number>, m: number): Uint32Array {
  const bits = Math.log2(m);
  const perWord = Math.floor(32 / bits);
  const out = new Uint32Array(packedWords(positions.length, m));
  for (let k = 0; k < positions.length; k++) {
    out[Math.floor(k / perWord)]! |= (positions[k]! & (m - 1)) << ((k % perWord) * bits);
  }
  return out;
}
