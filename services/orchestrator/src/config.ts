import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';

/** Everything the orchestrator service reads from its environment, parsed once. */
export interface OrchestratorConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen. */
  peers: Record<'registry' | 'feature-store' | 'monitoring', string>;
}

/** The orchestrator service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadOrchestratorConfig(env: Env): OrchestratorConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'orchestrator');
  const infra = readInfraConfig(reader, 'orchestrator');
  const peers = readPeers(reader, ['registry', 'feature-store', 'monitoring']);
  reader.done();
  return { host, infra, peers };
}
