import type { BlobStore } from '@flywheel/blobs';
import { AppError, deadlineSignal } from '@flywheel/core';
import type { ModelLoader, ModelRunner, RunnerOptions } from '../runtime/model-runner.ts';
import { warmUp } from '../runtime/warm-up.ts';
import type { ResolvedVersion } from './model-resolver.ts';

/** Fetches a resolved version's artifact, verifies it, loads it and warms it up. */
export type LoadModelVersion = (
  resolved: ResolvedVersion,
  runtime: RunnerOptions,
  options?: { signal?: AbortSignal },
) => Promise<ModelRunner>;

export interface LoadModelVersionDeps {
  blobs: BlobStore;
  loadModel: ModelLoader;
  /** Deadline of the whole fetch-load-warm, ms. */
  timeoutMs: number;
}

/**
 * The artifact comes from the shared blob store by its sha256, verified on read: a tampered or
 * truncated artifact is refused and never reaches the runtime. The runner is returned only after a
 * successful warm-up run; on any failure it is closed.
 *
 * @throws AppError data_loss when the artifact fails verification; failed_precondition when it is
 *   missing from the blob store; failed_precondition with field "artifact" when the runtime refuses
 *   it or it fails its warm-up (`isUnservableArtifact`); unavailable / deadline_exceeded / cancelled
 *   (retriable or shutting down).
 */
export function createLoadModelVersion(deps: LoadModelVersionDeps): LoadModelVersion {
  return async (resolved, runtime, options = {}) => {
    const signal = deadlineSignal(options, deps.timeoutMs);
    const what = `artifact of ${resolved.modelName} version ${resolved.version} (sha256 ${resolved.artifactSha256})`;
    let bytes: Uint8Array;
    try {
      bytes = await deps.blobs.getBytes(resolved.artifactSha256, { signal });
    } catch (error) {
      const appError = AppError.from(error);
      if (appError.code === 'data_loss') {
        throw new AppError('data_loss', `${what} failed verification and was refused: ${appError.message}`, {
          cause: error,
        });
      }
      if (appError.code === 'not_found') {
        throw new AppError('failed_precondition', `${what} is not in the blob store`, { cause: error });
      }
      throw appError;
    }
    let runner: ModelRunner;
    try {
      runner = await deps.loadModel(bytes, { ...runtime, signal });
    } catch (error) {
      throw refused(error, what);
    }
    try {
      await warmUp(runner, { signal });
      return runner;
    } catch (error) {
      await runner.close();
      throw refused(error, what);
    }
  };
}

/**
 * A model the runtime refuses (cannot load, a non-tensor input or output, a failed warm-up) is a
 * property of the artifact, not of the request that named it: failed_precondition with field
 * "artifact", the reason and the fix in the message. Other errors pass as they are.
 */
function refused(error: unknown, what: string): AppError {
  const appError = AppError.from(error);
  if (appError.code !== 'invalid_argument') return appError;
  const reason = appError.field ? appError.message.replace(`${appError.field}: `, '') : appError.message;
  return new AppError('failed_precondition', `${what} cannot be served: ${reason}`, {
    field: 'artifact',
    cause: error,
  });
}

/** Whether `error` is the runtime refusing an artifact (see `refused`): loading it again fails again. */
export function isUnservableArtifact(error: AppError): boolean {
  return error.code === 'failed_precondition' && error.field === 'artifact';
}
