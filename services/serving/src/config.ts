import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the serving service reads from its environment, parsed once. */
export interface ServingConfig {
  host: HostConfig;
}

/** The serving service's settings: `FLYWHEEL_SERVING_GRPC_ADDRESS` (default 127.0.0.1:7105) and the host settings. */
export function loadServingConfig(env: Env): ServingConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'serving', 7105);
  reader.done();
  return { host };
}
