export type { CloudEvent } from './cloud-event.ts';
export { contentTypes, newEventId } from './cloud-event.ts';
export { defaultEventProducers } from './event-producers.ts';
export type { EventSigner, EventVerifier } from './event-signature.ts';
export {
  createEventSigner,
  createEventVerifier,
  installEventSigner,
  signatureAttribute,
  signedIfConfigured,
} from './event-signature.ts';
export type { EventKind, NewEventOptions } from './event-types.ts';
export { decodeEvent, eventKindFor, eventKindOf, eventTypes, newEvent } from './event-types.ts';
export { toOutboxEntry } from './outbox-entry.ts';
export {
  principalAttributes,
  principalExtensions,
  principalOfEvent,
  serviceActingOn,
} from './principal-extensions.ts';
export type { WireMessage } from './wire-binding.ts';
export { fromWireMessage, isCloudEventMessage, toWireMessage } from './wire-binding.ts';
