import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BIGINT,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  INTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import type { BlobStore } from '@flywheel/blobs';
import { AppError, type CallOptions } from '@flywheel/core';
import { keyIdOf } from '../values/entity-keys.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { KeyScalar, StoredValue } from '../values/feature-values.ts';
import { type DatasetChunk, latestInDatasetFile, writeDatasetChunks } from './duckdb-dataset-chunks.ts';
import {
  type ChunkFile,
  type HistoryColumns,
  historyColumns,
  historySql,
  ordTimeScale,
} from './duckdb-history-sql.ts';
import { writeJoinedFile } from './duckdb-joined-file.ts';
import { sqlIdentifier, sqlString } from './duckdb-sql-text.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { ChunkRef } from './offline-records.ts';
import {
  collectJoined,
  type HistoryRow,
  isParquet,
  type JoinedChunk,
  type OfflineStore,
} from './offline-store.ts';
import type { OnlineValue } from './online-records.ts';
import type { EntityUpdate } from './online-store.ts';
import {
  chunkCopyOptions,
  chunkLayout,
  chunkTableColumns,
  fillChunk,
  fromCell,
  layoutKey,
  layoutVersion,
  viewKey,
} from './parquet-chunk-layout.ts';
import type { AsOf } from './point-in-time-join.ts';

export interface DuckDbOfflineStoreOptions {
  blobs: BlobStore;
  /** Most rows per chunk (≤ 1 048 576: a row's position in its chunk takes 20 bits of its sort key). */
  chunkRows: number;
  /**
   * Local directory caching chunk blobs as `<sha256>.parquet` for DuckDB to read. Chunks are
   * immutable and content-addressed, so a cached file never goes stale and replicas may share it.
   * DuckDB spills to `<cacheDir>/spill` when a join outgrows `memoryLimit`.
   */
  cacheDir: string;
  /** DuckDB worker threads; unset = DuckDB's default (the number of cores). */
  threads?: number;
  /** DuckDB's memory limit, e.g. `512MB`; unset = DuckDB's default (80 % of RAM). */
  memoryLimit?: string;
}

/** Rows per DuckDB vector: the most a data chunk holds. */
const vectorRows = 2048;

/**
 * The offline store on Parquet + DuckDB. Each chunk is a Parquet file with typed columns — `key`
 * (the entity id, {@link keyIdOf}), `event_time_ms`, and per feature a DOUBLE, VARCHAR, BOOLEAN or
 * JSON-text column (see parquet-chunk-layout.ts) — and the view it belongs to in its key-value
 * metadata. The file is kept in the shared blob store (the durable copy every replica sees) and
 * cached in `cacheDir`, where DuckDB reads it with `read_parquet`. Rows go in through data-chunk
 * appends; the point-in-time join is one `ASOF JOIN` over all requested features, read back a
 * vector at a time; Materialize's latest-per-entity is one `GROUP BY` (see duckdb-history-sql.ts).
 */
export async function createDuckDbOfflineStore(options: DuckDbOfflineStoreOptions): Promise<OfflineStore> {
  const { blobs, chunkRows, cacheDir } = options;
  const spill = join(cacheDir, 'spill');
  await mkdir(spill, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    preserve_insertion_order: 'true',
    temp_directory: spill,
    ...(options.threads === undefined ? {} : { threads: String(options.threads) }),
    ...(options.memoryLimit === undefined ? {} : { memory_limit: options.memoryLimit }),
  });
  /** Chunk files already inspected: their view, row count and columns never change. */
  const inspected = new Map<string, { view: string; rows: number; columns: readonly string[] }>();

  const withConnection = async <T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> => {
    const connection = await instance.connect();
    try {
      return await use(connection);
    } finally {
      connection.closeSync();
    }
  };

  /** Like withConnection, for a generator: the connection closes when the consumer stops. */
  async function* streamWithConnection<T>(
    use: (connection: DuckDBConnection) => AsyncGenerator<T>,
  ): AsyncGenerator<T> {
    const connection = await instance.connect();
    try {
      yield* use(connection);
    } finally {
      connection.closeSync();
    }
  }

  const cachedPath = (sha256: string) => join(cacheDir, `${sha256}.parquet`);

  /** The local file of each chunk, fetched from the blob store (digest-verified) when not cached. */
  const localFiles = async (view: string, chunks: readonly ChunkRef[], callOptions: CallOptions) =>
    mapConcurrent(chunks, 8, async (chunk) => {
      const path = cachedPath(chunk.sha256);
      if (await stat(path).catch(() => undefined)) {
        // The blob store stays the truth: a chunk deleted there is missing, cached or not.
        if (!(await blobs.stat(chunk.sha256, callOptions))) {
          throw new AppError('not_found', `offline chunk ${chunk.sha256} of feature view ${view} is missing`);
        }
        return path;
      }
      const bytes = await blobs.getBytes(chunk.sha256, callOptions);
      if (!isParquet(bytes)) {
        throw new AppError(
          'failed_precondition',
          `offline chunk ${chunk.sha256} of feature view ${view} is JSON Lines, written by the document offline store; set FLYWHEEL_FEATURE_STORE_OFFLINE=document`,
        );
      }
      const partial = `${path}.${randomUUID()}.tmp`;
      await writeFile(partial, bytes);
      await rename(partial, path);
      return path;
    });

  /** Puts a chunk file's bytes in the blob store and the local cache; its ref. */
  const putChunk = async (chunk: DatasetChunk, callOptions: CallOptions): Promise<ChunkRef> => {
    const ref = await blobs.put(chunk.bytes, {
      ...callOptions,
      contentType: 'application/vnd.apache.parquet',
    });
    const path = cachedPath(ref.sha256);
    if (chunk.path !== undefined) await rename(chunk.path, path);
    else {
      const partial = `${path}.${randomUUID()}.tmp`;
      await writeFile(partial, chunk.bytes);
      await rename(partial, path);
    }
    return {
      sha256: ref.sha256,
      sizeBytes: ref.size,
      rows: chunk.rows,
      minTimeMs: chunk.minTimeMs,
      maxTimeMs: chunk.maxTimeMs,
    };
  };

  /** Reads (once per file) the view, row count and columns of `paths` from their Parquet footers. */
  const inspect = async (connection: DuckDBConnection, paths: readonly string[]) => {
    const unknown = paths.filter((p) => !inspected.has(p));
    if (unknown.length === 0) return;
    const list = `[${unknown.map(sqlString).join(', ')}]`;
    const facts = new Map(
      unknown.map((p) => [p, { view: '', layout: '', rows: -1, columns: [] as string[] }]),
    );
    const kv = await connection.runAndReadAll(
      `SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata(${list})`,
    );
    for (const [file, key, value] of kv.getRows()) {
      const fact = facts.get(file as string)!;
      if (key === viewKey) fact.view = value as string;
      if (key === layoutKey) fact.layout = value as string;
    }
    const meta = await connection.runAndReadAll(
      `SELECT file_name, num_rows FROM parquet_file_metadata(${list})`,
    );
    for (const [file, rows] of meta.getRows()) facts.get(file as string)!.rows = Number(rows as bigint);
    const schema = await connection.runAndReadAll(
      `SELECT file_name, name FROM parquet_schema(${list}) WHERE num_children IS NULL`,
    );
    for (const [file, name] of schema.getRows()) facts.get(file as string)!.columns.push(name as string);
    for (const [path, fact] of facts) {
      if (fact.layout !== layoutVersion) {
        throw new AppError(
          'failed_precondition',
          `offline chunk ${path} was written by an earlier duckdb offline store layout; re-ingest the feature view`,
        );
      }
      inspected.set(path, { view: fact.view, rows: fact.rows, columns: fact.columns });
    }
  };

  /**
   * The chunk files of `chunks` for a history query, after checking each belongs to `view` and
   * holds the rows its ref says (`data_loss` otherwise, as the document adapter's header check).
   * A chunk listed twice (equal rows ingested twice) is read once, at its last position.
   */
  const chunkFiles = async (
    connection: DuckDBConnection,
    view: string,
    chunks: readonly ChunkRef[],
    callOptions: CallOptions,
  ): Promise<ChunkFile[]> => {
    const paths = await localFiles(view, chunks, callOptions);
    await inspect(connection, paths);
    const order = new Map<string, number>();
    for (const [ix, path] of paths.entries()) order.set(path, ix);
    return [...order].map(([path, ix]) => {
      const fact = inspected.get(path)!;
      const chunk = chunks[ix]!;
      if (fact.view !== view || fact.rows !== chunk.rows) {
        throw new AppError(
          'data_loss',
          `offline chunk ${chunk.sha256} does not belong to feature view ${view}`,
        );
      }
      return { path, ix, columns: fact.columns };
    });
  };

  /** Loads `lookups` into temp table `lookups (ix, key, t)` by data-chunk appends. */
  const loadLookups = async (connection: DuckDBConnection, lookups: readonly AsOf[]) => {
    await connection.run('CREATE TEMP TABLE lookups (ix INTEGER, key VARCHAR, t BIGINT)');
    const appender = await connection.createAppender('lookups', 'main', 'temp');
    const ix: number[] = [];
    const keys: string[] = [];
    const times: bigint[] = [];
    for (let start = 0; start < lookups.length; start += vectorRows) {
      const end = Math.min(start + vectorRows, lookups.length);
      ix.length = keys.length = times.length = 0;
      for (let i = start; i < end; i++) {
        const lookup = lookups[i]!;
        ix.push(i);
        keys.push(lookup.keyId);
        times.push(BigInt(lookup.timeMs));
      }
      const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR, BIGINT], end - start);
      chunk.setColumnValues(0, ix);
      chunk.setColumnValues(1, keys);
      chunk.setColumnValues(2, times);
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
  };

  const joinAsOfChunks = (
    view: string,
    chunks: readonly ChunkRef[],
    lookups: readonly AsOf[],
    ttlMs: number | null,
    callOptions: CallOptions & { features?: readonly string[] } = {},
  ): AsyncIterable<JoinedChunk> =>
    streamWithConnection(async function* (connection) {
      if (chunks.length === 0 || lookups.length === 0) return;
      const files = await chunkFiles(connection, view, chunks, callOptions);
      const columns = historyColumns(files, callOptions.features);
      await loadLookups(connection, lookups);
      // Only rows a lookup can match: at or before the latest lookup, within the TTL of the earliest.
      let minT = Number.POSITIVE_INFINITY;
      let maxT = Number.NEGATIVE_INFINITY;
      for (const { timeMs } of lookups) {
        if (timeMs < minT) minT = timeMs;
        if (timeMs > maxT) maxT = timeMs;
      }
      const range = { fromMs: ttlMs === null ? null : minT - Math.trunc(ttlMs), toMs: maxT };
      // ASOF takes, per lookup, the history row with the greatest `ord` (event time, then write
      // order) at or before the lookup's time; a row older than the TTL is no match, not an older one.
      const result = await connection.stream(
        `SELECT l.ix, ${columns.select.map((c) => `h.${c}`).join(', ')}
         FROM lookups l ASOF JOIN (${historySql(files, columns, range)}) h
           ON l.key = h.key AND l.t::HUGEINT * ${ordTimeScale} + ${ordTimeScale - 1n} >= h.ord
         ${ttlMs === null ? '' : `WHERE h.t >= l.t - ${Math.trunc(ttlMs)}`}`,
      );
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) return;
        yield decodeJoined(chunk, columns);
      }
    });

  return {
    async writeChunks(view, rows, callOptions = {}) {
      const sorted = [...rows].sort((a, b) => a.timeMs - b.timeMs);
      const parts: FeatureRowData[][] = [];
      for (let start = 0; start < sorted.length; start += chunkRows) {
        parts.push(sorted.slice(start, start + chunkRows));
      }
      return mapConcurrent(parts, 2, async (part) => {
        const bytes = await withConnection((connection) => encode(connection, cacheDir, view, part));
        return putChunk(
          { bytes, rows: part.length, minTimeMs: part[0]!.timeMs, maxTimeMs: part.at(-1)!.timeMs },
          callOptions,
        );
      });
    },

    async writeDatasetChunks(plan, callOptions = {}) {
      const chunks = await withConnection((connection) =>
        writeDatasetChunks(connection, withConnection, cacheDir, plan, chunkRows, (chunk) =>
          putChunk(chunk, callOptions),
        ),
      );
      if (!chunks) return undefined;
      return {
        chunks,
        rows: chunks.reduce((sum, c) => sum + c.rows, 0),
        minTimeMs: Math.min(...chunks.map((c) => c.minTimeMs)),
        maxTimeMs: Math.max(...chunks.map((c) => c.maxTimeMs)),
      };
    },

    latestInDatasetFile: (plan, fromMs, toMs, apply, callOptions = {}) =>
      withConnection((connection) =>
        latestInDatasetFile(
          connection,
          plan,
          { fromMs, toMs, batchEntities: callOptions.batchEntities ?? 1000 },
          apply,
        ),
      ),

    async readHistory(view, chunks, callOptions = {}) {
      if (chunks.length === 0) return [];
      return withConnection(async (connection) => {
        const files = await chunkFiles(connection, view, chunks, callOptions);
        const columns = historyColumns(files, undefined);
        const result = await connection.stream(
          `SELECT h.key, h.t, ${columns.select.map((c) => `h.${c}`).join(', ')}
           FROM (${historySql(files, columns)}) h ORDER BY h.ix, h.rn`,
        );
        const history: HistoryRow[] = [];
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) return history;
          const keys = chunk.getColumnVector(0);
          const times = chunk.getColumnVector(1);
          const joined = decodeJoined(chunk, columns, 2);
          for (let row = 0; row < chunk.rowCount; row++) {
            const values: Record<string, StoredValue> = {};
            for (const [name, column] of joined.values) {
              const value = column[row];
              if (value !== undefined) values[name] = value;
            }
            const keyId = keys.getItem(row) as string;
            history.push({
              key: JSON.parse(keyId) as KeyScalar[],
              keyId,
              timeMs: Number(times.getItem(row) as bigint),
              values,
              seq: history.length,
            });
          }
        }
      });
    },

    async joinAsOf(view, chunks, lookups, ttlMs, callOptions = {}) {
      return collectJoined(lookups.length, joinAsOfChunks(view, chunks, lookups, ttlMs, callOptions));
    },

    joinAsOfChunks,

    latestInWindow: (view, chunks, fromMs, toMs, callOptions = {}) =>
      streamWithConnection(async function* (connection) {
        if (chunks.length === 0) return;
        const files = await chunkFiles(connection, view, chunks, callOptions);
        const columns = historyColumns(files, undefined);
        const batch = callOptions.batchEntities ?? 1000;
        const result = await connection.stream(latestSql(files, columns, fromMs, toMs));
        let updates: EntityUpdate[] = [];
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          updates.push(...decodeLatest(chunk, columns));
          if (updates.length >= batch) {
            yield updates.slice(0, batch);
            updates = updates.slice(batch);
          }
        }
        while (updates.length > 0) {
          yield updates.slice(0, batch);
          updates = updates.slice(batch);
        }
      }),

    writeJoinedFile: (plan, callOptions = {}) =>
      withConnection((connection) =>
        writeJoinedFile(connection, plan, (view, chunks) =>
          chunkFiles(connection, view, chunks, callOptions),
        ),
      ),

    async deleteChunks(chunks, callOptions = {}) {
      await mapConcurrent(chunks, 8, async (chunk) => {
        await blobs.delete(chunk.sha256, callOptions);
        await rm(cachedPath(chunk.sha256), { force: true });
      });
    },

    async close() {
      instance.closeSync();
    },
  };
}

/**
 * Per entity and feature, the event time and value of the greatest-`ord` row in [fromMs, toMs)
 * that sets the feature: `arg_max_null` keeps a null value (a set null is a value). When every row
 * sets every feature, that is the greatest-`ord` row itself.
 */
function latestSql(
  files: readonly ChunkFile[],
  columns: HistoryColumns,
  fromMs: number | null,
  toMs: number,
): string {
  const aggregates: string[] = [];
  for (const feature of columns.features) {
    const when = feature.presence === undefined ? 'h.ord' : `CASE WHEN h.${feature.presence} THEN h.ord END`;
    aggregates.push(`arg_max_null(h.t, ${when})`);
    for (const value of feature.values) aggregates.push(`arg_max_null(h.${value.column}, ${when})`);
  }
  const window = `${fromMs === null ? '' : `h.t >= ${Math.trunc(fromMs)} AND `}h.t < ${Math.trunc(toMs)}`;
  const history = `(${historySql(files, columns)}) h WHERE ${window} GROUP BY h.key`;
  if (columns.features.every((f) => f.presence === undefined)) {
    // Every row sets every feature (no presence column): the latest row gives all of them, so one
    // arg_max of the row instead of one per feature, the same columns out (see latestInDatasetFile).
    const cells = columns.features.flatMap((f) => ['h.t', ...f.values.map((v) => `h.${v.column}`)]);
    const row = `struct_pack(${cells.map((c, i) => `x${i} := ${c}`).join(', ')})`;
    return `SELECT key, ${cells.map((_, i) => `r.x${i}`).join(', ')}
            FROM (SELECT h.key AS key, arg_max(${row}, h.ord) AS r FROM ${history})`;
  }
  return `SELECT h.key, ${aggregates.join(', ')} FROM ${history}`;
}

function decodeLatest(chunk: DuckDBDataChunk, columns: HistoryColumns): EntityUpdate[] {
  const vectors = Array.from({ length: chunk.columnCount }, (_, i) => chunk.getColumnVector(i));
  const updates: EntityUpdate[] = [];
  for (let row = 0; row < chunk.rowCount; row++) {
    const features: Record<string, OnlineValue> = {};
    let at = 1;
    for (const feature of columns.features) {
      const time = vectors[at++]!.getItem(row) as bigint | null;
      let value: StoredValue = null;
      for (const column of feature.values) {
        const cell = vectors[at++]!.getItem(row) as DuckDBValue;
        if (cell !== null && value === null) value = fromCell(cell, column.tag);
      }
      if (time !== null) features[feature.name] = { value, timeMs: Number(time) };
    }
    updates.push({ key: JSON.parse(vectors[0]!.getItem(row) as string) as KeyScalar[], features });
  }
  return updates;
}

/**
 * A result chunk whose columns from `offset` on are {@link HistoryColumns.select} as a
 * {@link JoinedChunk}; column 0 is the lookup index when `offset` is 1.
 */
function decodeJoined(chunk: DuckDBDataChunk, columns: HistoryColumns, offset = 1): JoinedChunk {
  const rows = chunk.rowCount;
  const lookupIndexes = new Int32Array(rows);
  if (offset === 1) {
    const ix = chunk.getColumnVector(0);
    for (let row = 0; row < rows; row++) lookupIndexes[row] = ix.getItem(row) as number;
  }
  const values = new Map<string, (StoredValue | undefined)[]>();
  let at = offset;
  for (const feature of columns.features) {
    const cells = new Array<StoredValue | undefined>(rows).fill(null);
    for (const column of feature.values) {
      const vector = chunk.getColumnVector(at++);
      for (let row = 0; row < rows; row++) {
        const cell = vector.getItem(row) as DuckDBValue;
        if (cell !== null) cells[row] = fromCell(cell, column.tag);
      }
    }
    if (feature.presence !== undefined) {
      const present = chunk.getColumnVector(at++);
      for (let row = 0; row < rows; row++) if (present.getItem(row) !== true) cells[row] = undefined;
    }
    values.set(feature.name, cells);
  }
  return { lookupIndexes, values };
}

/** `rows` (already in write order) as the bytes of one Parquet chunk file. */
async function encode(
  connection: DuckDBConnection,
  dir: string,
  view: string,
  rows: readonly FeatureRowData[],
): Promise<Uint8Array> {
  const layout = chunkLayout(rows);
  const { names, types } = chunkTableColumns(layout.columns);
  await connection.run(
    `CREATE TEMP TABLE chunk (${names.map((n, i) => `${sqlIdentifier(n)} ${types[i]!.toString()}`).join(', ')})`,
  );
  const appender = await connection.createAppender('chunk', 'main', 'temp');
  const keyId = (row: FeatureRowData) => keyIdOf(row.key);
  for (let start = 0; start < rows.length; start += vectorRows) {
    const end = Math.min(start + vectorRows, rows.length);
    const chunk = DuckDBDataChunk.create(types, end - start);
    fillChunk(chunk, rows.slice(start, end), layout, keyId);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  const path = join(dir, `write-${randomUUID()}.parquet.tmp`);
  try {
    await connection.run(`COPY chunk TO ${sqlString(path)} (${chunkCopyOptions(view)})`);
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(path, { force: true });
  }
}
