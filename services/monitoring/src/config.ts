import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';

/** Everything the monitoring service reads from its environment, parsed once. */
export interface MonitoringConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen. */
  peers: Record<'feature-store' | 'registry', string>;
}

/** The monitoring service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadMonitoringConfig(env: Env): MonitoringConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'monitoring');
  const infra = readInfraConfig(reader, 'monitoring');
  const peers = readPeers(reader, ['feature-store', 'registry']);
  reader.done();
  return { host, infra, peers };
}
