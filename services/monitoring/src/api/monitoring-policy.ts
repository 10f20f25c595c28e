import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { platformAdminPolicy, type ServicePolicy } from '@flywheel/rpc';

/**
 * Who may call each MonitoringService method when auth is on. Team-scoped entries (the owning team of the
 * stored resource, a create's `team`) are the next slice: until then platform admins only, so
 * turning auth on never leaves a method open.
 */
export function monitoringPolicy(): ServicePolicy<typeof MonitoringService.method> {
  return platformAdminPolicy(MonitoringService);
}
