export { contentTypes, newEventId } from './cloud-event.ts';
export type { CloudEvent } from './cloud-event.ts';
export { fromWireMessage, toWireMessage } from './wire-binding.ts';
export type { WireMessage } from './wire-binding.ts';
