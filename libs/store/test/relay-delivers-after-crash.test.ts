import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDocumentStore, type StoreConfig } from '../src/create-document-store.ts';
import type { OutboxEntry } from '../src/document-store.ts';
import { createOutboxRelay } from '../src/outbox-relay.ts';
import { runWriterUntil } from './spawn-writer.ts';

// The promise of the outbox: a state change and the event announcing it are never separated by a
// crash. A child process writes both and is SIGKILLed — before any relay ran, or in the middle of
// publishing — and a fresh relay then delivers the event, exactly once, with the state in place.

const root = await mkdtemp(join(tmpdir(), 'flywheel-crash-'));
const { mongoUrl } = realServers();
const databases: string[] = [];
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  const admin = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    for (const name of databases) await admin.db(name).dropDatabase({ timeoutMS: 5000 });
  } finally {
    await admin.close();
  }
});

/** Runs the writer until it prints `line`, then SIGKILLs it and waits until it is gone. */
async function crashWriter(
  config: StoreConfig,
  mode: 'before-relay' | 'in-publish',
  line: string,
): Promise<void> {
  const { signal } = await runWriterUntil(config, mode, line);
  expect(signal).toBe('SIGKILL');
}

async function relayAfterRestart(config: StoreConfig): Promise<OutboxEntry[]> {
  const store = await createDocumentStore(config);
  try {
    expect(await store.collection('models').get('churn')).toEqual({
      id: 'churn',
      version: 1,
      data: { stage: 'registered', version: 7 },
    });
    const published: OutboxEntry[] = [];
    const relay = createOutboxRelay({
      store,
      publish: async (entries) => {
        published.push(...entries);
      },
    });
    relay.start();
    try {
      await waitFor(() => published.length > 0, { what: 'the event published after the crash' });
      await waitFor(async () => (await store.pendingOutbox()).length === 0, {
        what: 'the event marked relayed',
      });
    } finally {
      await relay.stop();
    }
    expect(await store.collection('models').get('churn')).toMatchObject({
      version: 1,
      data: { stage: 'registered' },
    });
    return published;
  } finally {
    await store.close();
  }
}

const configs: [string, () => StoreConfig][] = [
  [
    'embedded',
    () => ({ kind: 'embedded', dir: join(root, uniqueName('dir')), fsync: true, timeoutMs: 5000 }),
  ],
  [
    'mongo',
    () => {
      const database = uniqueName('crash').replaceAll('.', '-');
      databases.push(database);
      return { kind: 'mongo', url: mongoUrl, database, timeoutMs: 5000 };
    },
  ],
];

describe.each(configs)('a crash between a state write and its event (%s store)', (_, makeConfig) => {
  it('still delivers the event, exactly once, when the writer died before any relay ran', async () => {
    const config = makeConfig();
    await crashWriter(config, 'before-relay', 'written');
    const published = await relayAfterRestart(config);
    expect(published.map((e) => e.id)).toEqual(['event-churn-7']);
    expect(published[0]).toMatchObject({ topic: 'model.version-registered', key: 'churn' });
    expect(new TextDecoder().decode(published[0]!.value)).toBe('{"model":"churn","version":7}');
  });

  it('still delivers the event, exactly once, when the writer died in the middle of publishing it', async () => {
    const config = makeConfig();
    await crashWriter(config, 'in-publish', 'publishing');
    const published = await relayAfterRestart(config);
    expect(published.map((e) => e.id)).toEqual(['event-churn-7']);
  });
});
