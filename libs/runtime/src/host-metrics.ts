import type { DeliveryAttemptOutcome, EventBus } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { counterOf, gaugeOf, type MetricsRegistry } from '@flywheel/metrics';
import type { DocumentStore } from '@flywheel/store';

// What the host measures of the work it does for a service besides its RPCs: the events its
// consumers handle, how far behind they are, and what its outbox has not published yet.

/** How long a scrape waits for the broker or the store before it answers with the last values. */
const scrapeTimeoutMs = 5_000;
/** The outbox backlog is counted up to this many entries (a scrape must stay cheap). */
const maxCountedBacklog = 10_000;

/**
 * The outcome callback of one consumer group: counts `flywheel_bus_events_handled_total
 * {topic,group,outcome}` and, for dead letters, `flywheel_bus_dead_letters_total{topic}`.
 */
export function outcomeCounter(
  registry: MetricsRegistry,
  group: string,
): (topic: string, outcome: DeliveryAttemptOutcome) => void {
  const handled = counterOf(registry, {
    name: 'flywheel_bus_events_handled_total',
    help: 'Delivery attempts of events by how they ended: ok (acked), retried (redelivered after backoff), dead_lettered.',
    labelNames: ['topic', 'group', 'outcome'],
  });
  const deadLetters = counterOf(registry, {
    name: 'flywheel_bus_dead_letters_total',
    help: 'Events written to <topic>.dlq by this service (undecodable, refused, or failing past the retry budget).',
    labelNames: ['topic'],
  });
  return (topic, outcome) => {
    handled.inc({ topic, group, outcome });
    if (outcome === 'dead_lettered') deadLetters.inc({ topic });
  };
}

/**
 * `flywheel_bus_consumer_lag{topic,group}`: asked of the bus at each scrape for every consumer the
 * service runs (`consumers()`); a broker that does not answer in time leaves the gauge empty for
 * that scrape rather than stale.
 */
export function watchConsumerLag(
  registry: MetricsRegistry,
  bus: EventBus,
  consumers: () => readonly { group: string; topics: readonly string[] }[],
  log: Logger,
): void {
  gaugeOf(registry, {
    name: 'flywheel_bus_consumer_lag',
    help: 'Events of the topic the consumer group has not settled yet (Kafka: high watermark - committed offset).',
    labelNames: ['topic', 'group'],
    async collect() {
      this.reset();
      try {
        const lags = await Promise.all(
          consumers().map(({ group, topics }) =>
            bus.consumerLag(group, topics, { timeoutMs: scrapeTimeoutMs }),
          ),
        );
        for (const { topic, group, lag } of lags.flat()) this.set({ topic, group }, lag);
      } catch (error) {
        log.debug('consumer lag not read for this scrape', { error: AppError.from(error).message });
      }
    },
  });
}

/** `flywheel_outbox_backlog`: outbox entries of the service's store not yet published (counted up to 10 000). */
export function watchOutboxBacklog(registry: MetricsRegistry, store: DocumentStore, log: Logger): void {
  gaugeOf(registry, {
    name: 'flywheel_outbox_backlog',
    help: 'Outbox entries written with documents and not yet published to the bus (counted up to 10000).',
    async collect() {
      try {
        this.set(
          (await store.pendingOutbox({ limit: maxCountedBacklog, timeoutMs: scrapeTimeoutMs })).length,
        );
      } catch (error) {
        log.debug('outbox backlog not read for this scrape', { error: AppError.from(error).message });
      }
    },
  });
}
