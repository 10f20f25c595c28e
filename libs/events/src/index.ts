export type { CloudEvent } from './cloud-event.ts';
export { contentTypes, newEventId } from './cloud-event.ts';
export type { WireMessage } from './wire-binding.ts';
export { fromWireMessage, toWireMessage } from './wire-binding.ts';
