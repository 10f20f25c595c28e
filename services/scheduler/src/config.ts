import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the scheduler service reads from its environment, parsed once. */
export interface SchedulerConfig {
  host: HostConfig;
}

/** The scheduler service's settings: `FLYWHEEL_SCHEDULER_GRPC_ADDRESS` (default 127.0.0.1:7101) and the host settings. */
export function loadSchedulerConfig(env: Env): SchedulerConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'scheduler', 7101);
  reader.done();
  return { host };
}
