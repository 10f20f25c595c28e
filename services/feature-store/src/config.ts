import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the feature-store service reads from its environment, parsed once. */
export interface FeatureStoreConfig {
  host: HostConfig;
  infra: InfraConfig;
}

/** The feature-store service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadFeatureStoreConfig(env: Env): FeatureStoreConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'feature-store');
  const infra = readInfraConfig(reader, 'feature-store');
  reader.done();
  return { host, infra };
}
