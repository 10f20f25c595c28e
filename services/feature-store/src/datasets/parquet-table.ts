import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AppError } from '@flywheel/core';
import type { DatasetRow, DatasetTable } from './dataset-files.ts';

/** DuckDB column types a Parquet dataset column may have, read as JSON-like cells. */
const scalar =
  /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|VARCHAR)$/;
const times = /^(TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|DATE)$/;

/**
 * A Parquet dataset file as a table, read by DuckDB's built-in `read_parquet`: integers as numbers
 * (decimal text beyond 2^53, which INT64 parsing accepts), timestamps as RFC 3339 UTC text with
 * microseconds (naive TIMESTAMP columns are taken as UTC), lists as arrays. `line` is the
 * 1-based row number. `invalid_argument` naming `field` for bytes that are not Parquet, and naming
 * the column (`column <name>`) for a type the feature store cannot read (struct, map, blob…).
 */
export async function readParquetTable(bytes: Uint8Array, field: string): Promise<DatasetTable> {
  const path = join(tmpdir(), `flywheel-dataset-${randomUUID()}.parquet`);
  await writeFile(path, bytes);
  try {
    return await readParquetFile(path, field);
  } finally {
    await rm(path, { force: true });
  }
}

/** {@link readParquetTable} of a local file, which DuckDB reads row group by row group. */
export async function readParquetFile(path: string, field: string): Promise<DatasetTable> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const source = `read_parquet('${path.replaceAll("'", "''")}')`;
    let schema: [string, string][];
    try {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      schema = described.getRows().map(([name, type]) => [name as string, type as string]);
    } catch (error) {
      throw AppError.invalidArgument(field, `the file is not readable Parquet: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const select = schema.map(([name, type]) => {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      const base = type.replace(/\[\]$/, '');
      if (times.test(type)) return `strftime(${quoted}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${quoted}`;
      if (scalar.test(base)) return base.startsWith('DECIMAL') ? `${quoted}::DOUBLE AS ${quoted}` : quoted;
      throw AppError.invalidArgument(
        `column ${name}`,
        `has Parquet type ${type}, which the feature store cannot read`,
      );
    });
    const result = await connection.stream(`SELECT ${select.join(', ')} FROM ${source}`);
    const columns = schema.map(([name]) => name);
    const rows: DatasetRow[] = [];
    for await (const chunk of result.yieldRowsJs()) {
      for (const values of chunk) {
        const cells: Record<string, unknown> = {};
        for (const [i, column] of columns.entries()) cells[column] = cellOf(values[i]);
        rows.push({ line: rows.length + 1, cells });
      }
    }
    connection.closeSync();
    return { columns, rows, csv: false };
  } finally {
    instance.closeSync();
  }
}

function cellOf(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(cellOf);
  return value;
}
