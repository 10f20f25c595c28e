import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore, type DocumentStore } from '@flywheel/store';
import { createMongoStore } from '@flywheel/store/mongo';
import { realServers, uniqueName } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openCollections } from '../src/storage/feature-store-collections.ts';
import { createOnlineStore, type EntityUpdate } from '../src/storage/online-store.ts';

// The online store writes a batch of entities with one getMany and one putMany (MongoDB: one
// unordered bulkWrite): more entities than one batch holds, repeats of an entity in one call,
// out-of-order times and a redelivery must end as per-entity writes would.
const stores: [string, () => Promise<DocumentStore>][] = [
  [
    'embedded',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flywheel-online-batches-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      return createEmbeddedStore({ dir });
    },
  ],
  [
    'mongo',
    async () =>
      createMongoStore({
        url: realServers().mongoUrl,
        database: uniqueName('fs-online').replaceAll('.', '-'),
      }),
  ],
];

const update = (entity: number, timeMs: number, price: number): EntityUpdate => ({
  key: [entity],
  features: { price: { value: price, timeMs }, seen: { value: `t${timeMs}`, timeMs } },
});

describe.each(stores)('online store batches (%s)', (_, open) => {
  it('writes 2 500 entities in batches, merges repeats, keeps newer values, rewrites nothing on redelivery', async () => {
    const documents = await open();
    onTestFinished(() => documents.close());
    const online = createOnlineStore(openCollections(documents).online);
    const view = uniqueName('prices');
    const entities = 2500;
    const first = Array.from({ length: entities }, (_, e) => update(e, 2000, e));
    // Entity 7 three times in one batch: the latest event time wins whatever the order.
    first.unshift(update(7, 1000, -1), update(7, 3000, 777));
    expect(await online.apply(view, first)).toBe(entities);

    const keys = [[0], [7], [2499]];
    const values = async () =>
      (await online.read(view, keys)).map((r) => [r?.features.price?.value, r?.features.seen?.value]);
    expect(await values()).toEqual([
      [0, 't2000'],
      [777, 't3000'],
      [2499, 't2000'],
    ]);

    // Redelivery of the same updates changes nothing; older values never replace newer ones.
    expect(await online.apply(view, first)).toBe(0);
    expect(await online.apply(view, [update(0, 1500, -5), update(2499, 2500, 42)])).toBe(1);
    expect(await values()).toEqual([
      [0, 't2000'],
      [777, 't3000'],
      [42, 't2500'],
    ]);
  });
});
