import { createHash } from 'node:crypto';

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

/**
 * The durable consumer name of a group: the group itself when JetStream accepts it as a name
 * (letters, digits, `_`, `-`); otherwise the group with every other character (`.`, `*`, `>`,
 * whitespace, `/`, `:` …) as `_`, plus `_` and 12 hex digits of the group's SHA-256. Deterministic,
 * and distinct groups get distinct names: replacing alone would make `serving.web_1` and
 * `serving.web.1` (two replicas' own groups) share one consumer and split its events.
 */
export function durableNameOf(group: string): string {
  if (!/[^A-Za-z0-9_-]/.test(group)) return group;
  const digest = createHash('sha256').update(group).digest('hex').slice(0, 12);
  return `${group.replace(/[^A-Za-z0-9_-]/g, '_')}_${digest}`;
}

/** The header that carries the event key (JetStream messages have no key of their own). */
export const keyHeader = 'flywheel-key';
