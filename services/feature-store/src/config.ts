import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the feature-store service reads from its environment, parsed once. */
export interface FeatureStoreConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Most rows per offline chunk blob (`FLYWHEEL_FEATURE_STORE_CHUNK_ROWS`, default 50 000). */
  chunkRows: number;
  /**
   * How often what online reads violated is published as `data-quality.violated`, ms
   * (`FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL`, default 30s, at least 10ms).
   */
  qualityFlushIntervalMs: number;
  /**
   * Offline store adapter (`FLYWHEEL_FEATURE_STORE_OFFLINE`): `document` (JSON Lines chunks, joined
   * in process; default) or `duckdb` (Parquet chunks, ASOF join in DuckDB). Chunks of one are not
   * readable by the other: switching needs the views re-ingested.
   */
  offline: 'document' | 'duckdb';
  /** Local cache of Parquet chunks for `duckdb` (`FLYWHEEL_FEATURE_STORE_DUCKDB_CACHE_DIR`, default `<tmp>/flywheel-feature-store-parquet`). */
  duckdbCacheDir: string;
  /** DuckDB worker threads for `duckdb` (`FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS`, default 0 = one per core). */
  duckdbThreads: number;
  /**
   * DuckDB's memory limit for `duckdb` (`FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT`, default
   * `512MB`); a join that needs more spills to `<cache dir>/spill`.
   */
  duckdbMemoryLimit: string;
  /** Feast-style HTTP/JSON online API (`FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS`, default 127.0.0.1:6566). */
  http: { address: string; maxBodyBytes: number };
  /**
   * How far past now an event time may be, ms (`FLYWHEEL_FEATURE_STORE_MAX_FUTURE_SKEW`, default
   * 24h): a later one is refused, so a mistyped year cannot pin an online value forever.
   */
  maxFutureSkewMs: number;
  /**
   * How often the stream consumers are reconciled with the view catalog, ms, so that a view applied
   * or deleted through another replica starts/stops being consumed here too
   * (`FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL`, default 5s, at least 100ms). Views applied
   * or deleted through this replica are reconciled at once.
   */
  streamReconcileIntervalMs: number;
  /**
   * How long online lookups reuse a catalog definition (feature view, on-demand view, feature
   * service) read from the store, ms (`FLYWHEEL_FEATURE_STORE_CATALOG_CACHE_TTL`, default 1s, 0 =
   * read it every time; at most 10min): a change made through another replica is served within it,
   * one made through this replica at once.
   */
  catalogCacheTtlMs: number;
  /**
   * Historical reads (GetHistoricalFeatures, StreamHistoricalFeatures, CreateTrainingSet) running
   * at once (`FLYWHEEL_FEATURE_STORE_HEAVY_READS`, default 2, 1…64) and waiting for a place
   * (`FLYWHEEL_FEATURE_STORE_HEAVY_READ_QUEUE`, default 16, 0…10 000); one more is
   * `resource_exhausted` (retriable).
   */
  heavyReads: { concurrency: number; queue: number };
  /**
   * Dataset blobs larger than this, bytes, are read as streams — JSON Lines / CSV line by line,
   * Parquet via a local file DuckDB reads row group by row group — never whole in memory
   * (`FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES`, default 512 MiB: a text file beyond it would not
   * fit one JavaScript string).
   */
  datasetStreamBytes: number;
}

/**
 * The feature-store service's settings: the host and infra variables of every service, plus
 * `FLYWHEEL_FEATURE_STORE_CHUNK_ROWS` (1…1 000 000) and
 * `FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL` (a duration, ≥ 10ms),
 * `FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL` (a duration, ≥ 100ms),
 * `FLYWHEEL_FEATURE_STORE_CATALOG_CACHE_TTL` (a duration, ≤ 10min),
 * `FLYWHEEL_FEATURE_STORE_OFFLINE` (document | duckdb),
 * `FLYWHEEL_FEATURE_STORE_DUCKDB_CACHE_DIR`, `…_DUCKDB_THREADS` (0…1024), `…_DUCKDB_MEMORY_LIMIT` (a size),
 * `FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS` /
 * `…_HTTP_MAX_BODY_BYTES`, `FLYWHEEL_FEATURE_STORE_MAX_FUTURE_SKEW` (a duration),
 * `FLYWHEEL_FEATURE_STORE_HEAVY_READS` / `…_HEAVY_READ_QUEUE` and
 * `FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES`. Throws one error
 * listing every problem.
 */
export function loadFeatureStoreConfig(env: Env): FeatureStoreConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'feature-store');
  const infra = readInfraConfig(reader, 'feature-store');
  const chunkRows = reader.int('FLYWHEEL_FEATURE_STORE_CHUNK_ROWS', 50_000, { min: 1, max: 1_000_000 });
  const qualityFlushIntervalMs = reader.durationMs('FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL', '30s');
  if (qualityFlushIntervalMs < 10) {
    reader.problem('FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL', 'must be at least 10ms');
  }
  const offline = reader.string('FLYWHEEL_FEATURE_STORE_OFFLINE', 'document');
  if (offline !== 'document' && offline !== 'duckdb') {
    reader.problem('FLYWHEEL_FEATURE_STORE_OFFLINE', 'must be document or duckdb');
  }
  const duckdbCacheDir = reader.string(
    'FLYWHEEL_FEATURE_STORE_DUCKDB_CACHE_DIR',
    join(tmpdir(), 'flywheel-feature-store-parquet'),
  );
  const duckdbThreads = reader.int('FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS', 0, { min: 0, max: 1024 });
  const duckdbMemoryLimit = reader.string('FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT', '512MB');
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(duckdbMemoryLimit)) {
    reader.problem(
      'FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT',
      `must be a size like 512MB or 2GiB, got "${duckdbMemoryLimit}"`,
    );
  }
  const http = {
    address: reader.string('FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS', '127.0.0.1:6566'),
    maxBodyBytes: reader.int('FLYWHEEL_FEATURE_STORE_HTTP_MAX_BODY_BYTES', 16 * 1024 * 1024, {
      min: 1024,
      max: 2 ** 31 - 1,
    }),
  };
  if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(http.address)) {
    reader.problem('FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS', `must be host:port, got "${http.address}"`);
  }
  const maxFutureSkewMs = reader.durationMs('FLYWHEEL_FEATURE_STORE_MAX_FUTURE_SKEW', '24h');
  const streamReconcileIntervalMs = reader.durationMs(
    'FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL',
    '5s',
  );
  if (streamReconcileIntervalMs < 100) {
    reader.problem('FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL', 'must be at least 100ms');
  }
  const catalogCacheTtlMs = reader.durationMs('FLYWHEEL_FEATURE_STORE_CATALOG_CACHE_TTL', '1s');
  if (catalogCacheTtlMs > 600_000) {
    reader.problem('FLYWHEEL_FEATURE_STORE_CATALOG_CACHE_TTL', 'must be at most 10min');
  }
  const heavyReads = {
    concurrency: reader.int('FLYWHEEL_FEATURE_STORE_HEAVY_READS', 2, { min: 1, max: 64 }),
    queue: reader.int('FLYWHEEL_FEATURE_STORE_HEAVY_READ_QUEUE', 16, { min: 0, max: 10_000 }),
  };
  const datasetStreamBytes = reader.int('FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES', 512 * 1024 * 1024, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  });
  reader.done();
  return {
    heavyReads,
    datasetStreamBytes,
    host,
    infra,
    chunkRows,
    qualityFlushIntervalMs,
    streamReconcileIntervalMs,
    catalogCacheTtlMs,
    offline: offline as 'document' | 'duckdb',
    duckdbCacheDir,
    duckdbThreads,
    duckdbMemoryLimit,
    http,
    maxFutureSkewMs,
  };
}
