import { AppError } from '@flywheel/core';
import type { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { type ImplOf, listedTeams } from '@flywheel/rpc';
import type { CreateDeployment } from '../deployments/create-deployment.ts';
import type { DeleteDeployment } from '../deployments/delete-deployment.ts';
import type { GetDeployment } from '../deployments/get-deployment.ts';
import type { ListDeployments } from '../deployments/list-deployments.ts';
import type { UpdateDeployment } from '../deployments/update-deployment.ts';
import type { Explain } from '../inference/explain/explain.ts';
import type { ServedRequests } from '../observability/served-requests.ts';
import type { Rollouts } from '../traffic/rollouts.ts';
import { toDeploymentMessage } from './deployment-message.ts';
import { toRolloutStatusMessage } from './rollout-message.ts';

export interface ServingApiDeps {
  createDeployment: CreateDeployment;
  updateDeployment: UpdateDeployment;
  getDeployment: GetDeployment;
  listDeployments: ListDeployments;
  deleteDeployment: DeleteDeployment;
  /** Traffic splits and rollouts. */
  rollouts: Rollouts;
  /** Per-feature contributions of predictions. */
  explain: Explain;
  /** This replica's recent answered requests. */
  servedRequests: Pick<ServedRequests, 'find'>;
}

/** The serving control plane (flywheel.serving.v1.ServingService): gRPC ↔ use cases. */
export function createServingApi(deps: ServingApiDeps): ImplOf<typeof ServingService> {
  return {
    createDeployment: async ({ deployment }, ctx) => ({
      deployment: toDeploymentMessage(
        await deps.createDeployment(required(deployment), { signal: ctx.signal }),
      ),
    }),
    updateDeployment: async ({ deployment }, ctx) => ({
      deployment: toDeploymentMessage(
        await deps.updateDeployment(required(deployment), { signal: ctx.signal }),
      ),
    }),
    getDeployment: async ({ deploymentName }, ctx) => ({
      deployment: toDeploymentMessage(await deps.getDeployment(deploymentName, { signal: ctx.signal })),
    }),
    listDeployments: async (request, ctx) => {
      // Only teams the caller may view (the policy checked a named one).
      const team = listedTeams(ctx.principal, request.team);
      const page = await deps.listDeployments({ ...request, team }, { signal: ctx.signal });
      return { deployments: page.deployments.map(toDeploymentMessage), nextPageToken: page.nextPageToken };
    },
    deleteDeployment: async ({ deploymentName }, ctx) => {
      await deps.deleteDeployment(deploymentName, { signal: ctx.signal });
      return {};
    },
    setTrafficSplit: async ({ deploymentName, trafficSplit, reason }, ctx) => {
      if (!trafficSplit) throw AppError.invalidArgument('traffic_split', 'is required');
      const { record } = await deps.rollouts.setTrafficSplit(deploymentName, trafficSplit, reason, {
        signal: ctx.signal,
      });
      const rollout = toRolloutStatusMessage(record);
      return { deployment: toDeploymentMessage(record), ...(rollout ? { rollout } : {}) };
    },
    rollback: async ({ deploymentName, toVersion, reason }, ctx) => {
      const record = await deps.rollouts.rollback(deploymentName, Number(toVersion), reason, {
        signal: ctx.signal,
      });
      return { deployment: toDeploymentMessage(record) };
    },
    promoteRollout: async ({ deploymentName, reason }, ctx) => {
      const record = await deps.rollouts.promote(deploymentName, reason, { signal: ctx.signal });
      const rollout = toRolloutStatusMessage(record);
      return { deployment: toDeploymentMessage(record), ...(rollout ? { rollout } : {}) };
    },
    getRolloutStatus: async ({ deploymentName }, ctx) => {
      const record = await deps.getDeployment(deploymentName, { signal: ctx.signal });
      const rollout = toRolloutStatusMessage(record);
      return rollout ? { rollout } : {};
    },
    explain: (request, ctx) => deps.explain(request, { signal: ctx.signal }),
    getServedRequest: ({ key }) => ({ requests: deps.servedRequests.find(key) }),
  };
}

function required<T>(deployment: T | undefined): T {
  if (deployment === undefined) throw AppError.invalidArgument('deployment', 'is required');
  return deployment;
}
