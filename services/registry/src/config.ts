import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the registry service reads from its environment, parsed once. */
export interface RegistryConfig {
  host: HostConfig;
  infra: InfraConfig;
}

/** The registry service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadRegistryConfig(env: Env): RegistryConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'registry');
  const infra = readInfraConfig(reader, 'registry');
  reader.done();
  return { host, infra };
}
