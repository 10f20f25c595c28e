import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@flywheel/core';
import { waitFor } from '@flywheel/testing';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DocumentStore, OutboxEntry } from './document-store.ts';
import { createEmbeddedStore } from './embedded-store.ts';
import { createOutboxRelay, type OutboxRelayOptions, type PublishOutbox } from './outbox-relay.ts';

const root = await mkdtemp(join(tmpdir(), 'flywheel-outbox-relay-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let dirs = 0;

async function openStore(): Promise<DocumentStore> {
  const store = await createEmbeddedStore({ dir: join(root, `store-${++dirs}`), fsync: false });
  onTestFinished(() => store.close());
  return store;
}

const entry = (id: string): OutboxEntry => ({
  id,
  topic: 'thing.happened',
  key: 'thing',
  value: new TextEncoder().encode(id),
  headers: { ce_id: id },
});

/** A publish function that records what it was given, in calls. */
function recorder(): { publish: PublishOutbox; calls: string[][]; ids: () => string[] } {
  const calls: string[][] = [];
  return {
    calls,
    publish: async (entries) => {
      calls.push(entries.map((e) => e.id));
    },
    ids: () => calls.flat(),
  };
}

function startRelay(options: OutboxRelayOptions): ReturnType<typeof createOutboxRelay> {
  const relay = createOutboxRelay(options);
  relay.start();
  onTestFinished(() => relay.stop());
  return relay;
}

describe('outbox relay', () => {
  it('publishes entries written while it runs at once (woken by the write, not the poll), then marks them relayed', async () => {
    const store = await openStore();
    const sink = recorder();
    startRelay({ store, publish: sink.publish, intervalMs: 60_000 });
    const things = store.collection<{ n: number }>('things');
    await things.put('a', { n: 1 }, { outbox: [entry('e1'), entry('e2')] });
    await waitFor(() => sink.ids().length === 2, { what: 'e1 and e2 published', timeoutMs: 3000 });
    await waitFor(async () => (await store.pendingOutbox()).length === 0, { what: 'entries marked relayed' });
    expect(sink.ids()).toEqual(['e1', 'e2']);
    expect(await things.get('a')).toEqual({ id: 'a', version: 1, data: { n: 1 } });
  });

  it('publishes what was pending before it started', async () => {
    const store = await openStore();
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('before')] });
    const sink = recorder();
    startRelay({ store, publish: sink.publish });
    await waitFor(() => sink.ids().includes('before'), { what: 'the old entry published' });
  });

  it('polls for entries it was not told about', async () => {
    const store = await openStore();
    const deaf: DocumentStore = { ...store, onOutboxWrite: () => () => {} };
    const sink = recorder();
    startRelay({ store: deaf, publish: sink.publish, intervalMs: 20 });
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('polled')] });
    await waitFor(() => sink.ids().includes('polled'), { what: 'the polled entry published' });
  });

  it('retries a failing publish with backoff and delivers each entry in the publish that succeeds', async () => {
    const store = await openStore();
    let failuresLeft = 3;
    const delivered: string[] = [];
    let attempts = 0;
    startRelay({
      store,
      backoff: { baseMs: 5, maxMs: 20 },
      publish: async (entries) => {
        attempts += 1;
        if (failuresLeft-- > 0) throw new AppError('unavailable', 'broker down');
        delivered.push(...entries.map((e) => e.id));
      },
    });
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('e1')] });
    await waitFor(async () => (await store.pendingOutbox()).length === 0, { what: 'the entry relayed' });
    expect(delivered).toEqual(['e1']);
    expect(attempts).toBe(4);
  });

  it('publishes in batches of batchSize, oldest first', async () => {
    const store = await openStore();
    const things = store.collection<{ n: number }>('things');
    for (let i = 0; i < 25; i++) await things.put(`d${i % 4}`, { n: i }, { outbox: [entry(`e${i}`)] });
    const sink = recorder();
    startRelay({ store, publish: sink.publish, batchSize: 10 });
    await waitFor(() => sink.ids().length === 25, { what: 'all 25 published' });
    expect(sink.ids()).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
    expect(sink.calls.map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('stop lets the batch in flight finish', async () => {
    const store = await openStore();
    let release: (() => void) | undefined;
    const published: string[] = [];
    const relay = createOutboxRelay({
      store,
      publish: async (entries) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        published.push(...entries.map((e) => e.id));
      },
    });
    relay.start();
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('in-flight')] });
    await waitFor(() => release !== undefined, { what: 'publish to start' });
    const stopped = relay.stop({ timeoutMs: 5000 });
    release!();
    await stopped;
    expect(published).toEqual(['in-flight']);
    expect(await store.pendingOutbox()).toEqual([]);
  });

  it('stop aborts a publish that outlives the grace period; its entries stay pending', async () => {
    const store = await openStore();
    let started = false;
    const relay = createOutboxRelay({
      store,
      publish: (_entries, { signal }) =>
        new Promise<void>((_, reject) => {
          started = true;
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    });
    relay.start();
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('stuck')] });
    await waitFor(() => started, { what: 'publish to start' });
    await relay.stop({ timeoutMs: 50 });
    expect((await store.pendingOutbox()).map((p) => p.entry.id)).toEqual(['stuck']);
  });

  it('start and stop are idempotent, and it can start again', async () => {
    const store = await openStore();
    const sink = recorder();
    const relay = createOutboxRelay({ store, publish: sink.publish });
    relay.start();
    relay.start();
    await relay.stop();
    await relay.stop();
    await store.collection('things').put('a', { n: 1 }, { outbox: [entry('later')] });
    relay.start();
    onTestFinished(() => relay.stop());
    await waitFor(() => sink.ids().includes('later'), { what: 'the entry published after a restart' });
  });

  it('rejects a bad batchSize', async () => {
    const store = await openStore();
    expect(() => createOutboxRelay({ store, publish: async () => {}, batchSize: 0 })).toThrow(AppError);
  });
});
