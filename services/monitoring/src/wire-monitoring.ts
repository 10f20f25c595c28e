import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { MonitoringConfig } from './config.ts';

/**
 * The monitoring service — reference profiles, drift and performance. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireMonitoring(host: ServiceHost, _config: MonitoringConfig): ServiceWiring {
  const { server } = host;
  server.add(MonitoringService, {});
  return {};
}
