import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { platformAdminPolicy, type ServicePolicy } from '@flywheel/rpc';

/**
 * Who may call each OrchestratorService method when auth is on. Team-scoped entries (the owning team of the
 * stored resource, a create's `team`) are the next slice: until then platform admins only, so
 * turning auth on never leaves a method open.
 */
export function orchestratorPolicy(): ServicePolicy<typeof OrchestratorService.method> {
  return platformAdminPolicy(OrchestratorService);
}
