import { AppError, type Logger } from '@flywheel/core';
import { createLiveModel, type LiveModel } from '../runtime/live-model.ts';
import type { DeploymentStateName } from './deployment-records.ts';
import { type DeploymentSpec, runnerOptionsOf, sameRunnerOptions, targetOf } from './deployment-spec.ts';
import type { LoadModelVersion } from './load-model-version.ts';
import { type ModelResolver, type ResolvedVersion, targetUri } from './model-resolver.ts';

/** What came of trying to bring a deployment's target live. */
export type TargetLoad =
  /** A new version (or the live one with new runtime settings) is loaded and warm, not yet taking traffic. */
  | { kind: 'loaded'; resolved: ResolvedVersion; model: LiveModel }
  /** The target resolves to the version already live, running with the spec's runtime settings. */
  | { kind: 'unchanged'; resolved: ResolvedVersion }
  /** The registry names another version than the one asked for: the request is stale. */
  | { kind: 'stale'; resolved: ResolvedVersion }
  /**
   * Nothing loaded; `retriable` when trying again later may succeed without anyone acting;
   * `refused` when the target resolved but its version cannot be loaded for good (its artifact
   * cannot be served, is tampered or missing), as opposed to nothing to load yet.
   */
  | { kind: 'failed'; error: AppError; retriable: boolean; refused: boolean };

/** Resolves a deployment's target through the registry and, when it names a new version, loads it. */
export type LoadTarget = (
  spec: DeploymentSpec,
  live: LiveModel | undefined,
  options: { signal: AbortSignal; onlyVersion?: number },
) => Promise<TargetLoad>;

export interface LoadTargetDeps {
  resolver: ModelResolver;
  loadVersion: LoadModelVersion;
  registryTimeoutMs: number;
  log: Logger;
  /** Told how long each version that loaded took (fetch, verify, onnxruntime sessions, warm-up), by deployment. */
  onLoaded?: (deployment: string, seconds: number) => void;
}

/**
 * Never throws for a failed resolution or load (they come back as `failed`), except when `signal`
 * aborts (shutting down): then it throws cancelled.
 */
export function createLoadTarget(deps: LoadTargetDeps): LoadTarget {
  return async (spec, live, { signal, onlyVersion }) => {
    const target = targetOf(spec);
    let resolved: ResolvedVersion;
    try {
      resolved = await deps.resolver.resolve(target, { signal, timeoutMs: deps.registryTimeoutMs });
    } catch (error) {
      if (signal.aborted) throw error;
      const appError = AppError.from(error);
      return {
        kind: 'failed',
        error: new AppError(appError.code, `cannot resolve ${targetUri(target)}: ${appError.message}`, {
          cause: error,
        }),
        retriable: appError.retriable,
        refused: false,
      };
    }
    if (onlyVersion !== undefined && resolved.version !== onlyVersion) return { kind: 'stale', resolved };
    const runtime = runnerOptionsOf(spec);
    // The live version loaded with other runtime settings (an UpdateDeployment) is loaded again.
    if (live?.version === resolved.version && sameRunnerOptions(live.runtime, runtime)) {
      return { kind: 'unchanged', resolved };
    }
    try {
      const startedAt = performance.now();
      const runner = await deps.loadVersion(resolved, runtime, { signal });
      deps.onLoaded?.(spec.name, (performance.now() - startedAt) / 1000);
      const model = createLiveModel({
        version: resolved.version,
        artifactSha256: resolved.artifactSha256,
        runner,
        runtime,
        deploymentName: spec.name,
        log: deps.log,
      });
      return { kind: 'loaded', resolved, model };
    } catch (error) {
      if (signal.aborted) throw error;
      const appError = AppError.from(error);
      deps.log.warn('model version refused', {
        deployment: spec.name,
        model: resolved.modelName,
        version: resolved.version,
        error: appError,
      });
      return { kind: 'failed', error: appError, retriable: appError.retriable, refused: !appError.retriable };
    }
  };
}

/**
 * The state a deployment is in after a load attempt: ready when its target is live; degraded when
 * an older version keeps serving; pending while there is nothing to load yet (no such alias or
 * version) or the failure may pass; failed otherwise.
 */
export function stateAfter(
  load: TargetLoad,
  hasLive: boolean,
): { state: DeploymentStateName; message: string } {
  if (load.kind !== 'failed') return { state: 'ready', message: '' };
  if (hasLive) return { state: 'degraded', message: load.error.message };
  const waiting = load.retriable || load.error.code === 'not_found';
  return { state: waiting ? 'pending' : 'failed', message: load.error.message };
}
