import { AppError } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';

/**
 * One deployment by name.
 *
 * @throws AppError not_found when there is none.
 */
export type GetDeployment = (name: string, options: { signal: AbortSignal }) => Promise<DeploymentRecord>;

export function createGetDeployment(deps: { deployments: Collection<DeploymentRecord> }): GetDeployment {
  return async (name, { signal }) => {
    const doc = await deps.deployments.get(name, { signal });
    if (!doc) throw new AppError('not_found', `deployment "${name}" does not exist`);
    return doc.data;
  };
}
