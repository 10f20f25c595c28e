import { AppError } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import type { ServedModels } from './served-models.ts';

/**
 * One deployment by name.
 *
 * @throws AppError not_found when there is none.
 */
export type GetDeployment = (name: string, options: { signal: AbortSignal }) => Promise<DeploymentRecord>;

export function createGetDeployment(deps: {
  deployments: Collection<DeploymentRecord>;
  served?: ServedModels;
}): GetDeployment {
  return async (name, { signal }) => {
    const doc = await deps.deployments.get(name, { signal });
    if (!doc) throw new AppError('not_found', `deployment "${name}" does not exist`);
    return asServedHere(doc.data, deps.served);
  };
}

/**
 * The record, unless it reads ready while this replica serves nothing of it because the version
 * was refused here (e.g. another replica loaded it, this one cannot): then failed, with the reason.
 */
function asServedHere(record: DeploymentRecord, served: ServedModels | undefined): DeploymentRecord {
  const here = served?.get(record.name);
  if (record.state !== 'ready' || !here || here.live || !here.refusal) return record;
  return { ...record, state: 'failed', stateMessage: `refused on this replica: ${here.refusal.message}` };
}
