import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the feature-store service reads from its environment, parsed once. */
export interface FeatureStoreConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Most rows per offline chunk blob (`FLYWHEEL_FEATURE_STORE_CHUNK_ROWS`, default 50 000). */
  chunkRows: number;
}

/**
 * The feature-store service's settings: the host and infra variables of every service, plus
 * `FLYWHEEL_FEATURE_STORE_CHUNK_ROWS` (1…1 000 000). Throws one error
 * listing every problem.
 */
export function loadFeatureStoreConfig(env: Env): FeatureStoreConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'feature-store');
  const infra = readInfraConfig(reader, 'feature-store');
  const chunkRows = reader.int('FLYWHEEL_FEATURE_STORE_CHUNK_ROWS', 50_000, { min: 1, max: 1_000_000 });
  reader.done();
  return { host, infra, chunkRows };
}
