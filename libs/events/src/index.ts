export type { CloudEvent } from './cloud-event.ts';
export { contentTypes, newEventId } from './cloud-event.ts';
export type { EventKind, NewEventOptions } from './event-types.ts';
export { decodeEvent, eventKindFor, eventKindOf, eventTypes, newEvent } from './event-types.ts';
export { toOutboxEntry } from './outbox-entry.ts';
export type { WireMessage } from './wire-binding.ts';
export { fromWireMessage, toWireMessage } from './wire-binding.ts';
