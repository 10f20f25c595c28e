import { type BlobStore, parseBlobUri } from '@flywheel/blobs';
import { AppError, isAppError } from '@flywheel/core';
import { type JsonLine, parseJsonLines } from '@flywheel/datasets';

/** A training set as read from its JSON Lines blob. */
export interface TrainingSetTable {
  /** The blob's sha256. */
  readonly sha256: string;
  /** Every key seen in any row, in first-seen order. */
  readonly columns: readonly string[];
  /** One object per line, in file order. */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Reads a training set blob (`blob:sha256:<hex>`, JSON Lines: one object per line, keys = columns,
 * as the feature store writes them), verified against its digest by the blob store.
 *
 * @param field the parameter named in errors, e.g. `parameters.training_set_uri`.
 * @throws AppError invalid_argument (naming `field`) for a malformed URI or a line that is not a JSON
 *   object; not_found when the blob does not exist; data_loss when it does not match its digest;
 *   cancelled / deadline_exceeded when `signal` aborts.
 */
export async function readTrainingSet(
  blobs: BlobStore,
  uri: string,
  options: { signal: AbortSignal; field: string },
): Promise<TrainingSetTable> {
  const sha256 = parseBlobUri(uri, options.field);
  const bytes = await blobs.getBytes(sha256, { signal: options.signal });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw AppError.invalidArgument(options.field, `${uri} is not UTF-8 text`, { cause: error });
  }
  let lines: JsonLine[];
  try {
    lines = parseJsonLines(text);
  } catch (error) {
    if (!isAppError(error, 'invalid_argument')) throw error;
    throw AppError.invalidArgument(options.field, `${error.message} (in ${uri})`, { cause: error });
  }
  const columns = new Set<string>();
  const rows = lines.map(({ row }) => {
    for (const key of Object.keys(row)) columns.add(key);
    return row;
  });
  return { sha256, columns: [...columns], rows };
}

/**
 * The column that feeds model input `name`: the column of that exact name (`weather_daily:wind`),
 * else the one column whose part after the `<view>:` prefix is `name` (`wind`); or why there is none.
 */
export function resolveColumn(
  table: TrainingSetTable,
  name: string,
): { column: string } | { problem: string } {
  if (table.columns.includes(name)) return { column: name };
  const matches = table.columns.filter((column) => {
    const colon = column.indexOf(':');
    return colon >= 0 && column.slice(colon + 1) === name;
  });
  if (matches.length === 1) return { column: matches[0]! };
  return {
    problem:
      matches.length === 0
        ? `no training-set column provides "${name}" (columns: ${table.columns.join(', ')})`
        : `"${name}" is ambiguous: ${matches.join(', ')} all provide it; name the column as <view>:<feature>`,
  };
}

/**
 * Like {@link resolveColumn}, throwing AppError invalid_argument naming `field` when no single column matches.
 */
export function columnFor(table: TrainingSetTable, name: string, field: string): string {
  const resolved = resolveColumn(table, name);
  if ('problem' in resolved) throw AppError.invalidArgument(field, resolved.problem);
  return resolved.column;
}
