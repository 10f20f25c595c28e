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

const topicPrefixPattern = /^([A-Za-z0-9-]+\.)+$/;

/**
 * A topic prefix (`FLYWHEEL_TOPIC_PREFIX`) is empty, or dot-separated words of letters, digits and
 * hyphens ending in `.` (`staging.`, `team-a.dev.`), at most 100 characters: put before a topic
 * name it gives a topic name again. Returns the problem, or undefined when `prefix` is one.
 */
export function topicPrefixProblem(prefix: string): string | undefined {
  if (prefix === '' || (prefix.length <= 100 && topicPrefixPattern.test(prefix))) return undefined;
  return `must be letters, digits, "-" and "." ending in "." (e.g. "staging."), up to 100, got "${prefix}"`;
}

/**
 * Where an adapter's topics physically live: `<prefix><topic>` on the broker (the DLQ of `t` is
 * `<prefix>t.dlq`), so environments sharing a broker never share a topic. Only the broker names
 * carry the prefix; events keep their type and deliveries report the topic without it.
 */
export interface TopicNamespace {
  readonly prefix: string;
  /** The broker's name of `topic`. */
  physical(topic: string): string;
  /** The topic a broker name stands for (the prefix removed). */
  logical(physical: string): string;
}

/** The namespace of `prefix` (default none). Throws `invalid_argument` for a prefix {@link topicPrefixProblem} rejects. */
export function topicNamespace(prefix = ''): TopicNamespace {
  const problem = topicPrefixProblem(prefix);
  if (problem) throw AppError.invalidArgument('topicPrefix', problem);
  return {
    prefix,
    physical: (topic) => `${prefix}${topic}`,
    logical: (physical) => (physical.startsWith(prefix) ? physical.slice(prefix.length) : physical),
  };
}
