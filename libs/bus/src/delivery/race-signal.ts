import { AppError, abortError } from '@flywheel/core';

/**
 * `work`'s result, or a rejection as soon as `signal` aborts (the work itself goes on in the
 * background: broker clients cannot cancel a request in flight). A deadline becomes
 * `unavailable` — the broker did not answer in time, try again — and a caller's cancellation
 * stays `cancelled`. Errors of `work` pass through unchanged.
 */
export async function raceSignal<T>(signal: AbortSignal, work: Promise<T>, what: string): Promise<T> {
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(unavailableOnDeadline(signal, what));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The error for an aborted broker call: `unavailable` for a deadline, the abort's own error otherwise. */
export function unavailableOnDeadline(signal: AbortSignal, what: string): AppError {
  const reason = abortError(signal);
  if (reason.code !== 'deadline_exceeded') return reason;
  return new AppError('unavailable', `${what} did not finish in time (${reason.message})`, { cause: reason });
}
