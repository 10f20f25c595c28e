import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, readHostConfig } from '@flywheel/runtime';

/** Everything the orchestrator service reads from its environment, parsed once. */
export interface OrchestratorConfig {
  host: HostConfig;
}

/** The orchestrator service's settings: `FLYWHEEL_ORCHESTRATOR_GRPC_ADDRESS` (default 127.0.0.1:7102) and the host settings. */
export function loadOrchestratorConfig(env: Env): OrchestratorConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'orchestrator', 7102);
  reader.done();
  return { host };
}
