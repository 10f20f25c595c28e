import type { EventHandler } from '@flywheel/bus';
import type { Logger } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import type { Reconciler } from './reconcile-deployments.ts';

/**
 * Handles `model.alias-changed`: every deployment following that model and alias moves to the
 * version the event names — after re-resolving through the registry, and only if the registry
 * still says that version (an older event is stale and ignored; the newer one follows). A deleted
 * alias (version 0) leaves deployments serving what they serve. Safe to run twice: a version
 * already live is left alone. A registry that cannot answer is retried in the background rather
 * than dead-lettering the event.
 *
 * @throws AppError invalid_argument when the payload does not decode (the event goes to the DLQ).
 */
export function createFollowAlias(deps: {
  deployments: Collection<DeploymentRecord>;
  reconciler: Reconciler;
  log: Logger;
}): EventHandler {
  return async (event, context) => {
    const change = decodeEvent(ModelAliasChangedSchema, event);
    const version = Number(change.modelVersion);
    const followers = await deps.deployments.find(
      { modelName: change.modelName, alias: change.alias },
      { signal: context.signal, limit: 10_000 },
    );
    if (version === 0) {
      if (followers.length > 0) {
        deps.log.warn('alias deleted; its deployments keep serving their version', {
          model: change.modelName,
          alias: change.alias,
          deployments: followers.map((doc) => doc.id),
        });
      }
      return;
    }
    for (const doc of followers) await deps.reconciler.reconcile(doc.id, { onlyVersion: version });
  };
}
