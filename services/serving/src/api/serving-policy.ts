import type { IncomingMessage } from 'node:http';
import { AppError } from '@flywheel/core';
import type { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import {
  type MethodPolicy,
  type OwnedBy,
  ownedBy,
  resourceNotFound,
  type ServicePolicy,
} from '@flywheel/rpc';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from '../deployments/deployment-records.ts';
import type { ServedModels } from '../deployments/served-models.ts';
import { type ServedRequests, servedKeyName } from '../observability/served-requests.ts';

export interface ServingPolicyDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
}

/**
 * The team owning deployment `name`: from what this process serves (no store read on the
 * inference path), else from the stored deployment; `not_found` otherwise — and for a caller with
 * no role in its team, word for word.
 */
function deploymentTeam(deps: ServingPolicyDeps) {
  return async (name: string, signal: AbortSignal): Promise<OwnedBy> => {
    const team =
      deps.served.get(name)?.settings.team ?? (await deps.deployments.get(name, { signal }))?.data.team;
    if (team === undefined) throw resourceNotFound(`deployment "${name}"`);
    return ownedBy(`deployment "${name}"`, team);
  };
}

/** Who may call each ServingService method: a deployment belongs to its team; a create names its team. */
export function servingPolicy(
  deps: ServingPolicyDeps & {
    /** Answered requests, owned by their deployments' teams. */
    servedRequests: Pick<ServedRequests, 'find'>;
  },
): ServicePolicy<typeof ServingService.method> {
  const team = deploymentTeam(deps);
  const named = (req: { deploymentName: string }, signal: AbortSignal) => team(req.deploymentName, signal);
  return {
    createDeployment: { action: 'edit', team: (req) => req.deployment?.team ?? '' },
    updateDeployment: { action: 'edit', team: (req, signal) => team(req.deployment?.name ?? '', signal) },
    getDeployment: { action: 'view', team: named },
    listDeployments: { action: 'view', list: true, team: (req) => req.team },
    deleteDeployment: { action: 'admin', team: named },
    setTrafficSplit: { action: 'edit', team: named },
    rollback: { action: 'edit', team: named },
    promoteRollout: { action: 'edit', team: named },
    getRolloutStatus: { action: 'view', team: named },
    explain: { action: 'view', team: (req, signal) => team(req.rows?.modelName ?? '', signal) },
    // Owned by the team of each answering deployment: a trace crossing teams needs the viewer
    // role in all of them, else it is NOT_FOUND as for an unknown id.
    getServedRequest: {
      action: 'view',
      team: (req) =>
        deps.servedRequests.find(req.key).map((served) => ownedBy(servedKeyName(req.key), served.team)),
    },
  };
}

/**
 * Who may call each Open Inference Protocol method: server liveness/readiness are open (probes),
 * server metadata needs any caller, a model's calls the viewer role on its deployment's team
 * (inferring is using, not changing), loading and unloading the editor role; the repository index
 * and statistics across all models are for platform admins.
 */
export function inferencePolicy(deps: ServingPolicyDeps): ServicePolicy<typeof GRPCInferenceService.method> {
  const team = deploymentTeam(deps);
  return {
    serverLive: { access: 'open' },
    serverReady: { access: 'open' },
    serverMetadata: { access: 'authenticated' },
    modelReady: { action: 'view', team: (req, signal) => team(req.name, signal) },
    modelMetadata: { action: 'view', team: (req, signal) => team(req.name, signal) },
    modelInfer: { action: 'view', team: (req, signal) => team(req.modelName, signal) },
    modelStreamInfer: { action: 'view', team: (req, signal) => team(req.modelName, signal) },
    modelConfig: { action: 'view', team: (req, signal) => team(req.name, signal) },
    // An empty name means every model: for platform admins.
    modelStatistics: { action: 'view', team: (req, signal) => (req.name ? team(req.name, signal) : '') },
    repositoryIndex: { access: 'platform-admin' },
    repositoryModelLoad: { action: 'edit', team: (req, signal) => team(req.modelName, signal) },
    repositoryModelUnload: { action: 'edit', team: (req, signal) => team(req.modelName, signal) },
  };
}

const modelPath = /^\/v2\/models\/(?<model>[^/]+)(?:\/|$)/;
const repositoryModelPath = /^\/v2\/repository\/models\/(?<model>[^/]+)\/(?:load|unload)$/;

/** The policy of a REST route, as {@link inferencePolicy} has it for the same call over gRPC. */
export function restPolicy(deps: ServingPolicyDeps) {
  const team = deploymentTeam(deps);
  return (_req: IncomingMessage, path: string): MethodPolicy<IncomingMessage> => {
    if (path === '/v2/health/live' || path === '/v2/health/ready') return { access: 'open' };
    if (path === '/v2') return { access: 'authenticated' };
    const repositoryModel = repositoryModelPath.exec(path)?.groups?.model;
    const model =
      repositoryModel ?? (path === '/v2/models/stats' ? undefined : modelPath.exec(path)?.groups?.model);
    // /metrics, statistics and the repository index span every team's models; unknown routes
    // answer 404 to admins only.
    if (model === undefined) return { access: 'platform-admin' };
    return {
      // Loading and unloading change a deployment, as over gRPC.
      action: repositoryModel === undefined ? 'view' : 'edit',
      team: (_r, signal) => {
        let name: string;
        try {
          name = decodeURIComponent(model);
        } catch {
          throw AppError.invalidArgument('model name', `"${model}" is not valid URL encoding`);
        }
        return team(name, signal);
      },
    };
  };
}
