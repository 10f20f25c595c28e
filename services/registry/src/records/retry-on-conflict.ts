import { AppError, backoffMs, delay, isAppError } from '@flywheel/core';

/** How often a compare-and-set is retried before giving up: enough for hundreds of concurrent writers. */
const maxAttempts = 60;

/**
 * Runs `attempt` (read → decide → compare-and-set write) until it does not fail with a write
 * conflict: `aborted` (the document changed since it was read) or `already_exists` (it was created
 * since). Backs off with jitter between attempts. After too many conflicts, fails with a
 * retriable `aborted` naming `what`. Any other error, and cancellation of `signal`, ends it at once.
 */
export async function retryOnConflict<T>(
  what: string,
  signal: AbortSignal,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (thrown) {
      if (!(isAppError(thrown, 'aborted') || isAppError(thrown, 'already_exists'))) throw thrown;
      if (n + 1 >= maxAttempts) {
        throw new AppError('aborted', `${what}: too many concurrent changes, try again`, {
          cause: thrown,
        });
      }
    }
    await delay(backoffMs(n, 2, 100), signal);
  }
}
