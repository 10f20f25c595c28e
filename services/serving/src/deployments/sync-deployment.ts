import { AppError, type Logger } from '@flywheel/core';
import { currentAuditPrincipal } from '@flywheel/rpc';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';
import { createLiveModel, type LiveModel } from '../runtime/live-model.ts';
import { type DeploymentRecord, revisionOf } from './deployment-records.ts';
import { runnerOptionsOf, sameRunnerOptions, servingSettingsOf } from './deployment-spec.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { LoadModelVersion } from './load-model-version.ts';
import { type LoadTarget, stateAfter } from './load-target.ts';
import type { PolicyCanary } from './policy-canary.ts';
import { type RolledOutObserver, rolledOutEvent } from './rolled-out-event.ts';
import { isInProgress } from './rollout-records.ts';
import type { ServedModels } from './served-models.ts';

/** What a sync ended with (failures that may pass are thrown instead, retriable). */
export type SyncResult =
  /** The target's version is live; `changed` when this sync swapped it in. */
  | { status: 'live'; version: number; changed: boolean }
  /** The registry names another version than the one asked for; nothing changed. */
  | { status: 'stale'; version: number }
  /** The deployment no longer exists. */
  | { status: 'gone' }
  /** Nothing to load (no such alias or version yet) or the version was refused; see the record. */
  | { status: 'not-loaded'; error: AppError };

export interface SyncOptions {
  signal: AbortSignal;
  /** Act only if the registry resolves the target to this version (the version an event names). */
  onlyVersion?: number;
}

/** Brings deployments' live models in line with their stored targets, one at a time per deployment. */
export interface DeploymentSync {
  /**
   * Resolves the deployment's target; when it names a version other than the live one, loads and
   * warms it, stores it as the stable version with `deployment.rolled-out` in the same write, and
   * swaps it in (the previous version finishes its requests, then is released). A refused version
   * (tampered artifact, unloadable model) leaves the live one serving and the deployment degraded.
   *
   * @throws AppError retriable (unavailable, deadline_exceeded, aborted) when the registry, blob
   *   store or document store cannot answer now; cancelled when `signal` aborts.
   */
  sync(name: string, options: SyncOptions): Promise<SyncResult>;
  /**
   * After a restart: loads the stored stable version straight from the blob store (verified by
   * its sha256), so serving resumes without waiting for the registry. Never throws; a failure is
   * logged and left to `sync`.
   */
  restore(name: string, options: { signal: AbortSignal }): Promise<void>;
  /**
   * Brings this replica in line with the stored deployment, which another replica may have
   * changed: its settings apply at once; a stable version other than the live one (or the live one
   * loaded with other runtime settings than the stored ones) is loaded
   * straight from the blob store (verified by its sha256) and swapped in — unless a traffic
   * strategy is in progress, which the rollouts follow; a deleted deployment stops being served
   * (its strategy ended here). Asks the registry nothing and writes nothing.
   *
   * @throws AppError retriable when the store or blob store cannot answer now (the caller tries
   *   again later); a version refused for good comes back as `refused`.
   */
  follow(name: string, options: { signal: AbortSignal }): Promise<FollowResult>;
}

/** What following a stored deployment ended with. */
export type FollowResult =
  /** Applied as stored at `revision` (`revisionOf`); `changed` when another version went live. */
  | { status: 'followed'; revision: string; changed: boolean }
  /** Its stored stable version cannot be loaded here for good (e.g. a tampered artifact). */
  | { status: 'refused'; revision: string; error: AppError }
  /** No such deployment is stored (any served here is no longer). */
  | { status: 'gone' };

export interface DeploymentSyncDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  loadTarget: LoadTarget;
  loadVersion: LoadModelVersion;
  lock: KeyedLock;
  defaultMaxInFlight: number;
  /** Rolls a new version out as a canary when the deployment has a rollout policy. */
  rollouts?: PolicyCanary;
  log: Logger;
  now?: () => Date;
  /** Called when this replica rolled a new version out by swapping it in (a canary's promotion is the rollouts'). */
  onRolledOut?: RolledOutObserver;
}

export function createDeploymentSync(deps: DeploymentSyncDeps): DeploymentSync {
  const { deployments, served, lock, log } = deps;
  const now = deps.now ?? (() => new Date());

  const write = (
    doc: Doc<DeploymentRecord>,
    changes: Partial<DeploymentRecord>,
    signal: AbortSignal,
    outbox: OutboxEntry[] = [],
  ): Promise<Doc<DeploymentRecord>> =>
    deployments.put(
      doc.id,
      { ...doc.data, ...changes, updateTime: now().toISOString(), updatedBy: currentAuditPrincipal() },
      { expectedVersion: doc.version, signal, outbox },
    );

  const sync = async (name: string, { signal, onlyVersion }: SyncOptions): Promise<SyncResult> => {
    const doc = await deployments.get(name, { signal });
    if (!doc) return { status: 'gone' };
    const record = doc.data;
    served.upsert(name, servingSettingsOf(record, deps.defaultMaxInFlight));
    const live = served.get(name)?.live;
    const load = await deps.loadTarget(record, live, {
      signal,
      ...(onlyVersion === undefined ? {} : { onlyVersion }),
    });
    switch (load.kind) {
      case 'stale':
        log.info('ignoring a stale alias change', {
          deployment: name,
          asked: onlyVersion,
          registry: load.resolved.version,
        });
        return { status: 'stale', version: load.resolved.version };
      case 'unchanged':
        if (record.state !== 'ready' || record.stateMessage !== '') {
          await write(doc, { state: 'ready', stateMessage: '' }, signal);
        }
        return { status: 'live', version: load.resolved.version, changed: false };
      case 'loaded': {
        const { resolved, model } = load;
        // The live version reloaded with new runtime settings replaces itself at once, no canary.
        const sameVersion = live?.version === resolved.version;
        if (live && !sameVersion && (await deps.rollouts?.startPolicyCanary(doc, model, resolved, signal))) {
          return { status: 'live', version: resolved.version, changed: true };
        }
        const rolledOut = resolved.version !== record.stableVersion;
        const outbox = rolledOut ? [rolledOutEvent(record, resolved.version)] : [];
        try {
          await write(
            doc,
            {
              state: 'ready',
              stateMessage: '',
              stableVersion: resolved.version,
              stableArtifactSha256: resolved.artifactSha256,
            },
            signal,
            outbox,
          );
        } catch (error) {
          void model.retire();
          throw error;
        }
        served.activate(name, model);
        if (rolledOut) deps.onRolledOut?.({ deployment: name, resolved, liveAt: now() });
        log.info(sameVersion ? 'runtime settings applied' : 'version live', {
          deployment: name,
          version: resolved.version,
          previous: live?.version,
        });
        return { status: 'live', version: resolved.version, changed: true };
      }
      case 'failed': {
        const next = stateAfter(load, live !== undefined);
        if (next.state !== record.state || next.message !== record.stateMessage) {
          await write(doc, { state: next.state, stateMessage: next.message }, signal);
        }
        // Requests say why nothing serves: refused, or nothing to load (the refusal is over).
        if (load.refused) served.setRefusal(name, load.error);
        else if (!load.retriable) served.setRefusal(name, undefined);
        if (load.retriable) throw load.error;
        return { status: 'not-loaded', error: load.error };
      }
    }
  };

  /** The record's stable version, straight from the blob store (verified by its sha256). */
  const loadStored = async (name: string, record: DeploymentRecord, signal: AbortSignal) => {
    const runtime = runnerOptionsOf(record);
    const runner = await deps.loadVersion(
      {
        modelName: record.modelName,
        version: record.stableVersion,
        artifactSha256: record.stableArtifactSha256,
      },
      runtime,
      { signal },
    );
    return createLiveModel({
      version: record.stableVersion,
      artifactSha256: record.stableArtifactSha256,
      runner,
      runtime,
      deploymentName: name,
      log,
    });
  };

  const restore = async (name: string, { signal }: { signal: AbortSignal }): Promise<void> => {
    const doc = await deployments.get(name, { signal }).catch(() => undefined);
    const record = doc?.data;
    if (!record || record.stableVersion === 0 || !record.stableArtifactSha256) return;
    if (served.get(name)?.live) return;
    const startedAt = Date.now();
    try {
      const model = await loadStored(name, record, signal);
      served.upsert(name, servingSettingsOf(record, deps.defaultMaxInFlight));
      served.activate(name, model);
      log.info('stored version restored', {
        deployment: name,
        version: record.stableVersion,
        ms: Date.now() - startedAt,
      });
    } catch (error) {
      const appError = AppError.from(error);
      if (!signal.aborted && !appError.retriable) {
        served.upsert(name, servingSettingsOf(record, deps.defaultMaxInFlight));
        served.setRefusal(name, appError);
      }
      if (!signal.aborted) {
        log.warn('cannot restore the stored version; asking the registry', {
          deployment: name,
          version: record.stableVersion,
          error: appError,
        });
      }
    }
  };

  const follow = async (name: string, { signal }: { signal: AbortSignal }): Promise<FollowResult> => {
    const doc = await deployments.get(name, { signal });
    if (!doc) {
      if (served.get(name)) {
        deps.rollouts?.forget(name);
        void served.remove(name);
      }
      return { status: 'gone' };
    }
    const record = doc.data;
    served.upsert(name, servingSettingsOf(record, deps.defaultMaxInFlight));
    const live = served.get(name)?.live;
    const strategy = isInProgress(record.rollout) || (deps.rollouts?.routes(name) ?? false);
    const current =
      record.stableVersion === 0 ||
      !record.stableArtifactSha256 ||
      (live?.version === record.stableVersion &&
        live.artifactSha256 === record.stableArtifactSha256 &&
        sameRunnerOptions(live.runtime, runnerOptionsOf(record)));
    // While a strategy runs, which versions serve is the rollouts' to follow (they need a live one).
    if (current || (live && strategy))
      return { status: 'followed', revision: revisionOf(doc), changed: false };
    let model: LiveModel;
    try {
      model = await loadStored(name, record, signal);
    } catch (error) {
      const appError = AppError.from(error);
      if (signal.aborted || appError.retriable) throw appError;
      log.warn('cannot follow the stored version; it is refused here', {
        deployment: name,
        version: record.stableVersion,
        error: appError,
      });
      if (!live) served.setRefusal(name, appError);
      return { status: 'refused', revision: revisionOf(doc), error: appError };
    }
    served.activate(name, model);
    log.info('stored version followed', {
      deployment: name,
      version: record.stableVersion,
      previous: live?.version,
    });
    return { status: 'followed', revision: revisionOf(doc), changed: true };
  };

  return {
    sync: (name, options) => lock.run(name, () => sync(name, options)),
    restore: (name, options) => lock.run(name, () => restore(name, options)),
    follow: (name, options) => lock.run(name, () => follow(name, options)),
  };
}
