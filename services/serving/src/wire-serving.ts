import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { ServingConfig } from './config.ts';

/**
 * The serving service — deployments and the Open Inference Protocol. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireServing(host: ServiceHost, _config: ServingConfig): ServiceWiring {
  const { server } = host;
  server.add(ServingService, {});
  server.add(GRPCInferenceService, {});
  return {};
}
