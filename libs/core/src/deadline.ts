import { AppError } from './app-error.ts';

/** What every I/O call accepts: a caller's cancellation and a deadline in milliseconds. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * One signal that aborts when the caller's does or when `timeoutMs` (else `defaultTimeoutMs`)
 * elapses, so no call is ever made without a deadline. The timeout aborts with a
 * `deadline_exceeded` AppError as the reason.
 */
export function deadlineSignal(options: CallOptions, defaultTimeoutMs: number): AbortSignal {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const timeout = timeoutSignal(timeoutMs);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

function timeoutSignal(timeoutMs: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new AppError('deadline_exceeded', `deadline of ${timeoutMs} ms exceeded`)),
    timeoutMs,
  );
  timer.unref();
  return controller.signal;
}

/** Throws the signal's reason as an AppError when it has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** The AppError an aborted signal stands for: its reason if that is one, else `cancelled`. */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new AppError('deadline_exceeded', reason.message, { cause: reason });
  }
  return new AppError('cancelled', reason instanceof Error ? reason.message : 'operation was cancelled', {
    cause: reason,
  });
}

/** Resolves after `ms`, or rejects with the abort's AppError as soon as `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: attempt 0 → up to `baseMs`, capped at `maxMs`. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
