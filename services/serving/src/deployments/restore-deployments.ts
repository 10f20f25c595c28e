import type { Logger } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import { servingSettingsOf } from './deployment-spec.ts';
import type { Reconciler } from './reconcile-deployments.ts';
import type { ServedModels } from './served-models.ts';
import type { DeploymentSync } from './sync-deployment.ts';

export interface RestoreDeploymentsDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  sync: DeploymentSync;
  reconciler: Reconciler;
  defaultMaxInFlight: number;
  /** The service's stop signal. */
  signal: AbortSignal;
  log: Logger;
}

/**
 * On startup: registers every stored deployment (pending, so the server is not ready yet) and
 * returns; then, in the background, loads each one's stored stable version straight from the blob
 * store and reconciles it with the registry (the alias may have moved while serving was down).
 *
 * @returns the background work, which never rejects.
 */
export async function restoreDeployments(deps: RestoreDeploymentsDeps): Promise<{ done: Promise<void> }> {
  const docs = await deps.deployments.find({}, { limit: 10_000, signal: deps.signal });
  for (const doc of docs) deps.served.upsert(doc.id, servingSettingsOf(doc.data, deps.defaultMaxInFlight));
  const done = Promise.all(
    docs.map(async (doc) => {
      await deps.sync.restore(doc.id, { signal: deps.signal });
      try {
        await deps.reconciler.reconcile(doc.id);
      } catch (error) {
        deps.log.error('cannot load a stored deployment', { deployment: doc.id, error });
      }
    }),
  ).then(() => {
    if (docs.length > 0) deps.log.info('stored deployments restored', { count: docs.length });
  });
  return { done };
}
