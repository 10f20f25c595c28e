import { AppError, backoffMs, delay, type Logger } from '@flywheel/core';
import type { ServedModels } from './served-models.ts';
import type { DeploymentSync, SyncResult } from './sync-deployment.ts';

/** Keeps trying to sync deployments whose loads failed for a passing reason. */
export interface Reconciler {
  /**
   * Syncs a deployment now. When that fails for a passing reason (registry or store unavailable),
   * resolves undefined and keeps retrying in the background, with backoff, until it settles, the
   * deployment is deleted or the service stops; meanwhile the server is not ready.
   *
   * @throws AppError when the sync fails for good (not retriable), e.g. a corrupt record.
   */
  reconcile(name: string, options?: { onlyVersion?: number }): Promise<SyncResult | undefined>;
  /** Starts background retries for a deployment (no-op when already retrying). */
  retryLater(name: string): void;
  /** Resolves once the background retries have ended (they end when the service's signal aborts). */
  drained(): Promise<void>;
}

export interface ReconcilerDeps {
  sync: DeploymentSync;
  served: ServedModels;
  retryBaseMs: number;
  retryMaxMs: number;
  /** The service's stop signal. */
  signal: AbortSignal;
  log: Logger;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const { sync, served, signal, log } = deps;
  const loops = new Map<string, Promise<void>>();

  const settled = (name: string): void => served.setPending(name, false);

  const loop = async (name: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await delay(backoffMs(attempt, deps.retryBaseMs, deps.retryMaxMs), signal);
        await sync.sync(name, { signal });
        settled(name);
        return;
      } catch (error) {
        if (signal.aborted) return;
        const appError = AppError.from(error);
        if (!appError.retriable) {
          settled(name);
          log.error('giving up on a deployment', { deployment: name, error: appError });
          return;
        }
        log.warn('deployment not loaded yet; retrying', { deployment: name, attempt, error: appError });
      }
    }
  };

  const retryLater = (name: string): void => {
    if (loops.has(name) || signal.aborted) return;
    served.setPending(name, true);
    const running = loop(name).finally(() => loops.delete(name));
    loops.set(name, running);
  };

  return {
    async reconcile(name, options = {}) {
      try {
        const result = await sync.sync(name, {
          signal,
          ...(options.onlyVersion === undefined ? {} : { onlyVersion: options.onlyVersion }),
        });
        if (!loops.has(name)) settled(name);
        return result;
      } catch (error) {
        if (signal.aborted) return undefined;
        const appError = AppError.from(error);
        if (!appError.retriable) {
          settled(name);
          throw appError;
        }
        log.warn('deployment not loaded; retrying in the background', { deployment: name, error: appError });
        retryLater(name);
        return undefined;
      }
    },
    retryLater,
    drained: async () => {
      await Promise.all([...loops.values()]);
    },
  };
}
