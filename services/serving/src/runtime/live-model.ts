import { AppError, type Logger } from '@flywheel/core';
import type { ModelRunner, RunnerOptions } from './model-runner.ts';

/** A hold on a live model for the length of one request. */
export interface ModelLease {
  readonly model: LiveModel;
  /** Ends the hold. Idempotent. */
  release(): void;
}

/** One loaded, warmed-up model version taking traffic, counted by the requests that hold it. */
export interface LiveModel {
  readonly version: number;
  readonly artifactSha256: string;
  readonly runner: ModelRunner;
  /** The runtime settings its runner was loaded with; undefined when not told. */
  readonly runtime: RunnerOptions | undefined;
  /** Requests holding it now. */
  readonly inFlight: number;
  /**
   * Holds the model for one request: it is not released while held.
   *
   * @throws AppError resource_exhausted when `maxInFlight` requests already hold it;
   *   unavailable once it has been retired.
   */
  acquire(maxInFlight: number): ModelLease;
  /**
   * Takes it out of service: no new holds; the runner is closed once the last hold ends (at once
   * when none). Resolves when it is closed. Idempotent.
   */
  retire(): Promise<void>;
}

export interface LiveModelOptions {
  version: number;
  artifactSha256: string;
  runner: ModelRunner;
  /** The runtime settings `runner` was loaded with (compared with the stored ones to see if it must be reloaded). */
  runtime?: RunnerOptions;
  /** Names the deployment in messages. */
  deploymentName: string;
  log: Logger;
}

/** Wraps a warmed-up runner as a reference-counted live model. */
export function createLiveModel(options: LiveModelOptions): LiveModel {
  const { runner, version, deploymentName, log } = options;
  let inFlight = 0;
  let retiring: Promise<void> | undefined;
  let onIdle: (() => void) | undefined;

  const close = (): Promise<void> =>
    runner.close().catch((error: unknown) => {
      log.warn('closing a retired model failed', { deployment: deploymentName, version, error });
    });

  const model: LiveModel = {
    version,
    artifactSha256: options.artifactSha256,
    runner,
    runtime: options.runtime,
    get inFlight() {
      return inFlight;
    },
    acquire(maxInFlight) {
      if (retiring) {
        throw new AppError('unavailable', `version ${version} of "${deploymentName}" has been unloaded`);
      }
      if (inFlight >= maxInFlight) {
        throw new AppError(
          'resource_exhausted',
          `"${deploymentName}" version ${version} is running ${inFlight} requests, its limit; retry later`,
        );
      }
      inFlight++;
      let held = true;
      return {
        model,
        release() {
          if (!held) return;
          held = false;
          inFlight--;
          if (inFlight === 0) onIdle?.();
        },
      };
    },
    retire() {
      retiring ??= (
        inFlight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              onIdle = resolve;
            })
      ).then(close);
      return retiring;
    },
  };
  return model;
}
