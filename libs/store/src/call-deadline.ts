import { AppError, abortError, type CallOptions, throwIfAborted } from '@flywheel/core';

/**
 * Runs `run` under the caller's signal and a deadline (`timeoutMs`, else `defaultTimeoutMs`):
 * rejects with `deadline_exceeded` / `cancelled` as soon as either fires, even if `run` ignores
 * its signal, so a call never hangs. Unlike `deadlineSignal`, the timer is cleared when the call
 * ends, so hot paths do not leave timers behind.
 */
export async function withDeadline<T>(
  options: CallOptions | undefined,
  defaultTimeoutMs: number,
  run: (signal: AbortSignal, timeoutMs: number) => Promise<T>,
): Promise<T> {
  const callerSignal = options?.signal;
  throwIfAborted(callerSignal);
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  if (!(timeoutMs > 0)) throw AppError.invalidArgument('timeoutMs', `must be > 0, got ${String(timeoutMs)}`);
  const controller = new AbortController();
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new AppError('deadline_exceeded', `deadline of ${timeoutMs} ms exceeded`)),
    timeoutMs,
  );
  let onAbort: (() => void) | undefined;
  try {
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(controller.signal));
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    const running = run(controller.signal, timeoutMs);
    // The loser must not become an unhandled rejection.
    running.catch(() => {});
    return await Promise.race([running, aborted]);
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    if (onAbort) controller.signal.removeEventListener('abort', onAbort);
  }
}
