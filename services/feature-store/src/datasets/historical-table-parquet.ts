import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { HistoricalTable } from './historical-table.ts';
import { encodeTable } from './historical-table-encoding.ts';

const duckTypes: Partial<Record<ValueType, string>> = {
  [ValueType.STRING]: 'VARCHAR',
  [ValueType.BYTES]: 'VARCHAR', // base64 text, as in JSON Lines
  [ValueType.INT32]: 'INTEGER',
  [ValueType.INT64]: 'BIGINT',
  [ValueType.FLOAT]: 'FLOAT',
  [ValueType.DOUBLE]: 'DOUBLE',
  [ValueType.BOOL]: 'BOOLEAN',
  [ValueType.TIMESTAMP]: 'TIMESTAMP',
  [ValueType.STRING_LIST]: 'VARCHAR[]',
  [ValueType.INT64_LIST]: 'BIGINT[]',
  [ValueType.FLOAT_LIST]: 'FLOAT[]',
  [ValueType.DOUBLE_LIST]: 'DOUBLE[]',
  [ValueType.BOOL_LIST]: 'BOOLEAN[]',
};

const kindTypes: Record<string, string> = {
  stringValue: 'VARCHAR',
  boolValue: 'BOOLEAN',
  int32Value: 'INTEGER',
  int64Value: 'BIGINT',
  floatValue: 'FLOAT',
  doubleValue: 'DOUBLE',
  timestampValue: 'TIMESTAMP',
};

/**
 * The table as a Parquet file, written by DuckDB (zstd): join keys, `event_time` (TIMESTAMP, UTC)
 * and features typed by their declared value types; a pass-through column typed by the kind of its
 * values when they all share one scalar kind, else JSON text. Same cells as {@link encodeTable}.
 */
export async function encodeTableParquet(table: HistoricalTable): Promise<Uint8Array> {
  const types = [
    ...table.joinKeys.map((k) => duckTypes[k.valueType] ?? 'VARCHAR'),
    'TIMESTAMP',
    ...table.passThrough.map((_, c) => passThroughType(table, c)),
    ...table.features.map((f) => duckTypes[f.feature.valueType] ?? 'JSON'),
  ];
  const id = randomUUID();
  const input = join(tmpdir(), `flywheel-table-${id}.jsonl`);
  const output = join(tmpdir(), `flywheel-table-${id}.parquet`);
  await writeFile(input, encodeTable(table, DatasetFormat.JSONL));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const columns = table.columns.map((name, i) => `${sqlString(name)}: ${sqlString(types[i]!)}`).join(', ');
    const source =
      table.rows.length === 0
        ? `SELECT ${table.columns.map((name, i) => `NULL::${types[i]} AS ${sqlIdentifier(name)}`).join(', ')} LIMIT 0`
        : `SELECT * FROM read_json(${sqlString(input)}, format = 'newline_delimited', columns = {${columns}})`;
    await connection.run(`COPY (${source}) TO ${sqlString(output)} (FORMAT parquet, COMPRESSION zstd)`);
    connection.closeSync();
    return new Uint8Array(await readFile(output));
  } finally {
    instance.closeSync();
    await rm(input, { force: true });
    await rm(output, { force: true });
  }
}

function passThroughType(table: HistoricalTable, column: number): string {
  let type: string | undefined;
  for (const row of table.rows) {
    const kind = row.frame.columns[column]?.kind.case;
    if (kind === undefined) continue;
    const next = kindTypes[kind] ?? 'JSON';
    if (type !== undefined && type !== next) return 'JSON';
    type = next;
  }
  return type ?? 'VARCHAR';
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlIdentifier(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}
