import type { EventBus, Subscription } from '@flywheel/bus';
import {
  AppError,
  abortError,
  backoffMs,
  type CallOptions,
  deadlineSignal,
  delay,
  type Logger,
} from '@flywheel/core';

/** An event bus whose topics are being created in the background. */
export interface TopicsFirstBus extends EventBus {
  /**
   * Resolves once the topics exist. Rejects by the call's deadline (default 30 s) — the creation
   * goes on —, with the creation's error when it failed for good (not retriable), and
   * `failed_precondition` once the bus is closed first.
   */
  topicsReady(options?: CallOptions): Promise<void>;
}

export interface TopicsFirstOptions {
  log: Logger;
  /** Backoff between attempts to create the topics, ms. Default 200 → 5000. */
  retry?: { baseMs: number; maxMs: number };
  /** Close the wrapped bus on close (false when it is shared with other services). Default true. */
  ownsBus?: boolean;
}

const defaultReadyTimeoutMs = 30_000;

/**
 * Wraps `bus` so that a service never waits for the admin round-trips of topic creation to start
 * serving: `topics` are ensured in the background from now on (retried with backoff while the
 * reason may pass), and `publish` and `subscribe` wait for them first — nothing is published to,
 * or consumed from, a topic that was not created with its partitions. A subscription made before
 * the topics exist joins once they do; its `ready()` covers both.
 */
export function topicsFirst(
  bus: EventBus,
  topics: readonly string[],
  options: TopicsFirstOptions,
): TopicsFirstBus {
  const { log } = options;
  const { baseMs, maxMs } = options.retry ?? { baseMs: 200, maxMs: 5000 };
  const closing = new AbortController();
  let done = false;

  const ensured = (async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await bus.ensureTopics(topics, { signal: closing.signal });
        done = true;
        return;
      } catch (error) {
        if (closing.signal.aborted) {
          throw new AppError('failed_precondition', 'the event bus closed before its topics were created');
        }
        const appError = AppError.from(error);
        if (!appError.retriable) {
          log.error('cannot create the topics', { error: appError });
          throw appError;
        }
        log.warn('topics not created yet; retrying', { attempt, error: appError.message });
        await delay(backoffMs(attempt, baseMs, maxMs), closing.signal).catch(() => undefined);
      }
    }
  })();
  // Awaited by callers; an unobserved failure is logged above, not an unhandled rejection.
  ensured.catch(() => undefined);

  const topicsReady = async (callOptions: CallOptions = {}): Promise<void> => {
    if (done) return;
    const signal = deadlineSignal(callOptions, defaultReadyTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      ensured.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };

  return {
    topicsReady,
    publish: async (events, callOptions = {}) => {
      await topicsReady(callOptions);
      await bus.publish(events, callOptions);
    },
    ensureTopics: async (more, callOptions = {}) => {
      await topicsReady(callOptions);
      await bus.ensureTopics(more, callOptions);
    },
    consumerLag: (group, topics, callOptions) => bus.consumerLag(group, topics, callOptions),
    subscribe: (subscribeOptions) => {
      if (done) return bus.subscribe(subscribeOptions);
      return deferredSubscription(ensured, () => bus.subscribe(subscribeOptions), topicsReady);
    },
    close: async () => {
      closing.abort();
      if (options.ownsBus ?? true) await bus.close();
    },
  };
}

/**
 * A subscription opened once `ensured` resolves, then behaving as the one `open` returns. Closing it
 * first ends it at once (nothing was consumed); a creation that failed for good fails it.
 */
function deferredSubscription(
  ensured: Promise<void>,
  open: () => Subscription,
  topicsReady: (options?: CallOptions) => Promise<void>,
): Subscription {
  const closing = new AbortController();
  const opened = settledOrAborted(ensured, closing.signal).then((created) =>
    created && !closing.signal.aborted ? open() : undefined,
  );
  // A failed creation surfaces through ready() and iteration; never unhandled.
  opened.catch(() => undefined);
  return {
    async ready(callOptions = {}) {
      const signal = deadlineSignal(callOptions, defaultReadyTimeoutMs);
      await topicsReady({ signal });
      const inner = await opened;
      if (!inner) throw new AppError('failed_precondition', 'the subscription closed before it started');
      await inner.ready({ signal });
    },
    async close() {
      closing.abort();
      const inner = await opened.catch(() => undefined);
      await inner?.close();
    },
    async *[Symbol.asyncIterator]() {
      const inner = await opened;
      if (inner) yield* inner;
    },
  };
}

/** True once `promise` resolves, false as soon as `signal` aborts (first wins); rejects as it does. */
function settledOrAborted(promise: Promise<void>, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    promise
      .then(
        () => resolve(true),
        (error: unknown) => reject(error),
      )
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
