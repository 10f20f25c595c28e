import { type BlobStore, parseBlobUri } from '@flywheel/blobs';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { parseCsv, parseJsonLines } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';

/** One row of a dataset file: column → raw cell (JSON value; CSV text, null for an empty cell). */
export interface DatasetRow {
  /** The line it starts on, for error messages. */
  readonly line: number;
  readonly cells: Readonly<Record<string, unknown>>;
}

/** A dataset file, parsed. */
export interface DatasetTable {
  /** Column names in order of first appearance. */
  readonly columns: readonly string[];
  readonly rows: readonly DatasetRow[];
  /** True for CSV: every cell is text, so untyped columns are read as numbers when they look like one. */
  readonly csv: boolean;
}

/** Formats the feature store reads (JSONL, CSV, PARQUET); another is answered with `invalid_argument`. */
export function assertReadableFormat(format: DatasetFormat, field: string): void {
  if (
    format !== DatasetFormat.UNSPECIFIED &&
    format !== DatasetFormat.JSONL &&
    format !== DatasetFormat.CSV &&
    format !== DatasetFormat.PARQUET
  ) {
    throw AppError.invalidArgument(field, `unknown dataset format ${format}`);
  }
}

/**
 * Reads a dataset blob (`blob:sha256:<hex>`, verified against its digest) as JSON Lines (one object
 * per line; UNSPECIFIED means JSONL), CSV with a header row, or Parquet (see
 * {@link readParquetTable}; a column of a type it cannot read is refused naming the column). Throws `invalid_argument` for a URI
 * that is not a blob URI (naming `field`), an unsupported format, or a malformed file (naming the
 * line); `not_found` when the blob is absent.
 */
export async function readDataset(
  blobs: BlobStore,
  location: { uri: string; format: DatasetFormat },
  field: string,
  options: CallOptions = {},
): Promise<DatasetTable> {
  const sha256 = parseBlobUri(location.uri, `${field}.uri`);
  assertReadableFormat(location.format, `${field}.format`);
  let bytes: Uint8Array;
  try {
    bytes = await blobs.getBytes(sha256, options);
  } catch (error) {
    if (isAppError(error, 'not_found')) {
      throw new AppError('not_found', `dataset ${location.uri} is not in the blob store`, { cause: error });
    }
    throw error;
  }
  // DuckDB reads Parquet: loaded for the first Parquet dataset, not at start-up.
  if (location.format === DatasetFormat.PARQUET)
    return (await import('./parquet-table.ts')).readParquetTable(bytes, field);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw AppError.invalidArgument(field, 'the file is not UTF-8 text', { cause: error });
  }
  return location.format === DatasetFormat.CSV ? fromCsv(text) : fromJsonLines(text);
}

function fromJsonLines(text: string): DatasetTable {
  const columns = new Set<string>();
  const rows = parseJsonLines(text).map(({ line, row }): DatasetRow => {
    for (const column of Object.keys(row)) columns.add(column);
    return { line, cells: row };
  });
  return { columns: [...columns], rows, csv: false };
}

function fromCsv(text: string): DatasetTable {
  const [header, ...records] = parseCsv(text);
  if (!header) return { columns: [], rows: [], csv: true };
  const columns = header.fields.map((c) => c.trim());
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '') throw AppError.invalidArgument('line 1', 'the header has an empty column name');
    if (seen.has(column)) throw AppError.invalidArgument('line 1', `the header repeats column "${column}"`);
    seen.add(column);
  }
  const rows = records.map(({ line, fields }) => {
    if (fields.length !== columns.length) {
      throw AppError.invalidArgument(
        `line ${line}`,
        `has ${fields.length} fields, the header has ${columns.length}`,
      );
    }
    const cells: Record<string, unknown> = {};
    for (const [i, column] of columns.entries()) cells[column] = fields[i] === '' ? null : fields[i];
    return { line, cells };
  });
  return { columns, rows, csv: true };
}
