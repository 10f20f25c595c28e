import { AppError, type Logger } from '@flywheel/core';
import type { Collection, Doc } from '@flywheel/store';
import { type DeploymentRecord, revisionOf } from './deployment-records.ts';
import { runnerOptionsOf, sameRunnerOptions } from './deployment-spec.ts';
import type { PolicyCanary } from './policy-canary.ts';
import type { Reconciler } from './reconcile-deployments.ts';
import { isInProgress } from './rollout-records.ts';
import type { ServedModels } from './served-models.ts';
import type { DeploymentSync } from './sync-deployment.ts';

/**
 * Keeps this replica serving the stored deployments, whichever replica created, updated, rolled
 * back or deleted them: the store is the truth, events only make it sooner.
 */
export interface FollowStored {
  /**
   * One pass over the stored deployments (keyset pages): each one stored at a revision this
   * replica has not applied yet, not served here, or whose stable version is not the live one (or runs with
   * other runtime settings than stored)
   * (and no strategy runs) is followed (`one`); each served here but no longer stored stops
   * being served. A deployment that cannot be followed now (its version does not load) is logged
   * and tried again on the next pass.
   */
  pass(options: { signal: AbortSignal }): Promise<void>;
  /**
   * Follows one deployment as stored now (`DeploymentSync.follow`, under its lock, so an older
   * read never wins over a newer write); one not served here yet is taken up as a restart would
   * — its stored stable version, then reconciled with the registry. Idempotent.
   *
   * @throws AppError what loading its stored version throws.
   */
  one(name: string, options: { signal: AbortSignal }): Promise<void>;
}

export interface FollowStoredDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  sync: DeploymentSync;
  reconciler: Reconciler;
  rollouts?: Pick<PolicyCanary, 'routes'>;
  log: Logger;
}

const pageSize = 500;

export function createFollowStored(deps: FollowStoredDeps): FollowStored {
  const { deployments, served, sync, log } = deps;
  /** Deployment → the revision (`revisionOf`) this replica last followed, and whether its version was refused. */
  const applied = new Map<string, { revision: string; refused: boolean }>();

  const one: FollowStored['one'] = async (name, { signal }) => {
    const known = served.get(name) !== undefined;
    const result = await sync.follow(name, { signal });
    if (result.status === 'gone') {
      applied.delete(name);
      if (known) log.info('deployment deleted elsewhere no longer served', { deployment: name });
      return;
    }
    applied.set(name, { revision: result.revision, refused: result.status === 'refused' });
    if (known) return;
    await deps.reconciler.reconcile(name);
    log.info('deployment created elsewhere taken up', { deployment: name });
  };

  /** Whether a stored deployment may differ from what this replica serves of it. */
  const behind = (doc: Doc<DeploymentRecord>): boolean => {
    const { id, data: record } = doc;
    const entry = served.get(id);
    const last = applied.get(id);
    if (!entry || last?.revision !== revisionOf(doc)) return true;
    // A version refused for good (tampered, unloadable) is tried again once the record changes.
    if (last.refused) return false;
    if (record.stableVersion === 0 || isInProgress(record.rollout) || deps.rollouts?.routes(id)) return false;
    return (
      entry.live?.version !== record.stableVersion ||
      !sameRunnerOptions(entry.live.runtime, runnerOptionsOf(record))
    );
  };

  const attempt = async (name: string, signal: AbortSignal): Promise<void> => {
    try {
      await one(name, { signal });
    } catch (error) {
      if (signal.aborted) return;
      log.warn('cannot follow a stored deployment yet; trying again on the next pass', {
        deployment: name,
        error: AppError.from(error),
      });
    }
  };

  return {
    one,
    async pass({ signal }) {
      const stored = new Set<string>();
      for (let after: string | undefined; ; ) {
        const page = await deployments.find(
          {},
          { limit: pageSize, signal, ...(after ? { after: { id: after } } : {}) },
        );
        for (const doc of page) {
          if (signal.aborted) return;
          stored.add(doc.id);
          if (behind(doc)) await attempt(doc.id, signal);
        }
        if (page.length < pageSize) break;
        after = page.at(-1)!.id;
      }
      // `one` reads the store again under the lock: one created here since the listing is kept.
      for (const entry of served.list()) {
        if (signal.aborted) return;
        if (!stored.has(entry.name)) await attempt(entry.name, signal);
      }
    },
  };
}
