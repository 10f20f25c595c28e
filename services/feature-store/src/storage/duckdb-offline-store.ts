import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { BlobStore } from '@flywheel/blobs';
import { AppError, type CallOptions } from '@flywheel/core';
import { keyIdOf } from '../values/entity-keys.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { KeyScalar, StoredValue } from '../values/feature-values.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { ChunkRef } from './offline-records.ts';
import { type HistoryRow, isParquet, type JoinedValues, type OfflineStore } from './offline-store.ts';

export interface DuckDbOfflineStoreOptions {
  blobs: BlobStore;
  /** Most rows per chunk. */
  chunkRows: number;
  /**
   * Local directory caching chunk blobs as `<sha256>.parquet` for DuckDB to read. Chunks are
   * immutable and content-addressed, so a cached file never goes stale and replicas may share it.
   */
  cacheDir: string;
}

/** Columns of a chunk file, in order. `key` is the entity id ({@link keyIdOf}); `values` JSON text. */
const chunkColumns = 'feature_view VARCHAR, key VARCHAR, event_time_ms BIGINT, "values" VARCHAR';

/**
 * The offline store on Parquet + DuckDB. Each chunk is a Parquet file (columns: `feature_view`,
 * `key`, `event_time_ms`, `values` as JSON text) kept in the shared blob store — the durable copy
 * every replica sees — and cached in `cacheDir`, where DuckDB reads it with `read_parquet` (no
 * extension needed: S3 via httpfs is not available offline). The point-in-time join is an
 * `ASOF LEFT JOIN` run by DuckDB: only the matched rows' values come back to this process.
 */
export async function createDuckDbOfflineStore(options: DuckDbOfflineStoreOptions): Promise<OfflineStore> {
  const { blobs, chunkRows, cacheDir } = options;
  await mkdir(cacheDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' });

  const withConnection = async <T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> => {
    const connection = await instance.connect();
    try {
      return await use(connection);
    } finally {
      connection.closeSync();
    }
  };

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

  /**
   * Registers `history` in `connection`: every row of `chunks` with `ix` (chunk position in write
   * order) and `rn` (row in the chunk), after checking each file belongs to `view` and holds the
   * rows its ref says (`data_loss` otherwise, as the document adapter's header check).
   */
  const registerHistory = async (
    connection: DuckDBConnection,
    view: string,
    chunks: readonly ChunkRef[],
    callOptions: CallOptions,
  ) => {
    const paths = await localFiles(view, chunks, callOptions);
    // A chunk listed twice (equal rows ingested twice) is read once, at its last position.
    const order = new Map<string, number>();
    for (const [ix, path] of paths.entries()) order.set(path, ix);
    await connection.run('CREATE TEMP TABLE chunk_order (path VARCHAR, ix INTEGER)');
    const appender = await connection.createAppender('chunk_order', 'main', 'temp');
    for (const [path, ix] of order) {
      appender.appendVarchar(path);
      appender.appendInteger(ix);
      appender.endRow();
    }
    appender.closeSync();
    const list = [...order.keys()].map(sqlString).join(', ');
    await connection.run(
      `CREATE TEMP VIEW history AS
       SELECT p.feature_view, p.key, p.event_time_ms AS t, p."values" AS v, o.ix, p.file_row_number AS rn
       FROM read_parquet([${list}], filename = true, file_row_number = true) p
       JOIN chunk_order o ON o.path = p.filename`,
    );
    const counts = await connection.runAndReadAll(
      'SELECT ix, count(*)::INTEGER AS n, bool_and(feature_view = $view) AS mine FROM history GROUP BY ix',
      { view },
    );
    for (const [ix, n, mine] of counts.getRows()) {
      const chunk = chunks[ix as number]!;
      if (!mine || n !== chunk.rows) {
        throw new AppError(
          'data_loss',
          `offline chunk ${chunk.sha256} does not belong to feature view ${view}`,
        );
      }
    }
  };

  return {
    async writeChunks(view, rows, callOptions = {}) {
      const sorted = [...rows].sort((a, b) => a.timeMs - b.timeMs);
      const refs: ChunkRef[] = [];
      for (let start = 0; start < sorted.length; start += chunkRows) {
        const part = sorted.slice(start, start + chunkRows);
        const bytes = await withConnection((connection) => encode(connection, cacheDir, view, part));
        const ref = await blobs.put(bytes, { ...callOptions, contentType: 'application/vnd.apache.parquet' });
        const path = cachedPath(ref.sha256);
        const partial = `${path}.${randomUUID()}.tmp`;
        await writeFile(partial, bytes);
        await rename(partial, path);
        refs.push({
          sha256: ref.sha256,
          sizeBytes: ref.size,
          rows: part.length,
          minTimeMs: part[0]!.timeMs,
          maxTimeMs: part.at(-1)!.timeMs,
        });
      }
      return refs;
    },

    async readHistory(view, chunks, callOptions = {}) {
      if (chunks.length === 0) return [];
      return withConnection(async (connection) => {
        await registerHistory(connection, view, chunks, callOptions);
        const result = await connection.stream('SELECT key, t, v FROM history ORDER BY ix, rn');
        const history: HistoryRow[] = [];
        let seq = 0;
        for await (const rows of result.yieldRows()) {
          for (const [key, t, v] of rows) {
            const keyId = key as string;
            history.push({
              key: JSON.parse(keyId) as KeyScalar[],
              keyId,
              timeMs: Number(t as bigint),
              values: JSON.parse(v as string) as Record<string, StoredValue>,
              seq: seq++,
            });
          }
        }
        return history;
      });
    },

    async joinAsOf(view, chunks, lookups, ttlMs, callOptions = {}) {
      const result = new Array<JoinedValues | undefined>(lookups.length).fill(undefined);
      if (chunks.length === 0 || lookups.length === 0) return result;
      return withConnection(async (connection) => {
        await registerHistory(connection, view, chunks, callOptions);
        await connection.run('CREATE TEMP TABLE lookups (ix INTEGER, key VARCHAR, t BIGINT)');
        const appender = await connection.createAppender('lookups', 'main', 'temp');
        for (const [ix, lookup] of lookups.entries()) {
          appender.appendInteger(ix);
          appender.appendVarchar(lookup.keyId);
          appender.appendBigInt(BigInt(lookup.timeMs));
          appender.endRow();
        }
        appender.closeSync();
        // Of rows of one entity and time the later write wins; ASOF then takes the latest row at or
        // before the lookup's time, and a row older than the TTL is no match (not an older one).
        const stream = await connection.stream(
          `WITH latest AS (
             SELECT key, t, v FROM history
             QUALIFY row_number() OVER (PARTITION BY key, t ORDER BY ix DESC, rn DESC) = 1
           )
           SELECT l.ix, latest.v
           FROM lookups l ASOF JOIN latest ON l.key = latest.key AND l.t >= latest.t
           ${ttlMs === null ? '' : `WHERE latest.t >= l.t - ${Math.trunc(ttlMs)}`}`,
        );
        for await (const rows of stream.yieldRows()) {
          for (const [ix, v] of rows) result[ix as number] = JSON.parse(v as string) as JoinedValues;
        }
        return result;
      });
    },

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

/** `rows` (already in write order) as the bytes of one Parquet chunk file. */
async function encode(
  connection: DuckDBConnection,
  dir: string,
  view: string,
  rows: readonly FeatureRowData[],
): Promise<Uint8Array> {
  await connection.run(`CREATE TEMP TABLE chunk (${chunkColumns})`);
  const appender = await connection.createAppender('chunk', 'main', 'temp');
  for (const row of rows) {
    appender.appendVarchar(view);
    appender.appendVarchar(keyIdOf(row.key));
    appender.appendBigInt(BigInt(row.timeMs));
    appender.appendVarchar(JSON.stringify(row.values));
    appender.endRow();
  }
  appender.closeSync();
  const path = join(dir, `write-${randomUUID()}.parquet.tmp`);
  try {
    await connection.run(`COPY chunk TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`);
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(path, { force: true });
  }
}

/** A SQL string literal. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
