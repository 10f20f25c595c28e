import { AppError } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { PolicyCanary } from './policy-canary.ts';
import type { ServedModels } from './served-models.ts';

/**
 * Deletes a deployment and stops serving it: new requests get NOT_FOUND at once; its traffic
 * strategy ends and its models are released once the requests in flight on them finish. Other
 * replicas stop serving it on their next follow pass.
 *
 * @throws AppError not_found when there is none.
 */
export type DeleteDeployment = (name: string, options: { signal: AbortSignal }) => Promise<void>;

export interface DeleteDeploymentDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  lock: KeyedLock;
  /** Ends the deployment's traffic strategy on this replica. */
  rollouts?: Pick<PolicyCanary, 'forget'>;
}

export function createDeleteDeployment(deps: DeleteDeploymentDeps): DeleteDeployment {
  return (name, { signal }) =>
    deps.lock.run(name, async () => {
      const deleted = await deps.deployments.delete(name, { signal });
      deps.rollouts?.forget(name);
      void deps.served.remove(name);
      if (!deleted) throw new AppError('not_found', `deployment "${name}" does not exist`);
    });
}
