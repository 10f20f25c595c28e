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
   * How often the stream consumers are reconciled with the view catalog, ms, so that a view applied
   * or deleted through another replica starts/stops being consumed here too
   * (`FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL`, default 5s, at least 100ms). Views applied
   * or deleted through this replica are reconciled at once.
   */
  streamReconcileIntervalMs: number;
}

/**
 * The feature-store service's settings: the host and infra variables of every service, plus
 * `FLYWHEEL_FEATURE_STORE_CHUNK_ROWS` (1…1 000 000) and
 * `FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL` (a duration, ≥ 10ms) and
 * `FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL` (a duration, ≥ 100ms). Throws one error
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
  const streamReconcileIntervalMs = reader.durationMs(
    'FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL',
    '5s',
  );
  if (streamReconcileIntervalMs < 100) {
    reader.problem('FLYWHEEL_FEATURE_STORE_STREAM_RECONCILE_INTERVAL', 'must be at least 100ms');
  }
  reader.done();
  return { host, infra, chunkRows, qualityFlushIntervalMs, streamReconcileIntervalMs };
}
