import { AppError } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import type { SubscribeOptions } from './event-bus.ts';

const topicPattern = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

/**
 * Topic names are dot-separated words of letters, digits and hyphens (`model.version-registered`,
 * `model.version-registered.dlq`), at most 200 characters: legal as Kafka topics and as NATS
 * subjects, and mapped one-to-one onto JetStream stream names. Throws `invalid_argument`.
 */
export function assertTopicName(topic: string, field = 'topic'): void {
  if (topic.length > 200 || !topicPattern.test(topic)) {
    throw AppError.invalidArgument(
      field,
      `"${topic}" is not a topic name (dot-separated words of letters, digits, hyphens)`,
    );
  }
}

/** {@link assertTopicName} for each of `topics`, named `topics[i]` in the error. */
export function assertTopicNames(topics: readonly string[]): void {
  for (const [i, topic] of topics.entries()) assertTopicName(topic, `topics[${i}]`);
}

/** Checks what publishing needs from each event (its type names the topic). Throws `invalid_argument`. */
export function assertPublishable(events: readonly CloudEvent[]): void {
  for (const [index, event] of events.entries()) {
    if (!event.id) throw AppError.invalidArgument(`events[${index}].id`, 'must not be empty');
    if (!event.source) throw AppError.invalidArgument(`events[${index}].source`, 'must not be empty');
    assertTopicName(event.type, `events[${index}].type`);
  }
}

/** Checks what every adapter's `subscribe` needs: valid topic names and a group. Throws `invalid_argument`. */
export function assertSubscribable(options: SubscribeOptions): void {
  assertTopicNames(options.topics);
  if (!options.group) throw AppError.invalidArgument('group', 'must not be empty');
}
