import { allocate, assertCount, assertLength } from './validate.js';
import { InvalidArgumentError } from '../errors.js';
import { RandomStream } from '../random.js';

/**
 * A row-major rows × cols Float32 matrix. Activations are feature-major:
 * a batch of B samples with F features is F × B, so one feature's values
 * across the batch are contiguous (what makes sparse gathers coalesced).
 */
export class DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;

  constructor(rows: number, cols: number, data?: Float32Array | ArrayLike<number>) {
    assertCount('rows', rows);
    assertCount('cols', cols);
    this.rows = rows;
    this.cols = cols;
    if (data === undefined) {
      this.data = allocate('rows × cols', Float32Array, rows * cols);
    } else {
      assertLength('data', data, rows * cols);
      this.data = data instanceof Float32Array ? data : Float32Array.from(data);
    }
  }

  static zeros(rows: number, cols: number): DenseMatrix {
    return new DenseMatrix(rows, cols);
  }

  /** From an array of equal-length rows. */
  static fromRows(rows: ArrayLike<ArrayLike<number>>): DenseMatrix {
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0]!.length;
    const out = new DenseMatrix(r, c);
    for (let i = 0; i < r; i++) {
      const row = rows[i]!;
      if (row.length !== c) throw new InvalidArgumentError(`rows[${i}]`, `must have length ${c}, got ${row.length}`);
      for (let j = 0; j < c; j++) out.data[i * c + j] = row[j]!;
    }
    return out;
  }

  /** Seeded uniform(lo, hi) entries. */
  static random(rows: number, cols: number, { seed = 1, lo = -1, hi = 1 } = {}): DenseMatrix {
    const out = new DenseMatrix(rows, cols);
    const rng = new RandomStream(seed, 0x0de5e);
    for (let i = 0; i < out.data.length; i++) out.data[i] = rng.uniform(lo, hi);
    return out;
  }

  get(row: number, col: number): number {
    return this.data[row * this.cols + col]!;
  }

  /** The rows × cols nested-array form (handy for tests and mathjs). */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }

  transpose(): DenseMatrix {
    const out = new DenseMatrix(this.cols, this.rows);
    for (let i = 0; i < this.rows; i++) {
      for (let j = 0; j < this.cols; j++) out.data[j * this.rows + i] = this.data[i * this.cols + j]!;
    }
    return out;
  }
}
