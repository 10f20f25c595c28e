import { AppError } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { ServedModels } from './served-models.ts';

/**
 * Deletes a deployment and stops serving it: new requests get NOT_FOUND at once; its model is
 * released once the requests in flight on it finish.
 *
 * @throws AppError not_found when there is none.
 */
export type DeleteDeployment = (name: string, options: { signal: AbortSignal }) => Promise<void>;

export interface DeleteDeploymentDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  lock: KeyedLock;
}

export function createDeleteDeployment(deps: DeleteDeploymentDeps): DeleteDeployment {
  return (name, { signal }) =>
    deps.lock.run(name, async () => {
      const deleted = await deps.deployments.delete(name, { signal });
      void deps.served.remove(name);
      if (!deleted) throw new AppError('not_found', `deployment "${name}" does not exist`);
    });
}
