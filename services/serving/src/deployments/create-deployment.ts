import { AppError } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import {
  DeploymentCreatedSchema,
  DeploymentRolledOutSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { Deployment } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { currentAuditPrincipal } from '@flywheel/rpc';
import type { Collection } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import { deploymentSpecOf, servingSettingsOf } from './deployment-spec.ts';
import type { KeyedLock } from './keyed-lock.ts';
import { isUnservableArtifact } from './load-model-version.ts';
import { type LoadTarget, stateAfter } from './load-target.ts';
import type { Reconciler } from './reconcile-deployments.ts';
import type { ServedModels } from './served-models.ts';

/**
 * Creates a deployment and brings its target live within the call: resolve through the registry,
 * fetch and verify the artifact, load, warm up, then one store write that holds the deployment with
 * `deployment.created` (and `deployment.rolled-out` when a version went live). A target with nothing
 * to load yet (alias not set, registry down) still creates the deployment, pending, and it goes live
 * when the alias moves or the registry answers; a tampered artifact makes it failed, with the reason
 * in `state_message`.
 *
 * @throws AppError invalid_argument naming the field for a bad spec; failed_precondition when the
 *   target's artifact cannot be served (the reason and the fix in the message; nothing is stored);
 *   already_exists when the name is taken; cancelled / deadline_exceeded with the call.
 */
export type CreateDeployment = (
  deployment: Deployment,
  options: { signal: AbortSignal },
) => Promise<DeploymentRecord>;

export interface CreateDeploymentDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  loadTarget: LoadTarget;
  reconciler: Reconciler;
  lock: KeyedLock;
  defaultMaxInFlight: number;
  localTeam: string;
  now?: () => Date;
}

export function createCreateDeployment(deps: CreateDeploymentDeps): CreateDeployment {
  const now = deps.now ?? (() => new Date());
  return async (deployment, { signal }) => {
    const spec = deploymentSpecOf(deployment, deps.localTeam);
    const taken = () => new AppError('already_exists', `deployment "${spec.name}" already exists`);
    const { record, retry } = await deps.lock.run(spec.name, async () => {
      if (await deps.deployments.get(spec.name, { signal })) throw taken();
      const load = await deps.loadTarget(spec, undefined, { signal });
      // An artifact the runtime cannot serve is refused before anything is stored: the caller
      // learns why and how to fix it now, not from a FAILED deployment later.
      if (load.kind === 'failed' && isUnservableArtifact(load.error)) {
        throw new AppError(
          'failed_precondition',
          `deployment "${spec.name}" not created: ${load.error.message}`,
          {
            cause: load.error,
          },
        );
      }
      const { state, message } = stateAfter(load, false);
      const loaded = load.kind === 'loaded' ? load : undefined;
      const version = loaded?.resolved.version ?? 0;
      const time = now().toISOString();
      const record: DeploymentRecord = {
        ...spec,
        state,
        stateMessage: message,
        stableVersion: version,
        stableArtifactSha256: loaded?.resolved.artifactSha256 ?? '',
        createTime: time,
        updateTime: time,
        createdBy: currentAuditPrincipal(),
        updatedBy: currentAuditPrincipal(),
      };
      const source = { source: 'flywheel/serving' };
      const created = newEvent(
        DeploymentCreatedSchema,
        {
          deploymentName: spec.name,
          team: spec.team,
          modelName: spec.modelName,
          modelVersion: BigInt(version),
          alias: spec.alias,
        },
        source,
      );
      const outbox = [toOutboxEntry(created)];
      if (loaded) {
        const rolledOut = newEvent(
          DeploymentRolledOutSchema,
          {
            deploymentName: spec.name,
            team: spec.team,
            modelName: spec.modelName,
            modelVersion: BigInt(version),
            previousVersion: 0n,
          },
          source,
        );
        outbox.push(toOutboxEntry(rolledOut));
      }
      try {
        await deps.deployments.put(spec.name, record, { expectedVersion: 0, signal, outbox });
      } catch (error) {
        void loaded?.model.retire();
        throw AppError.from(error).code === 'already_exists' ? taken() : error;
      }
      deps.served.upsert(spec.name, servingSettingsOf(spec, deps.defaultMaxInFlight));
      const retry = load.kind === 'failed' && load.retriable;
      deps.served.setPending(spec.name, retry);
      if (load.kind === 'failed' && load.refused) deps.served.setRefusal(spec.name, load.error);
      if (loaded) deps.served.activate(spec.name, loaded.model);
      return { record, retry };
    });
    if (retry) deps.reconciler.retryLater(spec.name);
    return record;
  };
}
