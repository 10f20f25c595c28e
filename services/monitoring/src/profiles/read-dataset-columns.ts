import type { BlobStore } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import { type ColumnChunk, collectColumns, readColumns } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';

/**
 * Reads the chosen columns of a JSON Lines or CSV (header row, RFC 4180 quoting) blob into packed
 * columns (`@flywheel/datasets`' `readColumns`: no object per row), verified by the blob store as
 * it reads (a damaged blob fails with `data_loss` before its last chunk). CSV fields read as
 * numbers when they parse as finite numbers, empty fields as missing; a row shorter than the header
 * reads missing for the rest, one longer drops the extra fields. `columns(available)` picks the
 * columns from the header (or the first JSON Lines row's keys); default all. UNSPECIFIED sniffs the
 * first non-blank character (`{` → JSON Lines). Throws `invalid_argument` naming the line for a
 * line that does not parse, `unimplemented` for Parquet, `not_found` when the blob is absent.
 */
export async function readDatasetColumns(
  blobs: BlobStore,
  sha256: string,
  format: DatasetFormat,
  options: { signal?: AbortSignal; columns?: (available: readonly string[]) => readonly string[] } = {},
): Promise<ColumnChunk> {
  if (format === DatasetFormat.PARQUET) {
    throw new AppError('unimplemented', 'Parquet datasets cannot be profiled yet; use JSON Lines or CSV');
  }
  const chunks = decoded(blobs.get(sha256, options.signal ? { signal: options.signal } : {}));
  const { jsonLines, text } =
    format === DatasetFormat.JSONL || format === DatasetFormat.CSV
      ? { jsonLines: format === DatasetFormat.JSONL, text: chunks }
      : await sniff(chunks);
  return collectColumns(
    readColumns(text, {
      format: jsonLines ? 'jsonl' : 'csv',
      ...(options.columns ? { columns: options.columns } : {}),
    }),
  );
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
