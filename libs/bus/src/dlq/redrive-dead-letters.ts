import type { CallOptions } from '@flywheel/core';
import { assertTopicName } from '../topic-names.ts';
import type { DeadLetter, DeadLetterQueue } from './dead-letter-queue.ts';

/** Which dead letters of a topic to redrive; unset fields match every letter. */
export interface RedriveFilter {
  /** Only letters dead-lettered by this consumer group. */
  readonly group?: string;
  /** Only the letter of this event id. */
  readonly eventId?: string;
}

/** Lists what `<topic>.dlq` holds. */
export async function listDeadLetters(
  queue: DeadLetterQueue,
  topic: string,
  options: CallOptions = {},
): Promise<DeadLetter[]> {
  assertTopicName(topic);
  return queue.list(topic, options);
}

/**
 * Republishes the dead letters of `topic` that match `filter` to `topic`, keeping their bytes,
 * headers and event id, and moves the redrive group past them: a second call finds nothing new,
 * and if it re-sends a letter anyway (one that sat behind a letter not chosen on Kafka), the
 * consumers' dedupe by event id makes it harmless. Only the named group's failures with `group`
 * — the other groups handled the event already.
 */
export async function redriveDeadLetters(
  queue: DeadLetterQueue,
  topic: string,
  filter: RedriveFilter = {},
  options: CallOptions = {},
): Promise<{ redriven: DeadLetter[]; skipped: DeadLetter[] }> {
  assertTopicName(topic);
  return queue.redrive(
    topic,
    (letter) =>
      (filter.group === undefined || letter.group === filter.group) &&
      (filter.eventId === undefined || letter.eventId === filter.eventId),
    options,
  );
}
