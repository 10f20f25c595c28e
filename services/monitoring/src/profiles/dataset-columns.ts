import type { FeatureKindName } from '../records/monitor-records.ts';
import { inferKind, type Scalar, sampleOf } from '../records/sample-values.ts';
import type { SampleValue } from '../records/window-records.ts';

/**
 * Chosen columns of a dataset, collected row by row. A column that holds only finite numbers and
 * missing values is packed into `Float64Array` chunks (NaN standing for missing): no boxed number
 * per value, nothing for the garbage collector to trace in 100 × 100k values, and no copying as
 * the columns grow (the row count is not known up front). The first
 * other value (text, a boolean, a non-finite number) turns that column into a list of the scalars
 * themselves, so every kind keeps working.
 */
export class DatasetColumns {
  readonly names: readonly string[];
  #rows = 0;
  /** Per column, full chunks of {@link chunkRows} rows; `#numbers` is the one being filled. */
  #chunks: Float64Array[][];
  #numbers: Float64Array[];
  #scalars: (Scalar[] | undefined)[];

  constructor(names: readonly string[]) {
    this.names = names;
    this.#chunks = names.map(() => []);
    this.#numbers = names.map(() => new Float64Array(chunkRows));
    this.#scalars = names.map(() => undefined);
  }

  /** Appends one row; a column the row lacks counts as missing. */
  add(row: Readonly<Record<string, Scalar>>): void {
    const i = this.#rows % chunkRows;
    if (i === 0 && this.#rows > 0) this.#nextChunk();
    const names = this.names;
    const numbers = this.#numbers;
    const scalars = this.#scalars;
    for (let c = 0; c < names.length; c++) {
      const value = row[names[c]!];
      const list = scalars[c];
      if (list !== undefined) list.push(value ?? null);
      else if (typeof value === 'number' && Number.isFinite(value)) numbers[c]![i] = value;
      else if (value === null || value === undefined) numbers[c]![i] = Number.NaN;
      else {
        scalars[c] = [...unpacked(this.#packed(c)), value];
        this.#chunks[c] = [];
      }
    }
    this.#rows++;
  }

  /** Rows added. */
  get rows(): number {
    return this.#rows;
  }

  /** `inferKind` of column `c`'s values: numeric when every present value is a number. */
  inferredKind(c: number): FeatureKindName {
    const list = this.#scalars[c];
    return list ? inferKind(list) : 'numeric';
  }

  /** The values column `c` takes as a numeric column (see `sampleOf`), missing ones left out, in row order. */
  numbers(c: number): Float64Array {
    const out = new Float64Array(this.#rows);
    let count = 0;
    const list = this.#scalars[c];
    if (list) {
      for (const value of list) {
        const sample = sampleOf(value, 'numeric');
        if (sample !== null) out[count++] = sample as number;
      }
    } else {
      for (const numbers of this.#chunksOf(c)) {
        for (let i = 0; i < numbers.length; i++) {
          const x = numbers[i]!;
          if (!Number.isNaN(x)) out[count++] = x;
        }
      }
    }
    return out.subarray(0, count);
  }

  /** Every value of column `c` as a sample of a column of `kind` (`sampleOf`), missing ones as null. */
  samples(c: number, kind: FeatureKindName): SampleValue[] {
    const list = this.#scalars[c] ?? unpacked(this.#packed(c));
    return list.map((value) => sampleOf(value, kind));
  }

  #nextChunk(): void {
    for (let c = 0; c < this.names.length; c++) {
      // A column that turned into scalars keeps no numbers (its last chunk is left unused).
      if (this.#scalars[c]) continue;
      this.#chunks[c]!.push(this.#numbers[c]!);
      this.#numbers[c] = new Float64Array(chunkRows);
    }
  }

  /** Column `c`'s packed values, chunk by chunk, `rows` in all (only while it is packed). */
  *#chunksOf(c: number): Generator<Float64Array> {
    yield* this.#chunks[c]!;
    yield this.#numbers[c]!.subarray(0, this.#rows - this.#chunks[c]!.length * chunkRows);
  }

  #packed(c: number): Float64Array {
    const all = new Float64Array(this.#rows);
    let offset = 0;
    for (const numbers of this.#chunksOf(c)) {
      all.set(numbers, offset);
      offset += numbers.length;
    }
    return all;
  }
}

/** Rows per chunk: 64 KiB of numbers per column. */
const chunkRows = 8192;

function unpacked(numbers: Float64Array): Scalar[] {
  return Array.from(numbers, (x) => (Number.isNaN(x) ? null : x));
}
