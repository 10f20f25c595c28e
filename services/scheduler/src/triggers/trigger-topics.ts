/** The setting that says which outside topics trigger rules may name. */
export const triggerTopicsSetting = 'FLYWHEEL_SCHEDULER_TRIGGER_TOPICS';

/** The characters of a topic a rule may name (what Kafka accepts; NATS names are derived from it). */
export const topicNamePattern = /^[A-Za-z0-9._-]{1,200}$/;

/** Which outside topics trigger rules may listen to (`FLYWHEEL_SCHEDULER_TRIGGER_TOPICS`). */
export interface TriggerTopics {
  /** Whether a rule may name `topic`. */
  allows(topic: string): boolean;
  /** The topics named exactly, for the broker grants; undefined when a prefix (or any topic) is allowed. */
  readonly exact: readonly string[] | undefined;
  /** The setting as given, for messages: `any topic` or `acme.orders, sensors.*`. */
  readonly description: string;
}

/**
 * Reads the setting: unset or `*` — any topic; else a comma list of topic names and prefixes
 * ending in `*` (`acme.orders,sensors.*`). Returns what is wrong as a sentence for a bad entry.
 */
export function parseTriggerTopics(text: string | undefined): TriggerTopics | string {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0 || entries.includes('*')) {
    return { allows: () => true, exact: undefined, description: 'any topic' };
  }
  const names: string[] = [];
  const prefixes: string[] = [];
  for (const entry of entries) {
    const prefix = entry.endsWith('*');
    const name = prefix ? entry.slice(0, -1) : entry;
    if (!topicNamePattern.test(name)) {
      return `"${entry}": want a topic name (letters, digits, ".", "_", "-") or a prefix ending in "*"`;
    }
    (prefix ? prefixes : names).push(name);
  }
  return {
    allows: (topic) => names.includes(topic) || prefixes.some((prefix) => topic.startsWith(prefix)),
    exact: prefixes.length === 0 ? names : undefined,
    description: entries.join(', '),
  };
}

/** The consumer group of the rules of one outside topic: `scheduler.topic.<topic>`, shared by every replica. */
export function topicGroupOf(topic: string): string {
  return `scheduler.topic.${topic}`;
}
