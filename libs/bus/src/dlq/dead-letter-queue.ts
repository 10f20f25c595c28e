import type { CallOptions } from '@flywheel/core';
import type { WireMessage } from '@flywheel/events';
import { dlqHeaders } from '../event-bus.ts';

/** The consumer group (Kafka) / durable consumer (JetStream) through which redrives read a DLQ. */
export const redriveGroup = 'flywheel-dlq-redrive';

/** One message of `<topic>.dlq`, as stored, with what its dead-letter headers say. */
export interface DeadLetter {
  /** Where it sits: `partition/offset` (Kafka) or the stream sequence (JetStream). */
  readonly position: string;
  /** The stored message: the original key, bytes and headers plus the dead-letter headers. */
  readonly message: WireMessage;
  readonly eventId: string | undefined;
  readonly type: string | undefined;
  readonly key: string | undefined;
  readonly originalTopic: string | undefined;
  readonly group: string | undefined;
  readonly attempts: number | undefined;
  readonly failedAt: string | undefined;
  readonly reason: string | undefined;
}

/**
 * Raw access to the dead-letter topics of one broker, implemented per adapter (Kafka, JetStream;
 * the in-process bus has no outside access). Redriving republishes the original message — bytes,
 * key and headers, event id included, without the dead-letter headers — so consumers' dedupe by
 * event id makes a repeated redrive harmless.
 */
export interface DeadLetterQueue {
  /** Every dead letter `<topic>.dlq` retains, oldest first (per partition); moves no group. */
  list(topic: string, options?: CallOptions): Promise<DeadLetter[]>;
  /**
   * Reads the dead letters of `<topic>.dlq` that {@link redriveGroup} has not moved past, up to the
   * end the DLQ had when the call began, in order, and republishes to `topic` those `choose`
   * accepts; then moves the group past what it redrove (Kafka: per partition, up to the first
   * letter not chosen — those come again next time; JetStream: each redriven letter is acked).
   */
  redrive(
    topic: string,
    choose: (letter: DeadLetter) => boolean,
    options?: CallOptions,
  ): Promise<{ redriven: DeadLetter[]; skipped: DeadLetter[] }>;
  close(): Promise<void>;
}

/** A stored DLQ message with its dead-letter headers read. */
export function deadLetterOf(position: string, message: WireMessage): DeadLetter {
  const h = message.headers;
  const attempts = h[dlqHeaders.attempts] === undefined ? undefined : Number(h[dlqHeaders.attempts]);
  return {
    position,
    message,
    eventId: h.ce_id,
    type: h.ce_type,
    key: message.key,
    originalTopic: h[dlqHeaders.topic],
    group: h[dlqHeaders.group],
    attempts: Number.isFinite(attempts) ? attempts : undefined,
    failedAt: h[dlqHeaders.failedAt],
    reason: h[dlqHeaders.reason],
  };
}

/** The message as it was before it was dead-lettered: the dead-letter headers removed. */
export function originalMessageOf(letter: DeadLetter): WireMessage {
  const dlqNames = new Set<string>(Object.values(dlqHeaders));
  const headers = Object.fromEntries(
    Object.entries(letter.message.headers).filter(([name]) => !dlqNames.has(name)),
  );
  return { key: letter.message.key, value: letter.message.value, headers };
}
