import { AppError } from '@flywheel/core';
import type { Deployment } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { currentAuditPrincipal } from '@flywheel/rpc';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import {
  deploymentSpecOf,
  runnerOptionsOf,
  sameRunnerOptions,
  sameTarget,
  servingSettingsOf,
} from './deployment-spec.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { Reconciler } from './reconcile-deployments.ts';
import { isInProgress } from './rollout-records.ts';
import type { ServedModels } from './served-models.ts';

/**
 * Replaces a deployment's spec (target, runtime, prediction logging, rollout policy, description,
 * labels, team). Logging, feature enrichment, labels and request limits apply at once; a changed
 * target is brought live within the call as an immediate switch (`deployment.rolled-out`), the old
 * version serving until the new one is warm; changed runtime settings (instances, threads, dynamic
 * batching) reload the live version with them within the call and swap it in the same way (no
 * event: the version is the same). A target that cannot be loaded leaves the old version serving and the deployment
 * degraded.
 *
 * @throws AppError invalid_argument naming the field for a bad spec; failed_precondition naming
 *   `deployment.target` or `deployment.runtime` for a target or runtime settings changed while a
 *   rollout is in progress; not_found for an unknown
 *   deployment; aborted (retriable) when a concurrent change won the write.
 */
export type UpdateDeployment = (
  deployment: Deployment,
  options: { signal: AbortSignal },
) => Promise<DeploymentRecord>;

export interface UpdateDeploymentDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  reconciler: Reconciler;
  lock: KeyedLock;
  defaultMaxInFlight: number;
  localTeam: string;
  now?: () => Date;
}

export function createUpdateDeployment(deps: UpdateDeploymentDeps): UpdateDeployment {
  const now = deps.now ?? (() => new Date());
  return async (deployment, { signal }) => {
    const spec = deploymentSpecOf(deployment, deps.localTeam);
    const { record, reload } = await deps.lock.run(spec.name, async () => {
      const doc = await deps.deployments.get(spec.name, { signal });
      if (!doc) throw new AppError('not_found', `deployment "${spec.name}" does not exist`);
      const targetChanged = !sameTarget(doc.data, spec);
      const runtimeChanged = !sameRunnerOptions(runnerOptionsOf(doc.data), runnerOptionsOf(spec));
      // The versions of a rollout in progress were loaded with the old settings; reloading them
      // all under a running strategy is not done: the change waits for the rollout to end.
      // A new target under a running strategy would leave the stored rollout routing versions the
      // deployment no longer names (stable v2 while the canary still splits v1/v2): refused too.
      if (targetChanged && isInProgress(doc.data.rollout)) {
        throw new AppError(
          'failed_precondition',
          `deployment.target: cannot change while a rollout of "${spec.name}" is in progress; end it first (PromoteRollout or Rollback)`,
          { field: 'deployment.target' },
        );
      }
      if (runtimeChanged && isInProgress(doc.data.rollout)) {
        throw new AppError(
          'failed_precondition',
          `deployment.runtime: cannot change while a rollout of "${spec.name}" is in progress; end it first (PromoteRollout or Rollback)`,
          { field: 'deployment.runtime' },
        );
      }
      const stored = await deps.deployments.put(
        spec.name,
        {
          ...withoutEnrichment(doc.data),
          ...spec,
          updateTime: now().toISOString(),
          updatedBy: currentAuditPrincipal(),
        },
        { expectedVersion: doc.version, signal },
      );
      deps.served.upsert(spec.name, servingSettingsOf(spec, deps.defaultMaxInFlight));
      return { record: stored.data, reload: targetChanged || runtimeChanged };
    });
    if (!reload) return record;
    await deps.reconciler.reconcile(spec.name);
    return (await deps.deployments.get(spec.name, { signal }))?.data ?? record;
  };
}

/** The record without its feature enrichment, so a spec that leaves it out removes it. */
function withoutEnrichment(record: DeploymentRecord): DeploymentRecord {
  const { featureEnrichment: _, ...rest } = record;
  return rest;
}
