import type { EventHandler } from '@flywheel/bus';
import { decodeEvent } from '@flywheel/events';
import { DeploymentCreatedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { FollowStored } from './follow-stored.ts';

/**
 * Handles `deployment.created` (this service's own event, in a consumer group per replica): a
 * replica that does not serve the deployment yet, because another replica created it, takes it up
 * at once as a restart would (`FollowStored.one`) rather than on its next follow pass. The replica
 * that created it already serves it and changes nothing. Safe to run twice.
 */
export function createFollowCreated(deps: { follow: FollowStored }): EventHandler {
  return async (event, context) => {
    const name = decodeEvent(DeploymentCreatedSchema, event).deploymentName;
    await deps.follow.one(name, { signal: context.signal });
  };
}
