// A consumer process for takes-over-own-claims-after-crash.test.ts, which SIGKILLs it:
//   node claiming-process.ts '<json>'   json = { mongoUrl, database, instanceId, eventId, leaseMs, mode }
// It delivers one event to an idempotent handler on the MongoDB store, as instance `instanceId`
// with a fresh incarnation, and prints JSON lines:
//   { msg: 'handling' } once its handler runs (the claim is held), then
//   mode hang: waits to be killed inside the handler;
//   mode run:  { msg: 'handled' } once the handler and the done record are written, and exits.
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@flywheel/events';
import { createMongoStore } from '@flywheel/store/mongo';
import { createIdempotentHandler } from '../src/idempotent-handler.ts';

interface Args {
  mongoUrl: string;
  database: string;
  instanceId: string;
  eventId: string;
  leaseMs: number;
  mode: 'hang' | 'run';
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const say = (msg: string): void => {
  process.stdout.write(`${JSON.stringify({ msg, at: Date.now() })}\n`);
};
const store = createMongoStore({ url: args.mongoUrl, database: args.database });
const handle = createIdempotentHandler(
  { store, leaseMs: args.leaseMs, pollMs: 50, instance: { id: args.instanceId, incarnation: randomUUID() } },
  async () => {
    say('handling');
    if (args.mode === 'hang') await new Promise(() => setInterval(() => {}, 60_000));
  },
);
const event: CloudEvent = {
  id: args.eventId,
  type: 'model.version-registered',
  source: 'claiming-process',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: new Uint8Array(),
  key: 'k',
};
await handle(event, {
  topic: event.type,
  group: 'serving',
  attempt: 1,
  signal: new AbortController().signal,
});
say('handled');
await store.close();
