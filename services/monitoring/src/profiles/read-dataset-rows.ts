import type { BlobStore } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import { readCsv, readJsonLines } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { type Scalar, scalarOfJson } from '../records/sample-values.ts';

/** One dataset row: column → scalar. */
export type DatasetRow = Readonly<Record<string, Scalar>>;

/**
 * Streams the rows of a JSON Lines or CSV (header row, RFC 4180 quoting) blob, verified by the
 * blob store as it reads (a damaged blob fails with `data_loss` before its last chunk). CSV
 * fields read as numbers when they parse as finite numbers, empty fields as null; a row shorter
 * than the header reads null for the rest, one longer drops the extra fields. UNSPECIFIED sniffs
 * the first non-blank character (`{` → JSON Lines). Throws `invalid_argument` naming the line for
 * a line that does not parse, `unimplemented` for Parquet, `not_found` when the blob is absent.
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
  const chunks = decoded(blobs.get(sha256, options.signal ? { signal: options.signal } : {}));
  const { jsonLines, text } =
    format === DatasetFormat.JSONL || format === DatasetFormat.CSV
      ? { jsonLines: format === DatasetFormat.JSONL, text: chunks }
      : await sniff(chunks);
  if (jsonLines) {
    for await (const { row } of readJsonLines(text)) {
      const scalars: Record<string, Scalar> = {};
      for (const [column, value] of Object.entries(row)) scalars[column] = scalarOfJson(value);
      yield scalars;
    }
    return;
  }
  let header: string[] | undefined;
  for await (const { fields } of readCsv(text)) {
    // Whitespace-only lines are blank here too.
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    if (!header) {
      header = fields;
      continue;
    }
    const row: Record<string, Scalar> = {};
    header.forEach((column, i) => {
      row[column] = csvScalar(fields[i] ?? '');
    });
    yield row;
  }
}

async function* decoded(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of chunks) yield decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Whether the text is JSON Lines (its first non-blank character is `{`), and the text again. */
async function sniff(
  chunks: AsyncIterable<string>,
): Promise<{ jsonLines: boolean; text: AsyncIterable<string> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  let jsonLines = false;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    const first = /\S/.exec(next.value);
    if (first) {
      jsonLines = first[0] === '{';
      break;
    }
  }
  async function* text(): AsyncGenerator<string> {
    try {
      yield* seen;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  return { jsonLines, text: text() };
}

function csvScalar(field: string): Scalar {
  if (field === '') return null;
  const number = Number(field);
  return field.trim() !== '' && Number.isFinite(number) ? number : field;
}
