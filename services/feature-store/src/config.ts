import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the feature-store service reads from its environment, parsed once. */
export interface FeatureStoreConfig {
  host: HostConfig;
}

/** The feature-store service's settings: `FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS` (default 127.0.0.1:7104) and the host settings. */
export function loadFeatureStoreConfig(env: Env): FeatureStoreConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'feature-store', 7104);
  reader.done();
  return { host };
}
