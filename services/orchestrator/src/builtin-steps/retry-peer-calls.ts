import { AppError, delay, type Logger } from '@flywheel/core';

/** How built-in steps' calls to a peer service ride out its restart. */
export interface PeerRetryOptions {
  /** How long a call keeps being retried after its first failure, ms. */
  budgetMs: number;
  /** Logs each retry at warn (which peer, which method, the error, the wait). */
  log: Logger;
  /** The peer's name, for the log. */
  peer: string;
  /** Wait before the first retry, ms (doubling up to `maxBackoffMs`, jittered in the upper half). Default 250. */
  initialBackoffMs?: number;
  /** Default 5 000. */
  maxBackoffMs?: number;
  random?: () => number;
}

/** The default of `FLYWHEEL_ORCHESTRATOR_PEER_RETRY_BUDGET`, ms. */
export const defaultPeerRetryBudgetMs = 90_000;

/**
 * `client` with every call that resolves once (unary) retried while it fails with a retriable
 * AppError (`unavailable`, `deadline_exceeded`, `aborted`, `resource_exhausted`, or
 * `retriable: true`) — with backoff, until `budgetMs` after the first failure or the call's
 * `signal` aborts — so a peer's restart does not fail the step. The same request is sent again:
 * callers keep their calls idempotent (create calls carry a `request_id`, alias moves a
 * compare-and-set). Streaming calls and `close` pass through unchanged. After the budget, the last
 * error is thrown as it came.
 */
export function retryPeerCalls<C extends object>(client: C, options: PeerRetryOptions): C {
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const random = options.random ?? Math.random;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        const first = method.apply(target, args);
        // Streams (an AsyncIterable result, or requests) cannot be replayed: pass through.
        const request = args[0] as { [Symbol.asyncIterator]?: unknown } | undefined;
        if (!(first instanceof Promise) || (request && Symbol.asyncIterator in request)) return first;
        const signal = (args[1] as { signal?: AbortSignal } | undefined)?.signal;
        return (async () => {
          let pending = first;
          let failedAt: number | undefined;
          for (let retry = 1; ; retry++) {
            try {
              return await pending;
            } catch (error) {
              if (!(error instanceof AppError) || !error.retriable || signal?.aborted) throw error;
              failedAt ??= Date.now();
              const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (retry - 1));
              const waitMs = Math.round(backoff / 2 + random() * (backoff / 2));
              if (Date.now() + waitMs - failedAt > options.budgetMs) throw error;
              options.log.warn('peer call failed; retrying', {
                peer: options.peer,
                method: String(property),
                retry,
                waitMs,
                error: error.message,
              });
              await delay(waitMs, signal);
              pending = method.apply(target, args) as Promise<unknown>;
            }
          }
        })();
      };
    },
  });
}
