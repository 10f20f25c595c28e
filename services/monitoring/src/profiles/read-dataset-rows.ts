import type { BlobStore } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { type Scalar, scalarOfJson } from '../records/sample-values.ts';

/** One dataset row: column → scalar. */
export type DatasetRow = Readonly<Record<string, Scalar>>;

/**
 * Streams the rows of a JSON Lines or CSV (header row, RFC 4180 quoting) blob, verified by the
 * blob store as it reads (a damaged blob fails with `data_loss` before its last chunk). CSV
 * fields read as numbers when they parse as finite numbers, empty fields as null. UNSPECIFIED
 * sniffs the first byte (`{` → JSON Lines). Throws `invalid_argument` for a line that does not
 * parse, `unimplemented` for Parquet, `not_found` when the blob is absent.
 */
export async function* readDatasetRows(
  blobs: BlobStore,
  sha256: string,
  format: DatasetFormat,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<DatasetRow> {
  if (format === DatasetFormat.PARQUET) {
    throw new AppError('unimplemented', 'Parquet datasets cannot be profiled yet; use JSON Lines or CSV');
  }
  let csvHeader: string[] | undefined;
  let pendingCsv = '';
  let mode: 'jsonl' | 'csv' | undefined =
    format === DatasetFormat.JSONL ? 'jsonl' : format === DatasetFormat.CSV ? 'csv' : undefined;
  let lineNumber = 0;
  for await (const line of lines(blobs.get(sha256, options.signal ? { signal: options.signal } : {}))) {
    lineNumber++;
    if (mode === undefined) {
      if (line.trim() === '') continue;
      mode = line.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    }
    if (mode === 'jsonl') {
      if (line.trim() === '') continue;
      yield jsonRow(line, lineNumber);
      continue;
    }
    // A quoted CSV field may hold line breaks: gather lines until the quotes balance.
    pendingCsv = pendingCsv ? `${pendingCsv}\n${line}` : line;
    if (countQuotes(pendingCsv) % 2 === 1) continue;
    const record = pendingCsv;
    pendingCsv = '';
    if (record.trim() === '') continue;
    const fields = parseCsvRecord(record);
    if (!csvHeader) {
      csvHeader = fields;
      continue;
    }
    const row: Record<string, Scalar> = {};
    csvHeader.forEach((column, i) => {
      row[column] = csvScalar(fields[i] ?? '');
    });
    yield row;
  }
  if (pendingCsv) throw new AppError('invalid_argument', 'the CSV ends inside a quoted field');
}

async function* lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of chunks) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      yield stripCr(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered) yield stripCr(buffered);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function jsonRow(line: string, lineNumber: number): DatasetRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new AppError(
      'invalid_argument',
      `dataset line ${lineNumber} is not JSON: ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('invalid_argument', `dataset line ${lineNumber} is not a JSON object`);
  }
  const row: Record<string, Scalar> = {};
  for (const [column, value] of Object.entries(parsed)) row[column] = scalarOfJson(value);
  return row;
}

function countQuotes(text: string): number {
  let count = 0;
  for (const char of text) if (char === '"') count++;
  return count;
}

/** The fields of one CSV record (RFC 4180: quoted fields, "" for a quote inside them). */
export function parseCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const char = record[i]!;
    if (quoted) {
      if (char === '"' && record[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

function csvScalar(field: string): Scalar {
  if (field === '') return null;
  const number = Number(field);
  return field.trim() !== '' && Number.isFinite(number) ? number : field;
}
