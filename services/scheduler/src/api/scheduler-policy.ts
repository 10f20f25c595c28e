import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { platformAdminPolicy, type ServicePolicy } from '@flywheel/rpc';

/**
 * Who may call each SchedulerService method when auth is on. Team-scoped entries (the owning team of the
 * stored resource, a create's `team`) are the next slice: until then platform admins only, so
 * turning auth on never leaves a method open.
 */
export function schedulerPolicy(): ServicePolicy<typeof SchedulerService.method> {
  return platformAdminPolicy(SchedulerService);
}
