/**
 * How Flywheel topics map onto JetStream. A topic (dot-separated words of letters, digits and
 * hyphens, see assertTopicName) is one stream whose only subject is `<prefix>.<topic>`; the
 * stream name is the topic with dots as underscores, which is one-to-one because topics have no
 * underscores: `model.version-registered` → stream `model_version-registered`, subject
 * `flywheel.model.version-registered`.
 */
export function streamNameOf(topic: string): string {
  return topic.replaceAll('.', '_');
}

/** The subject a topic's events are published on. */
export function subjectOf(prefix: string, topic: string): string {
  return `${prefix}.${topic}`;
}

/** A durable consumer name for a group: characters JetStream rejects in names become `_`. */
export function durableNameOf(group: string): string {
  return group.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The header that carries the event key (JetStream messages have no key of their own). */
export const keyHeader = 'flywheel-key';
