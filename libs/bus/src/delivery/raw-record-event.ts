import type { CloudEvent, WireMessage } from '@flywheel/events';

/**
 * A record of an external topic (written by another system, e.g. with kcat: bytes, no CloudEvents
 * attributes) as the CloudEvent a subscription with `records: 'raw'` delivers: `id` is the record's
 * position (`<topic>/<partition>/<offset>` on Kafka), stable across redeliveries, so the
 * idempotent handler dedupes by it; `type` is the topic; `data` the record's bytes untouched;
 * `datacontenttype` its `content-type` header (default `application/json`); `key` its key, or
 * the id when it has none. Other headers are dropped (they are not CloudEvents extensions).
 */
export function rawRecordEvent(message: WireMessage, topic: string, position: string): CloudEvent {
  const id = `${topic}/${position}`;
  return {
    id,
    type: topic,
    source: `flywheel/bus/raw/${topic}`,
    time: new Date().toISOString(),
    datacontenttype: message.headers['content-type'] ?? 'application/json',
    data: message.value,
    key: message.key ?? id,
  };
}
