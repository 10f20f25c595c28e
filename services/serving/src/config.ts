import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';

/** Everything the serving service reads from its environment, parsed once. */
export interface ServingConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen. */
  peers: Record<'registry' | 'feature-store', string>;
}

/** The serving service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadServingConfig(env: Env): ServingConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'serving');
  const infra = readInfraConfig(reader, 'serving');
  const peers = readPeers(reader, ['registry', 'feature-store']);
  reader.done();
  return { host, infra, peers };
}
