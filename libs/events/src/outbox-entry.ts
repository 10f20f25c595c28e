import type { OutboxEntry } from '@flywheel/store';
import type { CloudEvent } from './cloud-event.ts';
import { toWireMessage } from './wire-binding.ts';

/** An outbox entry for `event`: published by the relay once the write that carries it is durable. */
export function toOutboxEntry(event: CloudEvent): OutboxEntry {
  const wire = toWireMessage(event);
  return { id: event.id, topic: event.type, key: event.key, value: wire.value, headers: wire.headers };
}
