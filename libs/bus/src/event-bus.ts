import { AppError, type CallOptions } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';

/**
 * The event bus port. Topic = event type; `<topic>.dlq` holds what could not be handled.
 * Delivery is at-least-once: handlers must be idempotent (see {@link createIdempotentHandler}).
 *
 * Adapters: `createMemoryBus` (embedded, in-process), `createKafkaBus`, `createNatsBus`; pick one
 * from configuration with `createEventBus`. All of them pass `describeEventBusContract`.
 */
export interface EventBus {
  /**
   * Publishes events to the topics named by their `type`, in order per key. Resolves once the
   * broker has them durably (Kafka acks=all + idempotent producer; JetStream publish ack). Events
   * without a `traceparent` get the active trace context's. Throws `unavailable` (retriable) when
   * the broker cannot be reached before the deadline; the events may then still be published
   * later, so a retry can duplicate them (consumers dedupe by event id).
   */
  publish(events: readonly CloudEvent[], options?: CallOptions): Promise<void>;
  /** Creates topics (and their `.dlq`) that do not exist yet. Idempotent. */
  ensureTopics(topics: readonly string[], options?: CallOptions): Promise<void>;
  /** Joins consumer group `group` on `topics`; see {@link Subscription}. Never throws: failures to connect are retried in the background. */
  subscribe(options: SubscribeOptions): Subscription;
  /**
   * How many events of each of `topics` group `group` has not settled yet, one entry per topic in
   * the order asked: Kafka sums high watermark − committed offset over the partitions; JetStream
   * counts the group's durable consumer's pending and unacknowledged messages; in memory, the
   * group's unsettled entries. A group that never committed is behind by everything retained; a
   * topic that does not exist, by 0. Throws `unavailable` (retriable) when the broker cannot be
   * reached before the deadline.
   */
  consumerLag(group: string, topics: readonly string[], options?: CallOptions): Promise<ConsumerLag[]>;
  /** Closes every open subscription (drain), then disconnects. Idempotent. */
  close(): Promise<void>;
}

/** How far one consumer group is behind on one topic: events it has not settled yet. */
export interface ConsumerLag {
  readonly topic: string;
  readonly group: string;
  readonly lag: number;
}

/** How one delivery attempt ended: handled, nacked to be redelivered, or dead-lettered. */
export type DeliveryAttemptOutcome = 'ok' | 'retried' | 'dead_lettered';

export interface SubscribeOptions {
  topics: readonly string[];
  /** Consumer group (Kafka) / durable consumer name (JetStream): members share the work. */
  group: string;
  /**
   * How long a retriable failure (`unavailable`, `deadline_exceeded`…: an outage) is retried,
   * from the first attempt, before the event is dead-lettered, ms. Meanwhile the event holds back
   * the later events of its key. Default: the bus's `retryBudgetMs` (`FLYWHEEL_BUS_RETRY_BUDGET`,
   * 15 min). A non-retriable failure (poison) is dead-lettered at once whatever the budget.
   */
  retryBudgetMs?: number;
  /** Backoff between attempts, ms: exponential with full jitter from base, capped at max. Default 100 → 30 000. */
  retryBackoff?: { baseMs: number; maxMs: number };
  /**
   * Where a group with no committed position starts. Default true: at the earliest retained event,
   * on every partition (Kafka: also partitions assigned later by a rebalance), so a group never
   * skips an event it has not handled — also on its first join.
   *
   * `false` starts at the latest event, and on Kafka that holds per partition until the group
   * commits there: events published while the member is away, on a partition where it never
   * committed, are skipped. SERVICES MUST NOT USE IT (the service host does not let them); it is
   * for throw-away observers with a fresh group that only want what happens after `ready()`.
   */
  fromBeginning?: boolean;
  /**
   * Deliveries this member may hold unsettled at once (the bound of its internal queue). Events of
   * one key are never in flight together, whatever the value. Default 1.
   */
  concurrency?: number;
  /**
   * How records are read. `cloudevents` (default): each is a CloudEvent, an undecodable one goes to
   * the DLQ. `raw`: the topic is an external one whose records other systems write (bytes, e.g.
   * JSON lines from kcat); each is delivered as is, wrapped in a CloudEvent whose `id` is its
   * position (`<topic>/<partition>/<offset>` on Kafka, `<topic>/<sequence>` on JetStream and in
   * memory) and whose `data` is its bytes — see `rawRecordEvent`. Same guarantees otherwise
   * (at-least-once, commit after settle, retry budget, `<topic>.dlq` with the reason).
   *
   * `any`: the topic is an external one whose records may be CloudEvents (binary mode with `ce_*`
   * headers, or structured JSON with `specversion`: decoded as such) or anything else (delivered as
   * with `raw`); the trigger rules of the scheduler read outside topics so.
   */
  records?: 'cloudevents' | 'raw' | 'any';
  /**
   * Told how each delivery attempt of a topic ended (for metrics): `ok` (acked), `retried`
   * (nacked, redelivered after backoff) or `dead_lettered` (written to `<topic>.dlq`, undecodable
   * messages included). Must not throw.
   */
  onOutcome?: (topic: string, outcome: DeliveryAttemptOutcome) => void;
}

/**
 * A consumer as an async iterable of deliveries (iterate it once). Each delivery must be settled:
 * `ack()` after the handler succeeded (commits it), or `nack(error)` — a retriable error is
 * redelivered after backoff with `attempt + 1` for as long as `retryBudgetMs` lasts, then
 * dead-lettered; a non-retriable one is dead-lettered at once. Events of one key are delivered in order, retries
 * included: the next event of a key waits until the previous one is settled.
 * A message that is not a CloudEvent never reaches the iterator: it goes to the DLQ with the
 * reason and consumption goes on. Leaving a `for await` loop early closes the subscription.
 */
export interface Subscription extends AsyncIterable<Delivery> {
  /**
   * Resolves once this member has joined its group and its start position is fixed, so that with
   * `fromBeginning: false` every event published after `ready()` reaches the group (Kafka:
   * partitions assigned and fetched once; JetStream: durable consumer bound). Rejects with
   * `unavailable` when that does not happen by the deadline (default 30 s), and at once with
   * `permission_denied` naming the group or topics while the broker refuses them (Kafka ACLs);
   * the member goes on trying in the background either way.
   */
  ready(options?: CallOptions): Promise<void>;
  /**
   * Stops fetching, hands back deliveries not yet taken from the iterator, waits (bounded) for the
   * ones taken to be settled, commits, leaves the group. The iterator then ends. Idempotent.
   */
  close(): Promise<void>;
}

export interface Delivery {
  readonly event: CloudEvent;
  readonly topic: string;
  /** The consumer group it was delivered to (dedupe records and DLQ headers name it). */
  readonly group: string;
  /** 1 on first delivery; counted by the adapter (Kafka: since this member took the partition). */
  readonly attempt: number;
  /** Settles the delivery as handled. Settling twice is a no-op. */
  ack(): Promise<void>;
  /** Settles the delivery as failed; `AppError.from(error).retriable` decides retry or DLQ. */
  nack(error: unknown): Promise<void>;
}

/** Headers a dead-lettered message carries besides its original bytes, key and headers. */
export const dlqHeaders = {
  reason: 'flywheel-dlq-reason',
  topic: 'flywheel-dlq-original-topic',
  group: 'flywheel-dlq-group',
  attempts: 'flywheel-dlq-attempts',
  failedAt: 'flywheel-dlq-failed-at',
} as const;

/** The dead-letter topic of `topic`. */
export function dlqTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** `topics` and their dead-letter topics, each once: what `ensureTopics` creates. */
export function withDlqTopics(topics: readonly string[]): string[] {
  return [...new Set(topics.flatMap((topic) => [topic, dlqTopicOf(topic)]))];
}

/** Throws `failed_precondition` when `closed`: every adapter refuses calls once `close()` began. */
export function assertBusOpen(closed: boolean): void {
  if (closed) throw new AppError('failed_precondition', 'the event bus is closed');
}
