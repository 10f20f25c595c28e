import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the scheduler service reads from its environment, parsed once. */
export interface SchedulerConfig {
  host: HostConfig;
  infra: InfraConfig;
}

/** The scheduler service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadSchedulerConfig(env: Env): SchedulerConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'scheduler');
  const infra = readInfraConfig(reader, 'scheduler');
  reader.done();
  return { host, infra };
}
