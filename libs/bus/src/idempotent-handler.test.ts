import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@flywheel/core';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { type Collection, createEmbeddedStore, type DocumentStore } from '@flywheel/store';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandlerContext } from './handle-events.ts';
import { createIdempotentHandler, type ProcessedEvent } from './idempotent-handler.ts';

const event = (): CloudEvent => ({
  id: newEventId(),
  type: 'model.version-registered',
  source: 'test',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: new Uint8Array(),
  key: 'k',
});
const context: HandlerContext = {
  topic: 'model.version-registered',
  group: 'registry',
  attempt: 1,
  signal: new AbortController().signal,
};

describe('createIdempotentHandler (embedded store)', () => {
  let dir: string;
  let store: DocumentStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-idempotent-'));
    store = await createEmbeddedStore({ dir, fsync: false });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the effect once for an event delivered twice, also when the deliveries overlap', async () => {
    let effects = 0;
    const handle = createIdempotentHandler({ store }, async () => {
      effects += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    const e = event();
    await Promise.all([handle(e, context), handle(e, context)]);
    await handle(e, context);
    expect(effects).toBe(1);
    const record = await store.collection<ProcessedEvent>('processed-events').get(`registry/${e.id}`);
    expect(record?.data.status).toBe('done');
  });

  it('renews the claim while a long handler runs: an overlapping delivery waits instead of taking over', async () => {
    let effects = 0;
    let renewalsSeen = 0;
    const records = store.collection<ProcessedEvent>('processed-events');
    const e = event();
    const id = `registry/${e.id}`;
    // A lease of 200 ms and a handler that runs until the claim was renewed several times.
    const handle = createIdempotentHandler({ store, leaseMs: 200, pollMs: 10 }, async () => {
      effects += 1;
      const first = (await records.get(id))!.version;
      await waitFor(async () => ((await records.get(id))?.version ?? 0) >= first + 4, {
        timeoutMs: 30_000,
        what: 'the claim to be renewed four times',
      });
      renewalsSeen = (await records.get(id))!.version - first;
    });
    const holder = handle(e, context);
    await waitFor(async () => effects === 1, { what: 'the first delivery to run the handler' });
    await Promise.all([holder, handle(e, context)]);
    expect(effects).toBe(1);
    expect(renewalsSeen).toBeGreaterThanOrEqual(4);
    expect((await records.get(id))?.data).toMatchObject({ status: 'done', claims: 1 });
  });

  it('dedupes per group: another group runs its own effect', async () => {
    let effects = 0;
    const handle = createIdempotentHandler({ store }, async () => {
      effects += 1;
    });
    const e = event();
    await handle(e, context);
    await handle(e, { ...context, group: 'monitoring' });
    expect(effects).toBe(2);
  });

  it('releases the claim when the handler fails, so the retry runs it', async () => {
    let calls = 0;
    const handle = createIdempotentHandler({ store }, async () => {
      calls += 1;
      if (calls === 1) throw new AppError('unavailable', 'flaky');
    });
    const e = event();
    await expect(handle(e, context)).rejects.toMatchObject({ code: 'unavailable' });
    await handle(e, { ...context, attempt: 2 });
    expect(calls).toBe(2);
  });

  it('records done across a store outage longer than a few retries, and runs the effect once', async () => {
    // The MongoDB-wire server was kill -9ed right after the effect: writing `done` fails for 4 s
    // (longer than the backoffs of 5 quick attempts add up to), then the store is back.
    const outage = outageOf(store, (op, data) => op === 'put' && data?.status === 'done');
    let effects = 0;
    const handle = createIdempotentHandler({ store: outage.store, leaseMs: 60_000 }, async () => {
      effects += 1;
      outage.begin(4000);
    });
    const e = event();
    await handle(e, context);
    expect(effects).toBe(1);
    const record = await store.collection<ProcessedEvent>('processed-events').get(`registry/${e.id}`);
    expect(record?.data.status).toBe('done');
  }, 30_000);

  it('re-runs at once an event whose handler failed while the store was down (the claim could not be released)', async () => {
    // The handler failed because the store went down; releasing the claim failed too. The retry
    // in the same process must not wait out the lease of a claim nobody runs.
    const outage = outageOf(store, (op) => op === 'delete');
    let calls = 0;
    const handle = createIdempotentHandler({ store: outage.store, leaseMs: 60_000 }, async () => {
      calls += 1;
      if (calls === 1) {
        outage.begin(500);
        throw new AppError('unavailable', 'the store is down');
      }
    });
    const e = event();
    await expect(handle(e, context)).rejects.toMatchObject({ code: 'unavailable' });
    const startedAt = Date.now();
    await handle(e, { ...context, attempt: 2 });
    expect(calls).toBe(2);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  }, 30_000);

  it('re-runs an event whose holder crashed after claiming, once the claim lapses', async () => {
    const e = event();
    let now = 1_000_000;
    let clockReads = 0;
    const clock = () => {
      clockReads += 1;
      return now;
    };
    // What a process killed between claim and done leaves behind: a running claim, nothing after it.
    await store.collection<ProcessedEvent>('processed-events').put(
      `registry/${e.id}`,
      {
        status: 'running',
        owner: 'dead-process',
        leaseUntil: now + 5000,
        claims: 1,
        topic: context.topic,
        updatedAt: '',
      },
      { expectedVersion: 0 },
    );
    let effects = 0;
    const redelivery = createIdempotentHandler({ store, leaseMs: 5000, pollMs: 5, now: clock }, async () => {
      effects += 1;
    });
    const running = redelivery(e, context);
    await waitFor(() => clockReads >= 3, { what: 'the redelivery to look at the live claim a few times' });
    expect(effects).toBe(0);
    now += 5001;
    await running;
    expect(effects).toBe(1);
    const record = await store.collection<ProcessedEvent>('processed-events').get(`registry/${e.id}`);
    expect(record?.data).toMatchObject({ status: 'done', claims: 2 });
  });

  it('skips an event another holder finishes while this delivery waits', async () => {
    const e = event();
    const records = store.collection<ProcessedEvent>('processed-events');
    const claim = await records.put(
      `registry/${e.id}`,
      {
        status: 'running',
        owner: 'other',
        leaseUntil: Date.now() + 60_000,
        claims: 1,
        topic: context.topic,
        updatedAt: '',
      },
      { expectedVersion: 0 },
    );
    let effects = 0;
    const handle = createIdempotentHandler({ store, pollMs: 5 }, async () => {
      effects += 1;
    });
    const waiting = handle(e, context);
    await records.put(
      claim.id,
      { ...claim.data, status: 'done', leaseUntil: 0 },
      { expectedVersion: claim.version },
    );
    await waiting;
    expect(effects).toBe(0);
  });

  it('gives done records an expiry: after the retention the record is gone and a redelivery runs again', async () => {
    let effects = 0;
    const handle = createIdempotentHandler({ store, leaseMs: 100, retentionMs: 400 }, async () => {
      effects += 1;
    });
    const e = event();
    await handle(e, context);
    await handle(e, context);
    expect(effects).toBe(1);
    const records = store.collection<ProcessedEvent>('processed-events');
    await waitFor(async () => (await records.get(`registry/${e.id}`)) === undefined, {
      what: 'the done record to expire',
    });
    await handle(e, context);
    expect(effects).toBe(2);
  });

  it('refuses a retention shorter than the lease', () => {
    expect(() =>
      createIdempotentHandler({ store, leaseMs: 60_000, retentionMs: 1000 }, async () => {}),
    ).toThrow(/retention/);
  });

  it("takes over at once a running claim its own instance's previous incarnation left; records both ids", async () => {
    const e = event();
    const records = store.collection<ProcessedEvent>('processed-events');
    const now = 1_000_000;
    await records.put(
      `registry/${e.id}`,
      {
        status: 'running',
        owner: 'killed',
        instance: 'host-a/registry',
        incarnation: 'killed',
        leaseUntil: now + 60_000,
        claims: 1,
        topic: context.topic,
        updatedAt: '',
      },
      { expectedVersion: 0 },
    );
    let effects = 0;
    const restarted = createIdempotentHandler(
      { store, now: () => now, instance: { id: 'host-a/registry', incarnation: 'restarted' } },
      async () => {
        effects += 1;
      },
    );
    await restarted(e, context);
    expect(effects).toBe(1);
    expect((await records.get(`registry/${e.id}`))?.data).toMatchObject({
      status: 'done',
      claims: 2,
      instance: 'host-a/registry',
      incarnation: 'restarted',
    });
  });
});

/**
 * `store`, whose collections fail the writes `matches` picks with `unavailable` (as a killed
 * MongoDB-wire server does) from `begin(ms)` for `ms`.
 */
function outageOf(
  store: DocumentStore,
  matches: (op: 'put' | 'delete', data: { status?: string } | undefined) => boolean,
): { store: DocumentStore; begin(ms: number): void } {
  let downUntil = 0;
  const down = () => Date.now() < downUntil;
  const wrapped: DocumentStore = {
    ...store,
    collection: <T extends object>(name: string): Collection<T> => {
      const collection = store.collection<T>(name);
      return {
        ...collection,
        get: collection.get.bind(collection),
        find: collection.find.bind(collection),
        put: async (id: string, data: T, options?: Parameters<Collection<T>['put']>[2]) => {
          if (down() && matches('put', data as { status?: string }))
            throw new AppError('unavailable', 'store down');
          return collection.put(id, data, options);
        },
        delete: async (id: string, options?: Parameters<Collection<T>['delete']>[1]) => {
          if (down() && matches('delete', undefined)) throw new AppError('unavailable', 'store down');
          return collection.delete(id, options);
        },
      };
    },
  };
  return {
    store: wrapped,
    begin: (ms) => {
      downUntil = Date.now() + ms;
    },
  };
}
