import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { OrchestratorConfig } from './config.ts';

/**
 * The orchestrator service — where pipelines run: runs, steps, jobs on an executor. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireOrchestrator(host: ServiceHost, _config: OrchestratorConfig): ServiceWiring {
  const { server } = host;
  server.add(OrchestratorService, {});
  return {};
}
