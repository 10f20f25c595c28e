import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { platformAdminPolicy, type ServicePolicy } from '@flywheel/rpc';

/**
 * Who may call each FeatureStoreService method when auth is on. Team-scoped entries (the owning team of the
 * stored resource, a create's `team`) are the next slice: until then platform admins only, so
 * turning auth on never leaves a method open.
 */
export function featureStorePolicy(): ServicePolicy<typeof FeatureStoreService.method> {
  return platformAdminPolicy(FeatureStoreService);
}
