import type { WireMessage } from '@flywheel/events';
import { dlqHeaders } from '../event-bus.ts';

/** Why and where a message failed, as its dead-letter headers record it. */
export interface DeadLetterCause {
  readonly reason: string;
  readonly topic: string;
  readonly group: string;
  /** Deliveries made before giving up (0 when the message could not even be decoded). */
  readonly attempts: number;
}

/**
 * The message to put on `<topic>.dlq`: the original key, bytes and headers, plus the
 * {@link dlqHeaders} saying why. Header values are single-line (brokers reject line breaks).
 */
export function deadLetterMessage(
  original: WireMessage,
  cause: DeadLetterCause,
  now: Date = new Date(),
): WireMessage {
  return {
    key: original.key,
    value: original.value,
    headers: {
      ...original.headers,
      [dlqHeaders.reason]: singleLine(cause.reason),
      [dlqHeaders.topic]: cause.topic,
      [dlqHeaders.group]: cause.group,
      [dlqHeaders.attempts]: String(cause.attempts),
      [dlqHeaders.failedAt]: now.toISOString(),
    },
  };
}

function singleLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > 1000 ? `${flat.slice(0, 997)}...` : flat;
}
