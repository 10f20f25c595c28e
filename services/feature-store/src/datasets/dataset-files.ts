import { type BlobStore, parseBlobUri, withLocalBlobFile } from '@flywheel/blobs';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import {
  type CsvRecord,
  type JsonLine,
  parseCsv,
  parseJsonLines,
  readCsv,
  readJsonLines,
} from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';

/** Dataset blobs over this many bytes are read as streams unless told otherwise: 512 MiB. */
export const defaultDatasetStreamBytes = 512 * 1024 * 1024;

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
 * `readParquetFile`; a column of a type it cannot read is refused naming the column). Parquet is
 * never read into memory: DuckDB reads a local file of the blob (`withLocalBlobFile`: the fs
 * store's own file, else a temporary copy) row group by row group. JSON Lines and CSV over
 * `streamBytes` (default 512 MiB) are read as a stream, record by record as the bytes arrive; the
 * table is the same either way. Throws `invalid_argument` for a URI
 * that is not a blob URI (naming `field`), an unsupported format, or a malformed file (naming the
 * line); `not_found` when the blob is absent.
 */
export async function readDataset(
  blobs: BlobStore,
  location: { uri: string; format: DatasetFormat },
  field: string,
  options: CallOptions = {},
  streamBytes = defaultDatasetStreamBytes,
): Promise<DatasetTable> {
  const sha256 = parseBlobUri(location.uri, `${field}.uri`);
  assertReadableFormat(location.format, `${field}.format`);
  const absent = (error?: unknown) =>
    new AppError('not_found', `dataset ${location.uri} is not in the blob store`, { cause: error });
  const stat = await blobs.stat(sha256, options);
  if (!stat) throw absent();
  if (location.format === DatasetFormat.PARQUET || stat.size > streamBytes)
    return readStreamed(blobs, sha256, location.format, field, options).catch((error) => {
      throw isAppError(error, 'not_found') ? absent(error) : error;
    });
  let bytes: Uint8Array;
  try {
    bytes = await blobs.getBytes(sha256, options);
  } catch (error) {
    if (isAppError(error, 'not_found')) throw absent(error);
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw AppError.invalidArgument(field, 'the file is not UTF-8 text', { cause: error });
  }
  return location.format === DatasetFormat.CSV
    ? fromCsv(parseCsv(text))
    : fromJsonLines(parseJsonLines(text));
}

async function readStreamed(
  blobs: BlobStore,
  sha256: string,
  format: DatasetFormat,
  field: string,
  options: CallOptions,
): Promise<DatasetTable> {
  // DuckDB reads Parquet: loaded for the first Parquet dataset, not at start-up.
  if (format === DatasetFormat.PARQUET) {
    return withLocalBlobFile(blobs, sha256, options, async (path) =>
      (await import('./parquet-table.ts')).readParquetFile(path, field),
    );
  }
  const text = utf8Text(blobs.get(sha256, options), field);
  return format === DatasetFormat.CSV ? fromCsv(readCsv(text)) : fromJsonLines(readJsonLines(text));
}

/** The chunks as text, refusing bytes that are not UTF-8 (as the whole-file path does). */
async function* utf8Text(chunks: AsyncIterable<Uint8Array>, field: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of chunks) yield decoder.decode(chunk, { stream: true });
    yield decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) {
      throw AppError.invalidArgument(field, 'the file is not UTF-8 text', { cause: error });
    }
    throw error;
  }
}

async function fromJsonLines(lines: Iterable<JsonLine> | AsyncIterable<JsonLine>): Promise<DatasetTable> {
  const columns = new Set<string>();
  const rows: DatasetRow[] = [];
  for await (const { line, row } of lines) {
    for (const column of Object.keys(row)) columns.add(column);
    rows.push({ line, cells: row });
  }
  return { columns: [...columns], rows, csv: false };
}

async function fromCsv(parsed: Iterable<CsvRecord> | AsyncIterable<CsvRecord>): Promise<DatasetTable> {
  const records: CsvRecord[] = [];
  for await (const record of parsed) records.push(record);
  const [header] = records;
  records.shift();
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
