import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the monitoring service reads from its environment, parsed once. */
export interface MonitoringConfig {
  host: HostConfig;
}

/** The monitoring service's settings: `FLYWHEEL_MONITORING_GRPC_ADDRESS` (default 127.0.0.1:7106) and the host settings. */
export function loadMonitoringConfig(env: Env): MonitoringConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'monitoring', 7106);
  reader.done();
  return { host };
}
