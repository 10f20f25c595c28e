import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { parseCsv, parseJsonLines } from '@flywheel/datasets';
import type { ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { EntityRowSchema } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { CliError, exitCodes } from '../exit-codes.ts';

type EntityRow = MessageInitShape<typeof EntityRowSchema>;
type Value = MessageInitShape<typeof ValueSchema>;

/**
 * The entity dataframe of a training set from a CSV (header row) or JSON Lines file: `joinKeys`
 * columns make each row's entity key, `event_time` (RFC 3339) its as-of time, every other column
 * passes through (labels). Values keep their JSON type; in CSV an integer reads as int64, another
 * number as double, anything else as a string. A usage error names the file and line.
 */
export function readEntityRows(path: string, joinKeys: readonly string[]): EntityRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`--entities ${path}: ${(error as Error).message}`, exitCodes.failure);
  }
  const rows = extname(path) === '.csv' ? csvRows(text) : parseJsonLines(text);
  if (rows.length === 0) throw new CliError(`--entities ${path}: no rows`, exitCodes.usage);
  return rows.map(({ line, row }) => {
    const at = `--entities ${path}: line ${line}`;
    const time = new Date(String(row.event_time ?? ''));
    if (Number.isNaN(time.getTime()))
      throw new CliError(`${at}: event_time must be an RFC 3339 time`, exitCodes.usage);
    const keys: Record<string, Value> = {};
    const columns: Record<string, Value> = {};
    for (const [name, raw] of Object.entries(row)) {
      if (name === 'event_time') continue;
      (joinKeys.includes(name) ? keys : columns)[name] = cellValue(raw, `${at}: ${name}`);
    }
    const missing = joinKeys.filter((k) => !(k in keys));
    if (missing.length) throw new CliError(`${at}: no join key ${missing.join(', ')}`, exitCodes.usage);
    return { entityKey: { joinKeys: keys }, eventTime: timestampFromDate(time), columns };
  });
}

function csvRows(text: string): Array<{ line: number; row: Record<string, unknown> }> {
  const [header, ...body] = parseCsv(text);
  if (!header) return [];
  return body.map((record) => ({
    line: record.line,
    row: Object.fromEntries(header.fields.map((name, i) => [name, typedCell(record.fields[i] ?? '')])),
  }));
}

function typedCell(cell: string): unknown {
  return cell !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell;
}

function cellValue(raw: unknown, what: string): Value {
  if (typeof raw === 'string') return { kind: { case: 'stringValue', value: raw } };
  if (typeof raw === 'boolean') return { kind: { case: 'boolValue', value: raw } };
  if (typeof raw === 'number')
    return Number.isSafeInteger(raw)
      ? { kind: { case: 'int64Value', value: BigInt(raw) } }
      : { kind: { case: 'doubleValue', value: raw } };
  if (raw === null) return {};
  throw new CliError(`${what}: must be a string, number, boolean or null`, exitCodes.usage);
}
