import type { EventHandler } from '@flywheel/bus';
import type { Logger } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { DeploymentCreatedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import { servingSettingsOf } from './deployment-spec.ts';
import type { Reconciler } from './reconcile-deployments.ts';
import type { ServedModels } from './served-models.ts';
import type { DeploymentSync } from './sync-deployment.ts';

/**
 * Handles `deployment.created` (this service's own event, in a consumer group per replica): a
 * replica that does not serve the deployment yet, because another replica created it, takes it up
 * as a restart would — the stored stable version straight from the blob store, then reconciled
 * with the registry. The replica that created it already serves it and does nothing. Safe to run
 * twice.
 */
export function createFollowCreated(deps: {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  sync: DeploymentSync;
  reconciler: Reconciler;
  defaultMaxInFlight: number;
  log: Logger;
}): EventHandler {
  return async (event, context) => {
    const name = decodeEvent(DeploymentCreatedSchema, event).deploymentName;
    if (deps.served.get(name)) return;
    const doc = await deps.deployments.get(name, { signal: context.signal });
    if (!doc) return;
    deps.served.upsert(name, servingSettingsOf(doc.data, deps.defaultMaxInFlight));
    await deps.sync.restore(name, { signal: context.signal });
    await deps.reconciler.reconcile(name);
    deps.log.info('deployment created by another replica taken up', { deployment: name });
  };
}
