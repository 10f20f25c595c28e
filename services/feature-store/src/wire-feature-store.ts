import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { FeatureStoreConfig } from './config.ts';

/**
 * The feature-store service — feature views, online lookups and point-in-time training sets. Its use cases land with the closed-loop work; until then every
 * RPC answers UNIMPLEMENTED saying so, behind the real kernel (health, reflection, validation).
 */
export function wireFeatureStore(host: ServiceHost, _config: FeatureStoreConfig): ServiceWiring {
  const { server } = host;
  server.add(FeatureStoreService, {});
  return {};
}
