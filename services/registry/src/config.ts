import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the registry service reads from its environment, parsed once. */
export interface RegistryConfig {
  host: HostConfig;
}

/** The registry service's settings: `FLYWHEEL_REGISTRY_GRPC_ADDRESS` (default 127.0.0.1:7103) and the host settings. */
export function loadRegistryConfig(env: Env): RegistryConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'registry', 7103);
  reader.done();
  return { host };
}
