import { readCsv } from './parse-csv.ts';
import { readJsonLines } from './parse-json-lines.ts';

/** A dataset cell: a finite number, text, a boolean, or null for missing. */
export type Cell = number | string | boolean | null;

/**
 * One column of rows. `numbers` while every present cell is a finite number: packed, NaN standing
 * for missing (a NaN is never a value — CSV `NaN` text and JSON have none). `cells` once a column
 * holds anything else (text, a boolean): the cells themselves, missing as null.
 */
export type Column =
  | { readonly type: 'numbers'; readonly values: Float64Array }
  | { readonly type: 'cells'; readonly values: readonly Cell[] };

/** Rows as columns: every column `rows` long, `lines[i]` the (1-based) line row i starts on. */
export interface ColumnChunk {
  readonly rows: number;
  readonly lines: Int32Array;
  /** The wanted columns, in the order chosen; a wanted column the file lacks reads all missing. */
  readonly columns: ReadonlyMap<string, Column>;
}

export interface ReadColumnsOptions {
  /** `csv`: a header row then records (RFC 4180, see `readCsv`); `jsonl`: one object per line. */
  format: 'csv' | 'jsonl';
  /**
   * The columns to keep, given the file's (the CSV header, or the keys of the first JSON Lines
   * row); default all of them. Only these are typed and stored.
   */
  columns?: (available: readonly string[]) => readonly string[];
  /** Rows per yielded chunk (default 65 536). */
  chunkRows?: number;
}

/**
 * Reads a CSV or JSON Lines dataset straight into columns, chunk by chunk, without an object per
 * row: records come from {@link readCsv} / {@link readJsonLines} (same parsing, same errors naming
 * the line) and each wanted cell is typed and stored at once. Typing: a CSV field is a number when
 * it parses as a finite number (`Number(field)`, not blank), missing when empty, else text; a row
 * shorter than the header reads missing for the rest, fields beyond it are dropped; whitespace-only
 * lines are blank. A JSON value is kept when a finite number, a string or a boolean; null, objects
 * and arrays read as missing, as does a key the row lacks (keys beyond the first row's are not
 * read unless chosen). An error thrown by `chunks` passes through unchanged.
 */
export async function* readColumns(
  chunks: AsyncIterable<string | Uint8Array>,
  options: ReadColumnsOptions,
): AsyncGenerator<ColumnChunk> {
  const chunkRows = options.chunkRows ?? 65_536;
  let builder: ColumnBuilder | undefined;
  const choose = (available: readonly string[]) => options.columns?.(available) ?? available;
  if (options.format === 'csv') {
    let positions: Int32Array | undefined;
    for await (const { line, fields } of readCsv(chunks)) {
      if (!positions || !builder) {
        if (fields.length === 1 && fields[0]!.trim() === '') continue;
        const chosen = choose(fields);
        builder = new ColumnBuilder(chosen, chunkRows);
        // A repeated header name reads its last column, as a row object would.
        positions = Int32Array.from(chosen, (name) => fields.lastIndexOf(name));
        continue;
      }
      if (fields.length === 1 && fields[0]!.trim() === '') continue;
      const row = builder.startRow(line);
      for (let c = 0; c < positions.length; c++) {
        const field = fields[positions[c]!];
        builder.set(c, row, field === undefined ? null : csvCell(field));
      }
      if (builder.full) yield builder.take();
    }
  } else {
    let names: readonly string[] | undefined;
    for await (const { line, row: object } of readJsonLines(chunks)) {
      if (!names || !builder) {
        names = choose(Object.keys(object));
        builder = new ColumnBuilder(names, chunkRows);
      }
      const row = builder.startRow(line);
      for (let c = 0; c < names.length; c++) builder.set(c, row, jsonCell(object[names[c]!]));
      if (builder.full) yield builder.take();
    }
  }
  if (builder && builder.rows > 0) yield builder.take();
}

/** A whole dataset's columns, as {@link readColumns} yields them, in one chunk (empty: 0 rows, no columns). */
export async function collectColumns(chunks: AsyncIterable<ColumnChunk>): Promise<ColumnChunk> {
  const parts: ColumnChunk[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  if (parts.length <= 1) return parts[0] ?? { rows: 0, lines: new Int32Array(0), columns: new Map() };
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const lines = new Int32Array(rows);
  let offset = 0;
  for (const part of parts) {
    lines.set(part.lines, offset);
    offset += part.rows;
  }
  const columns = new Map<string, Column>();
  for (const name of parts[0]!.columns.keys()) {
    const pieces = parts.map((part) => part.columns.get(name)!);
    if (pieces.every((piece) => piece.type === 'numbers')) {
      const values = new Float64Array(rows);
      let at = 0;
      for (const piece of pieces) {
        values.set(piece.values, at);
        at += piece.values.length;
      }
      columns.set(name, { type: 'numbers', values });
    } else {
      columns.set(name, { type: 'cells', values: pieces.flatMap(cellsOf) });
    }
  }
  return { rows, lines, columns };
}

/** A column's cells (packed numbers unpacked, NaN as null). */
export function cellsOf(column: Column): Cell[] {
  if (column.type === 'cells') return [...column.values];
  return Array.from(column.values, (x) => (Number.isNaN(x) ? null : x));
}

function csvCell(field: string): Cell {
  if (field === '') return null;
  const number = Number(field);
  return Number.isFinite(number) && field.trim() !== '' ? number : field;
}

function jsonCell(value: unknown): Cell {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

/**
 * One chunk's columns being filled: packed numbers until a column's first other cell. Buffers start
 * small and double up to the chunk size, so a short file does not allocate a full chunk per column.
 */
class ColumnBuilder {
  rows = 0;
  readonly #names: readonly string[];
  readonly #chunkRows: number;
  #lines: Int32Array;
  #numbers: (Float64Array | undefined)[];
  #cells: (Cell[] | undefined)[];

  constructor(names: readonly string[], chunkRows: number) {
    this.#names = names;
    this.#chunkRows = chunkRows;
    const capacity = Math.min(chunkRows, 1024);
    this.#lines = new Int32Array(capacity);
    this.#numbers = names.map(() => new Float64Array(capacity));
    this.#cells = names.map(() => undefined);
  }

  get full(): boolean {
    return this.rows === this.#chunkRows;
  }

  /** Starts a row (every column must then be `set`); returns its index. */
  startRow(line: number): number {
    if (this.rows === this.#lines.length) this.#grow();
    this.#lines[this.rows] = line;
    return this.rows++;
  }

  set(c: number, row: number, cell: Cell): void {
    const numbers = this.#numbers[c];
    if (numbers === undefined) this.#cells[c]!.push(cell);
    else if (typeof cell === 'number') numbers[row] = cell;
    else if (cell === null) numbers[row] = Number.NaN;
    else {
      const cells = cellsOf({ type: 'numbers', values: numbers.subarray(0, row) });
      cells.push(cell);
      this.#cells[c] = cells;
      this.#numbers[c] = undefined;
    }
  }

  take(): ColumnChunk {
    const rows = this.rows;
    const columns = new Map<string, Column>();
    this.#names.forEach((name, c) => {
      const numbers = this.#numbers[c];
      columns.set(
        name,
        numbers
          ? { type: 'numbers', values: numbers.subarray(0, rows) }
          : { type: 'cells', values: this.#cells[c]! },
      );
    });
    const chunk = { rows, lines: this.#lines.subarray(0, rows), columns };
    this.rows = 0;
    this.#lines = new Int32Array(this.#lines.length);
    this.#numbers = this.#names.map(() => new Float64Array(this.#lines.length));
    this.#cells = this.#names.map(() => undefined);
    return chunk;
  }

  #grow(): void {
    const capacity = Math.min(this.#chunkRows, this.#lines.length * 2);
    const lines = new Int32Array(capacity);
    lines.set(this.#lines);
    this.#lines = lines;
    this.#numbers = this.#numbers.map((old) => {
      if (!old) return undefined;
      const numbers = new Float64Array(capacity);
      numbers.set(old);
      return numbers;
    });
  }
}
