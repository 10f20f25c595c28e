import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { KeyScalar } from '../values/feature-values.ts';
import { sqlIdentifier, sqlString } from './duckdb-sql-text.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { ChunkRef } from './offline-records.ts';
import type { DatasetChunksPlan } from './offline-store.ts';
import type { OnlineValue } from './online-records.ts';
import type { EntityUpdate } from './online-store.ts';
import { type ColumnTag, chunkCopyOptions, fromCell, valueColumn } from './parquet-chunk-layout.ts';

/** Parquet column types (as DuckDB names them) of the cases this path takes, by view value type. */
const smallInts = ['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'];
const accepted = new Map<ValueType, { types: readonly string[]; tag: ColumnTag }>([
  [ValueType.DOUBLE, { types: ['DOUBLE', 'FLOAT', ...smallInts, 'UINTEGER'], tag: 'd' }],
  [ValueType.FLOAT, { types: ['DOUBLE', 'FLOAT', ...smallInts, 'UINTEGER'], tag: 'd' }],
  [ValueType.INT64, { types: [...smallInts, 'UINTEGER', 'BIGINT'], tag: 'd' }],
  [ValueType.INT32, { types: smallInts, tag: 'd' }],
  [ValueType.STRING, { types: ['VARCHAR'], tag: 's' }],
  [ValueType.BOOL, { types: ['BOOLEAN'], tag: 'b' }],
]);
const timeTypes = /^(TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|DATE)$/;
/** Largest integer a stored INT64 keeps as a number (beyond it, text: not this path). */
const safeMax = Number.MAX_SAFE_INTEGER;

/** One chunk DuckDB wrote: its bytes and the facts of its ChunkRef. */
export interface DatasetChunk {
  readonly bytes: Uint8Array;
  /** The local file holding `bytes` (in the cache's file system): moved into the cache, not rewritten. */
  readonly path?: string;
  readonly rows: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
}

/** Stores a written chunk (blob store and cache) and answers its ref. */
export type PutChunk = (chunk: DatasetChunk) => Promise<ChunkRef>;

/** How DuckDB reads a dataset file in the chunk layout: its columns and the checks of the plain case. */
interface DatasetSelect {
  readonly source: string;
  /** The entity id text ({@link keyIdOf}'s spelling). */
  readonly key: string;
  /** The event time in epoch ms, rounded up. */
  readonly time: string;
  /** The features the file has, sorted by name: chunk column name and the SQL giving its value. */
  readonly selected: readonly { feature: string; name: string; tag: ColumnTag; sql: string }[];
  /** True for a row outside the plain case. */
  readonly bad: string;
}

/**
 * The SELECT pieces reading `plan.path` in the chunk layout, or undefined when the file is outside
 * the plain case by its schema (see {@link writeDatasetChunks}); the per-row checks are `bad`.
 */
async function planDatasetSelect(
  connection: DuckDBConnection,
  plan: DatasetChunksPlan,
): Promise<DatasetSelect | undefined> {
  const source = `read_parquet(${sqlString(plan.path)}, file_row_number = true)`;
  let schema: Map<string, string>;
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    schema = new Map(described.getRows().map(([name, type]) => [name as string, type as string]));
  } catch {
    return undefined; // not Parquet DuckDB reads: the row reader says why
  }
  const timeType = schema.get(plan.timeColumn);
  if (timeType === undefined || !timeTypes.test(timeType)) return undefined;
  const keyParts: string[] = [];
  const checks: string[] = [`${sqlIdentifier(plan.timeColumn)} IS NULL`];
  for (const key of plan.keys) {
    const type = schema.get(key.column);
    const q = sqlIdentifier(key.column);
    if (type === undefined) return undefined;
    checks.push(`${q} IS NULL`);
    if (key.valueType === ValueType.STRING && type === 'VARCHAR') {
      // Text JSON.stringify writes as is: no quote, backslash, control or non-ASCII character.
      checks.push(`regexp_matches(${q}, '[^\\x20-\\x7e]|["\\\\]')`);
      keyParts.push(`'"' || ${q} || '"'`);
    } else if (
      (key.valueType === ValueType.INT64 && accepted.get(ValueType.INT64)!.types.includes(type)) ||
      (key.valueType === ValueType.INT32 && smallInts.includes(type))
    ) {
      if (type === 'BIGINT') checks.push(`abs(${q}) > ${safeMax}`);
      keyParts.push(`CAST(${q} AS VARCHAR)`);
    } else return undefined;
  }
  const features = plan.features.filter((f) => schema.has(f.column));
  if (features.length === 0) return undefined;
  const selected: { feature: string; name: string; tag: ColumnTag; sql: string }[] = [];
  for (const feature of features) {
    const type = schema.get(feature.column)!;
    const rule = accepted.get(feature.valueType);
    // A DECIMAL reads as its DOUBLE, as the row reader casts it.
    const decimal = /^DECIMAL\(\d+,\d+\)$/.test(type) && rule?.types.includes('FLOAT');
    if (!rule || !(decimal || rule.types.includes(type))) return undefined;
    const q = sqlIdentifier(feature.column);
    if (type === 'DOUBLE' || type === 'FLOAT') checks.push(`NOT isfinite(${q})`);
    if (type === 'BIGINT') checks.push(`abs(${q}) > ${safeMax}`);
    const sql = rule.tag === 'd' ? `CAST(${q} AS DOUBLE)` : q;
    selected.push({ feature: feature.name, name: valueColumn(rule.tag, feature.name), tag: rule.tag, sql });
  }
  // Sorted by name, as chunkLayout orders the feature columns (equal rows give equal files).
  selected.sort((a, b) => (a.feature < b.feature ? -1 : 1));
  const time = `CAST(ceil(epoch_us(CAST(${sqlIdentifier(plan.timeColumn)} AS TIMESTAMP)) / 1000) AS BIGINT)`;
  return {
    source,
    key: `'[' || ${keyParts.join(` || ',' || `)} || ']'`,
    time,
    selected,
    bad: `(${checks.map((c) => `coalesce(${c}, false)`).join(' OR ')})`,
  };
}

/**
 * The chunks of a Parquet dataset file, written by DuckDB from the file itself in the chunk layout
 * of parquet-chunk-layout.ts — no row ever enters this process. Only the plain case: join keys,
 * event time and features present with a Parquet type that maps one to one (see `accepted`), every
 * key and time set, every double finite, every INT64 within ±2^53, key text that JSON writes
 * verbatim, no event time past `plan.latestMs`. Anything else (including what is an error) is
 * undefined, with nothing written: the caller reads the file as rows, whose checks name the row
 * and column of what is wrong. Each chunk goes to `put` as soon as it is written. The event time is rounded up to the millisecond, as
 * `parseEventTime(…, 'up')` does with the text the row reader makes; rows are sorted by event
 * time, file order breaking ties, as `writeChunks` sorts them.
 */
export async function writeDatasetChunks(
  connection: DuckDBConnection,
  /** Another connection to the same database, for writing two chunks at once. */
  withConnection: <T>(use: (connection: DuckDBConnection) => Promise<T>) => Promise<T>,
  dir: string,
  plan: DatasetChunksPlan,
  chunkRows: number,
  put: PutChunk,
): Promise<ChunkRef[] | undefined> {
  const select = await planDatasetSelect(connection, plan);
  if (!select) return undefined;
  const { source, selected } = select;
  // One pass over the file: every row's chunk columns and checks, stored in time order (file order
  // breaking ties), so that a row's rowid is its place in that order (DuckDB keeps the insertion
  // order of a CREATE TABLE AS … ORDER BY; a window's row_number measured 1.5x slower).
  // A main-schema table (not TEMP, which one connection alone sees): chunks are copied out two at
  // a time, on two connections — one chunk's COPY is one row group, written by one thread.
  const staged = sqlIdentifier(`dataset_${randomUUID().replaceAll('-', '')}`);
  await connection.run(
    `CREATE TABLE ${staged} AS
     SELECT ${select.key} AS key, ${select.time} AS event_time_ms,
            ${selected.map((c) => `${c.sql} AS ${sqlIdentifier(c.name)}`).join(', ')},
            ${select.bad} AS bad
     FROM ${source} ORDER BY event_time_ms, file_row_number`,
  );
  try {
    const verdict = await connection.runAndReadAll(
      `SELECT count(*), coalesce(bool_or(bad), false), max(event_time_ms) FROM ${staged}`,
    );
    const [count, bad, latest] = verdict.getRows()[0]!;
    if (bad || Number(count) === 0 || Number(latest as bigint) > plan.latestMs) return undefined;
    // A text or boolean column that is all NULL in a chunk is DOUBLE there, as chunkLayout tags it.
    const typed = selected.filter((c) => !c.name.startsWith('d:'));
    const ranges = await connection.runAndReadAll(
      `SELECT rowid // ${chunkRows} AS part, count(*), min(event_time_ms), max(event_time_ms)
              ${typed.map((c) => `, count(${sqlIdentifier(c.name)})`).join('')}
       FROM ${staged} GROUP BY part ORDER BY part`,
    );
    return await mapConcurrent(ranges.getRows(), 2, async ([part, rows, minTime, maxTime, ...counts]) => {
      const start = Number(part as bigint) * chunkRows;
      const empty = new Set(typed.filter((_, i) => counts[i] === 0n).map((c) => c.name));
      const columns = ['key', 'event_time_ms']
        .map(sqlIdentifier)
        .concat(
          selected.map((c) =>
            empty.has(c.name)
              ? `NULL::DOUBLE AS ${sqlIdentifier(valueColumn('d', c.feature))}`
              : sqlIdentifier(c.name),
          ),
        )
        .join(', ');
      const path = join(dir, `write-${randomUUID()}.parquet.tmp`);
      try {
        // The encode() of duckdb-offline-store.ts: the same options, so the same bytes.
        await withConnection((copier) =>
          copier.run(
            `COPY (SELECT ${columns} FROM ${staged} WHERE rowid >= ${start} AND rowid < ${start + chunkRows})
           TO ${sqlString(path)} (${chunkCopyOptions(plan.view)})`,
          ),
        );
        return await put({
          bytes: new Uint8Array(await readFile(path)),
          path,
          rows: Number(rows as bigint),
          minTimeMs: Number(minTime as bigint),
          maxTimeMs: Number(maxTime as bigint),
        });
      } finally {
        await rm(path, { force: true });
      }
    });
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${staged}`);
  }
}

/**
 * Per entity, the latest value of each feature among the rows of a Parquet dataset file whose event
 * time is in [fromMs, toMs) — what {@link writeDatasetChunks} then `latestInWindow` over its chunks
 * would give (latest event time, file order breaking ties; a NULL cell is the value null) — read
 * from the file in place, one GROUP BY pass, no chunk written. The same plain case and checks as
 * writeDatasetChunks, applied to every row of the file whatever the window: undefined, with nothing
 * given to `apply`, when the file is outside it. Otherwise `apply` gets the entities a batch at a
 * time (those with a row in the window) and the answer is the file's row count.
 */
export async function latestInDatasetFile(
  connection: DuckDBConnection,
  plan: DatasetChunksPlan,
  window: { readonly fromMs: number | null; readonly toMs: number; readonly batchEntities: number },
  apply: (updates: EntityUpdate[]) => Promise<void>,
): Promise<{ rows: number } | undefined> {
  const select = await planDatasetSelect(connection, plan);
  if (!select) return undefined;
  const { fromMs, toMs } = window;
  const t = select.time;
  const inWindow = `${fromMs === null ? '' : `${t} >= ${Math.trunc(fromMs)} AND `}${t} < ${Math.trunc(toMs)}`;
  const filter = `FILTER (WHERE ${inWindow})`;
  // The chunks' order: event time, then file order (writeDatasetChunks sorts them so). Every row of
  // a file sets every feature it has, so the latest row gives all of them: one arg_max of the
  // whole row (a struct), not one per feature: 1 M rows × 50 doubles, load ≈ 20, 12–15 s against
  // 37–50 s for 50 arg_max_null (.run scratch probe, bench/README.md).
  const ord = `(${t}, file_row_number)`;
  const row = `struct_pack(${select.selected.map((c, i) => `v${i} := ${c.sql}`).join(', ')})`;
  const staged = sqlIdentifier(`latest_${randomUUID().replaceAll('-', '')}`);
  await connection.run(
    `CREATE TEMP TABLE ${staged} AS
     SELECT key, n, bad, latest, t${select.selected.map((_, i) => `, r.v${i} AS v${i}`).join('')}
     FROM (SELECT ${select.key} AS key, count(*) AS n, bool_or(${select.bad}) AS bad, max(${t}) AS latest,
                  max(${t}) ${filter} AS t, arg_max(${row}, ${ord}) ${filter} AS r
           FROM ${select.source} GROUP BY 1)`,
  );
  try {
    const verdict = await connection.runAndReadAll(
      `SELECT coalesce(sum(n), 0), coalesce(bool_or(bad), false), max(latest) FROM ${staged}`,
    );
    const [count, bad, latest] = verdict.getRows()[0]!;
    if (bad || Number(count) === 0 || Number(latest as bigint) > plan.latestMs) return undefined;
    const result = await connection.stream(
      `SELECT key, t${select.selected.map((_, i) => `, v${i}`).join('')} FROM ${staged} WHERE t IS NOT NULL`,
    );
    let updates: EntityUpdate[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const vectors = Array.from({ length: chunk.columnCount }, (_, i) => chunk.getColumnVector(i));
      for (let row = 0; row < chunk.rowCount; row++) {
        const timeMs = Number(vectors[1]!.getItem(row) as bigint);
        const features: Record<string, OnlineValue> = {};
        for (const [i, column] of select.selected.entries()) {
          const cell = vectors[i + 2]!.getItem(row) as DuckDBValue;
          features[column.feature] = { value: fromCell(cell, column.tag), timeMs };
        }
        updates.push({ key: JSON.parse(vectors[0]!.getItem(row) as string) as KeyScalar[], features });
      }
      if (updates.length >= window.batchEntities) {
        await apply(updates);
        updates = [];
      }
    }
    if (updates.length > 0) await apply(updates);
    return { rows: Number(count as bigint) };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${staged}`);
  }
}
