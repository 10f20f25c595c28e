import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { SchedulerConfig } from './config.ts';

/**
 * The scheduler service — when pipelines run: cron schedules and event trigger rules. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireScheduler(host: ServiceHost, _config: SchedulerConfig): ServiceWiring {
  const { server } = host;
  server.add(SchedulerService, {});
  return {};
}
