import type { CallOptions } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';

/**
 * The event bus port. Topic = event type; `<topic>.dlq` holds what could not be handled.
 * Delivery is at-least-once: handlers must be idempotent (see the idempotency helper).
 */
export interface EventBus {
  /**
   * Publishes events to the topics named by their `type`, in order per key. Resolves once the
   * broker has them durably (Kafka acks=all + idempotent producer; JetStream publish ack).
   * Throws `unavailable` (retriable) when the broker cannot be reached before the deadline.
   */
  publish(events: readonly CloudEvent[], options?: CallOptions): Promise<void>;
  /** Creates topics (and their `.dlq`) that do not exist yet. Idempotent. */
  ensureTopics(topics: readonly string[], options?: CallOptions): Promise<void>;
  /** Joins consumer group `group` on `topics`; see {@link Subscription}. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Stops subscriptions (drain) and disconnects. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  topics: readonly string[];
  /** Consumer group (Kafka) / durable consumer name (JetStream): members share the work. */
  group: string;
  /** Attempts before a retriable failure goes to the DLQ. Default 5. */
  maxAttempts?: number;
  /** Backoff between attempts, ms: exponential with jitter from base to max. Default 100 → 5000. */
  retryBackoff?: { baseMs: number; maxMs: number };
  /** A new group starts at the earliest retained event instead of the latest. Default true. */
  fromBeginning?: boolean;
}

/**
 * A consumer as an async iterable of deliveries. Each delivery must be settled: `ack()` after the
 * handler succeeded (commits it), or `nack(error)` — a retriable error is redelivered after
 * backoff until `maxAttempts`, then dead-lettered; a non-retriable one is dead-lettered at once.
 * A message that is not a CloudEvent never reaches the iterator: it goes to the DLQ with the
 * reason and consumption goes on.
 */
export interface Subscription extends AsyncIterable<Delivery> {
  /** Stops fetching, waits for deliveries in flight to settle, commits, leaves the group. */
  close(): Promise<void>;
}

export interface Delivery {
  readonly event: CloudEvent;
  readonly topic: string;
  /** 1 on first delivery. */
  readonly attempt: number;
  ack(): Promise<void>;
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
