// A writer process for relay-delivers-after-crash.test.ts, which SIGKILLs it:
//   node crash-writer.ts '<StoreConfig JSON>' before-relay | in-publish
// It writes a state change with its event in the outbox, then
//   before-relay: prints "written" and waits to be killed before any relay ran;
//   in-publish:   starts a relay whose publish prints "publishing" and waits to be killed there.
import { createDocumentStore, type StoreConfig } from '../src/create-document-store.ts';
import { createOutboxRelay } from '../src/outbox-relay.ts';

const [configJson = '', mode = ''] = process.argv.slice(2);
const store = await createDocumentStore(JSON.parse(configJson) as StoreConfig);
await store.collection('models').put(
  'churn',
  { stage: 'registered', version: 7 },
  {
    expectedVersion: 0,
    outbox: [
      {
        id: 'event-churn-7',
        topic: 'model.version-registered',
        key: 'churn',
        value: new TextEncoder().encode('{"model":"churn","version":7}'),
        headers: { ce_id: 'event-churn-7', ce_type: 'model.version-registered' },
      },
    ],
  },
);
const keepAlive = setInterval(() => {}, 60_000);
if (mode === 'before-relay') {
  process.stdout.write('written\n');
} else if (mode === 'in-publish') {
  createOutboxRelay({
    store,
    publish: () => {
      process.stdout.write('publishing\n');
      return new Promise(() => {});
    },
  }).start();
} else {
  clearInterval(keepAlive);
  throw new Error(`unknown mode "${mode}"`);
}
