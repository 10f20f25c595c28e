import { AppError } from '@flywheel/core';
import type { ServedModels } from '../deployments/served-models.ts';

/**
 * Triton's model repository extension, where the repository is the deployments this replica
 * serves (shared by gRPC and REST). Deployments are created, changed and deleted through
 * flywheel.serving.v1.ServingService; load and unload are answered from that lifecycle, never
 * accepted and ignored.
 */

/** One entry of the repository index, as Triton's RepositoryIndexResponse.ModelIndex. */
export interface RepositoryEntry {
  name: string;
  version: string;
  /** READY (a version takes traffic), LOADING (a load may still succeed) or UNAVAILABLE. */
  state: 'READY' | 'LOADING' | 'UNAVAILABLE';
  reason: string;
}

/** The deployments this replica serves, by name, with their state; `ready` keeps the READY ones. */
export function repositoryIndex(
  served: ServedModels,
  repositoryName: string,
  ready: boolean,
): RepositoryEntry[] {
  oneRepository(repositoryName);
  const entries = served
    .list()
    .map(({ name, live, pending, refusal }): RepositoryEntry => {
      if (live) return { name, version: String(live.version), state: 'READY', reason: '' };
      if (refusal) return { name, version: '', state: 'UNAVAILABLE', reason: `refused: ${refusal.message}` };
      if (pending) return { name, version: '', state: 'LOADING', reason: 'a version is being loaded' };
      return {
        name,
        version: '',
        state: 'UNAVAILABLE',
        reason: 'no version loaded; flywheel.serving.v1.ServingService/GetDeployment says why',
      };
    })
    .filter((entry) => !ready || entry.state === 'READY');
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * RepositoryModelLoad: a deployment is loaded for as long as it exists, so loading one that serves
 * a version succeeds (it is not reloaded: a new version comes with its alias, UpdateDeployment or
 * Rollback).
 *
 * @throws AppError unimplemented naming `parameters.<key>` (Triton's config/file overrides) or
 *   `repository_name`; not_found for an unknown deployment; failed_precondition when it has no
 *   version loaded.
 */
export function repositoryModelLoad(
  served: ServedModels,
  request: { repositoryName: string; modelName: string; parameters: Record<string, unknown> },
): void {
  oneRepository(request.repositoryName);
  const key = Object.keys(request.parameters)[0];
  if (key !== undefined) {
    throw new AppError(
      'unimplemented',
      `parameters.${key}: load parameters (Triton's config and file overrides) are not supported; change a deployment with flywheel.serving.v1.ServingService/UpdateDeployment`,
      { field: `parameters.${key}` },
    );
  }
  const deployment = served.get(request.modelName);
  if (!deployment) {
    throw new AppError(
      'not_found',
      `model "${request.modelName}" is not deployed on this server; create it with flywheel.serving.v1.ServingService/CreateDeployment`,
    );
  }
  if (!deployment.live && deployment.refusal) {
    throw new AppError(
      'failed_precondition',
      `deployment "${request.modelName}" cannot be loaded: its version was refused — ${deployment.refusal.message}`,
    );
  }
  if (!deployment.live) {
    throw new AppError(
      'failed_precondition',
      `deployment "${request.modelName}" has no version loaded${deployment.pending ? ' yet (a load is under way)' : ''}; it loads when its target resolves — see flywheel.serving.v1.ServingService/GetDeployment`,
    );
  }
}

/**
 * RepositoryModelUnload is refused: a deployment serves for as long as it exists, on every replica.
 *
 * @throws AppError unimplemented naming `repository_name` when one is given; not_found for an
 *   unknown deployment; failed_precondition otherwise, naming DeleteDeployment.
 */
export function repositoryModelUnload(
  served: ServedModels,
  request: { repositoryName: string; modelName: string },
): never {
  oneRepository(request.repositoryName);
  if (!served.get(request.modelName)) {
    throw new AppError('not_found', `model "${request.modelName}" is not deployed on this server`);
  }
  throw new AppError(
    'failed_precondition',
    `deployment "${request.modelName}" cannot be unloaded while it exists (every replica serves it); stop serving it with flywheel.serving.v1.ServingService/DeleteDeployment`,
  );
}

/** Serving has one repository, its deployments: a repository name is refused, never ignored. */
function oneRepository(repositoryName: string): void {
  if (repositoryName !== '') {
    throw new AppError(
      'unimplemented',
      'repository_name: serving has one repository (its deployments); leave it empty',
      { field: 'repository_name' },
    );
  }
}
