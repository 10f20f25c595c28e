import { AppError, type CallOptions, type Logger } from '@flywheel/core';

/** One consumer a {@link ConsumerSet} wants running, by key (a feature view, an outside topic…). */
export interface WantedConsumer {
  readonly group: string;
  readonly topic: string;
}

export interface ConsumerSetOptions {
  /** What should run now, by key; read at each reconcile (e.g. from the catalog or the rules). */
  wanted(options: CallOptions): Promise<ReadonlyMap<string, WantedConsumer>>;
  /** Starts the consumer of `key` (typically `ServiceHost.consume` of `@flywheel/runtime`). */
  start(key: string, wanted: WantedConsumer): Promise<{ stop(): Promise<void> }>;
  log: Logger;
  /** How log lines name a consumer and its key: `stream consumer` / `featureView`. */
  noun: string;
  keyField: string;
}

/** Consumers that come and go with stored definitions, e.g. one per feature view's stream topic. */
export interface ConsumerSet {
  /**
   * Makes the running consumers match `wanted`: started when missing, stopped when no longer
   * wanted, restarted when their group or topic changed. Calls are serialized; a failed one is
   * logged and the next call tries again. Resolves the keys running.
   */
  reconcile(options?: CallOptions): Promise<string[]>;
  /** Stops every consumer; later reconciles do nothing. */
  close(): Promise<void>;
}

/**
 * The one reconciler of a service's dynamic consumers (the feature store's stream sources, the
 * scheduler's outside topics): logs `<noun> started` / `<noun> stopped` with the key under
 * `keyField`, the topic and the group.
 */
export function createConsumerSet(options: ConsumerSetOptions): ConsumerSet {
  const { log, noun, keyField } = options;
  const running = new Map<string, WantedConsumer & { stop(): Promise<void> }>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const reconcileNow = async (callOptions: CallOptions): Promise<string[]> => {
    if (closed) return [];
    const wanted = await options.wanted(callOptions);
    for (const [key, consumer] of running) {
      const want = wanted.get(key);
      if (want && want.group === consumer.group && want.topic === consumer.topic) continue;
      running.delete(key);
      await consumer.stop();
      log.info(`${noun} stopped`, { [keyField]: key, topic: consumer.topic, group: consumer.group });
    }
    for (const [key, want] of wanted) {
      if (running.has(key) || closed) continue;
      const consumer = await options.start(key, want);
      running.set(key, { ...want, stop: () => consumer.stop() });
      log.info(`${noun} started`, { [keyField]: key, topic: want.topic, group: want.group });
    }
    return [...running.keys()];
  };

  return {
    reconcile: (callOptions = {}) => {
      const next = queue.then(() => reconcileNow(callOptions));
      queue = next.catch((error: unknown) =>
        log.warn(`${noun}s not reconciled`, { error: AppError.from(error).message }),
      );
      return next;
    },
    close: async () => {
      closed = true;
      await queue;
      await Promise.all([...running.values()].map((consumer) => consumer.stop()));
      running.clear();
    },
  };
}
