import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';
import type { PrincipalRateConfig } from './api/principal-limits.ts';
import type { PredictionLogConfig } from './observability/prediction-log.ts';

/** How models are resolved, fetched and loaded. */
export interface LoadingConfig {
  /** Deadline of one registry call, ms. */
  registryTimeoutMs: number;
  /** Deadline of fetching, verifying, loading and warming one artifact, ms. */
  loadTimeoutMs: number;
  /** Backoff between attempts to load a deployment that failed for a passing reason (registry down), ms. */
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Everything the serving service reads from its environment, parsed once. */
export interface ServingConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen. */
  peers: Record<'registry' | 'feature-store', string>;
  loading: LoadingConfig;
  predictionLog: PredictionLogConfig;
  /** Rows of recent answered requests kept for GetServedRequest (`FLYWHEEL_SERVING_SERVED_REQUESTS_CAPACITY`, 10 000). */
  servedRequestsCapacity: number;
  /** Inference requests a loaded version runs at once before new ones fail fast (RESOURCE_EXHAUSTED), unless a deployment says otherwise. */
  maxInFlightPerVersion: number;
  /** The OIP v2 REST server and Prometheus `/metrics`. */
  http: HttpConfig;
  /** Most model rows one Explain runs (rows × coalitions × background rows); more is INVALID_ARGUMENT. */
  explainMaxModelRows: number;
  /**
   * How long a replica's claim to judge a canary lasts unless renewed (`FLYWHEEL_SERVING_ROLLOUT_LEASE`,
   * 10s): one replica judges each canary; another takes it over this long after the judge went
   * away. Replicas also look for rollouts other replicas started or ended every half lease.
   */
  rolloutLeaseMs: number;
  /**
   * How often a replica reads the stored deployments to follow what other replicas changed
   * (`FLYWHEEL_SERVING_FOLLOW_INTERVAL`, 2s): updates, rollbacks to a version, deletes.
   */
  followIntervalMs: number;
  /**
   * Per-principal request limit on every gRPC and REST call but liveness/readiness
   * (`FLYWHEEL_SERVING_PRINCIPAL_RATE` requests/s, `FLYWHEEL_SERVING_PRINCIPAL_BURST`, default
   * the rate rounded up); unset: no limit.
   */
  principalRate: PrincipalRateConfig | undefined;
}

/** The REST (KServe v2 / Triton HTTP) server. */
export interface HttpConfig {
  /** host:port; port 0 picks a free one. */
  address: string;
  /** Largest request body, bytes (413 beyond). */
  maxBodyBytes: number;
}

/**
 * The serving service's settings. Besides the host, infra and peer variables:
 * `FLYWHEEL_SERVING_REGISTRY_TIMEOUT` (5s), `FLYWHEEL_SERVING_LOAD_TIMEOUT` (2m),
 * `FLYWHEEL_SERVING_LOAD_RETRY_BASE` (500ms), `FLYWHEEL_SERVING_LOAD_RETRY_MAX` (30s),
 * `FLYWHEEL_SERVING_PREDICTION_LOG_CAPACITY` (10000 rows), `FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_SIZE`
 * (100 rows), `FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY` (1s), `FLYWHEEL_SERVING_PREDICTION_LOG_PUBLISH_TIMEOUT`
 * (10s), `FLYWHEEL_SERVING_MAX_IN_FLIGHT` (256), `FLYWHEEL_SERVING_HTTP_ADDRESS` (127.0.0.1:8000),
 * `FLYWHEEL_SERVING_HTTP_MAX_BODY_BYTES` (64 MiB), `FLYWHEEL_SERVING_EXPLAIN_MAX_MODEL_ROWS` (4000000),
 * `FLYWHEEL_SERVING_ROLLOUT_LEASE` (10s), `FLYWHEEL_SERVING_FOLLOW_INTERVAL` (2s),
 * `FLYWHEEL_SERVING_PRINCIPAL_RATE` (off) and `FLYWHEEL_SERVING_PRINCIPAL_BURST` (the rate, rounded up).
 * Throws one invalid_argument error listing every problem.
 */
export function loadServingConfig(env: Env): ServingConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'serving');
  const infra = readInfraConfig(reader, 'serving');
  const peers = readPeers(reader, ['registry', 'feature-store']);
  const loading: LoadingConfig = {
    registryTimeoutMs: reader.durationMs('FLYWHEEL_SERVING_REGISTRY_TIMEOUT', '5s'),
    loadTimeoutMs: reader.durationMs('FLYWHEEL_SERVING_LOAD_TIMEOUT', '2m'),
    retryBaseMs: reader.durationMs('FLYWHEEL_SERVING_LOAD_RETRY_BASE', '500ms'),
    retryMaxMs: reader.durationMs('FLYWHEEL_SERVING_LOAD_RETRY_MAX', '30s'),
  };
  if (loading.retryBaseMs > loading.retryMaxMs) {
    reader.problem(
      'FLYWHEEL_SERVING_LOAD_RETRY_BASE',
      `must not exceed FLYWHEEL_SERVING_LOAD_RETRY_MAX (${loading.retryMaxMs} ms), got ${loading.retryBaseMs} ms`,
    );
  }
  const predictionLog: PredictionLogConfig = {
    capacity: reader.int('FLYWHEEL_SERVING_PREDICTION_LOG_CAPACITY', 10_000, { min: 1, max: 10_000_000 }),
    maxBatchSize: reader.int('FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_SIZE', 100, { min: 1, max: 100_000 }),
    maxBatchDelayMs: reader.durationMs('FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY', '1s'),
    publishTimeoutMs: reader.durationMs('FLYWHEEL_SERVING_PREDICTION_LOG_PUBLISH_TIMEOUT', '10s'),
  };
  if (predictionLog.maxBatchSize > predictionLog.capacity) {
    reader.problem(
      'FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_SIZE',
      `must not exceed FLYWHEEL_SERVING_PREDICTION_LOG_CAPACITY (${predictionLog.capacity}), got ${predictionLog.maxBatchSize}`,
    );
  }
  const servedRequestsCapacity = reader.int('FLYWHEEL_SERVING_SERVED_REQUESTS_CAPACITY', 10_000, {
    min: 1,
    max: 10_000_000,
  });
  const rolloutLeaseMs = reader.durationMs('FLYWHEEL_SERVING_ROLLOUT_LEASE', '10s');
  if (rolloutLeaseMs < 200) reader.problem('FLYWHEEL_SERVING_ROLLOUT_LEASE', 'must be at least 200ms');
  const followIntervalMs = reader.durationMs('FLYWHEEL_SERVING_FOLLOW_INTERVAL', '2s');
  if (followIntervalMs < 50) reader.problem('FLYWHEEL_SERVING_FOLLOW_INTERVAL', 'must be at least 50ms');
  const maxInFlightPerVersion = reader.int('FLYWHEEL_SERVING_MAX_IN_FLIGHT', 256, { min: 1, max: 1_000_000 });
  const http: HttpConfig = {
    address: reader.string('FLYWHEEL_SERVING_HTTP_ADDRESS', '127.0.0.1:8000'),
    maxBodyBytes: reader.int('FLYWHEEL_SERVING_HTTP_MAX_BODY_BYTES', 64 * 1024 * 1024, {
      min: 1024,
      max: 2 ** 31 - 1,
    }),
  };
  if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(http.address)) {
    reader.problem('FLYWHEEL_SERVING_HTTP_ADDRESS', `must be host:port, got "${http.address}"`);
  }
  const explainMaxModelRows = reader.int('FLYWHEEL_SERVING_EXPLAIN_MAX_MODEL_ROWS', 4_000_000, {
    min: 1,
    max: 1_000_000_000,
  });
  const principalRate = readPrincipalRate(reader);
  reader.done();
  return {
    principalRate,
    http,
    host,
    infra,
    peers,
    loading,
    predictionLog,
    servedRequestsCapacity,
    maxInFlightPerVersion,
    explainMaxModelRows,
    rolloutLeaseMs,
    followIntervalMs,
  };
}

/** `FLYWHEEL_SERVING_PRINCIPAL_RATE` (a positive number of requests/s) and its burst; off when unset. */
function readPrincipalRate(reader: ConfigReader): PrincipalRateConfig | undefined {
  const raw = reader.optional('FLYWHEEL_SERVING_PRINCIPAL_RATE');
  if (raw === undefined) {
    if (reader.optional('FLYWHEEL_SERVING_PRINCIPAL_BURST') !== undefined)
      reader.problem('FLYWHEEL_SERVING_PRINCIPAL_BURST', 'is set but FLYWHEEL_SERVING_PRINCIPAL_RATE is not');
    return undefined;
  }
  const ratePerSecond = Number(raw);
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0 || ratePerSecond > 1_000_000) {
    reader.problem(
      'FLYWHEEL_SERVING_PRINCIPAL_RATE',
      `must be requests per second above 0, up to 1000000, got "${raw}"`,
    );
    return undefined;
  }
  const burst = reader.int('FLYWHEEL_SERVING_PRINCIPAL_BURST', Math.ceil(ratePerSecond), {
    min: 1,
    max: 1_000_000,
  });
  return { ratePerSecond, burst };
}
