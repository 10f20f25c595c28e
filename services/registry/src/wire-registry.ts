import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { RegistryConfig } from './config.ts';

/**
 * The registry service — the model store: models, versions, artifacts, aliases, lineage. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireRegistry(host: ServiceHost, _config: RegistryConfig): ServiceWiring {
  const { server } = host;
  server.add(RegistryService, {});
  return {};
}
