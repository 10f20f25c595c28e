import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@flywheel/core';
import { realServers, repoRoot, uniqueName, waitFor } from '@flywheel/testing';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { describeDocumentStoreContract } from '../test/document-store-contract.ts';
import { createMongoStore } from './mongo-store.ts';

const { mongoUrl } = realServers();
const databases: string[] = [];
const newDatabase = (): string => {
  const name = uniqueName('store').replaceAll('.', '-');
  databases.push(name);
  return name;
};

afterAll(async () => {
  const admin = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    for (const name of databases) await admin.db(name).dropDatabase({ timeoutMS: 5000 });
  } finally {
    await admin.close();
  }
});

describeDocumentStoreContract('mongo', async () =>
  createMongoStore({ url: mongoUrl, database: newDatabase() }),
);

/** A TCP proxy to the real server that a test can cut and restore, to lose the connection for real. */
async function proxyTo(
  url: string,
): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server = createServer((client) => {
        const upstream = tcpConnect(Number(target.port), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        if (typeof address === 'object' && address) port = address.port;
        resolve();
      });
    });
  const cut = async (): Promise<void> => {
    const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
    server = undefined;
  };
  await listen();
  // The query (tls=true&tlsCAFile=… on the secured servers) goes along: TLS passes through the proxy.
  return { url: `mongodb://127.0.0.1:${port}/${target.search}`, cut, restore: listen, close: cut };
}

describe('mongo store against a real server', () => {
  it.runIf(new URL(mongoUrl).searchParams.get('tls') === 'true')(
    'over TLS: a client in the clear, or one trusting another CA, gets no answer (unavailable)',
    async () => {
      const target = new URL(mongoUrl);
      const dir = await mkdtemp(join(tmpdir(), 'flywheel-mongo-other-ca-'));
      const { stdout } = await promisify(execFile)(
        join(repoRoot, 'scripts/servers/test-ca.sh'),
        ['ca', 'other'],
        {
          env: { ...process.env, FLYWHEEL_TLS_DIR: dir },
        },
      );
      for (const url of [
        `mongodb://${target.host}/`,
        `mongodb://${target.host}/?tls=true&tlsCAFile=${encodeURIComponent(stdout.trim())}`,
      ]) {
        const store = createMongoStore({
          url,
          database: newDatabase(),
          defaultTimeoutMs: 4000,
          serverSelectionTimeoutMs: 1500,
        });
        onTestFinished(() => store.close());
        await expect(store.collection<{ n: number }>('things').put('a', { n: 1 })).rejects.toMatchObject({
          code: 'unavailable',
        });
      }
    },
  );

  it('fails unavailable (retriable) when the connection is lost, and works again once the server is back', async () => {
    const proxy = await proxyTo(mongoUrl);
    onTestFinished(() => proxy.close());
    const store = createMongoStore({
      url: proxy.url,
      database: newDatabase(),
      defaultTimeoutMs: 4000,
      serverSelectionTimeoutMs: 800,
    });
    onTestFinished(() => store.close());
    const things = store.collection<{ n: number }>('things');
    await things.put('a', { n: 1 });

    await proxy.cut();
    const started = Date.now();
    const error = await things.get('a').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'unavailable', retriable: true });
    expect(Date.now() - started).toBeLessThan(4000);

    await proxy.restore();
    const doc = await waitFor(() => things.get('a'), {
      what: 'the driver to reconnect',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(doc).toMatchObject({ version: 1, data: { n: 1 } });
    await things.put('a', { n: 2 }, { expectedVersion: 1 });
  });

  it('never hangs on a server that accepts connections and says nothing: the deadline ends the call', async () => {
    const silent = createServer(() => {});
    const sockets = new Set<Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const store = createMongoStore({ url: `mongodb://127.0.0.1:${port}`, database: newDatabase() });
    onTestFinished(() => store.close());
    const things = store.collection<{ n: number }>('things');
    for (const attempt of [
      () => things.get('a', { timeoutMs: 300 }),
      () => things.put('a', { n: 1 }, { timeoutMs: 300 }),
    ]) {
      const started = Date.now();
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(['deadline_exceeded', 'unavailable']).toContain((error as AppError).code);
      expect((error as AppError).retriable).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
    }
    const cancelled = new AbortController();
    const pending = things.find({}, { signal: cancelled.signal, timeoutMs: 30_000 });
    cancelled.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('a second store object on the same database (a restarted process) sees documents and pending entries', async () => {
    const database = newDatabase();
    const first = createMongoStore({ url: mongoUrl, database });
    await first.collection('orders').put(
      'o1',
      { total: 1 },
      {
        outbox: [
          { id: 'placed', topic: 'order.placed', key: 'o1', value: new Uint8Array([1, 2, 3]), headers: {} },
        ],
      },
    );
    await first.close();
    const second = createMongoStore({ url: mongoUrl, database });
    onTestFinished(() => second.close());
    expect(await second.collection('orders').get('o1')).toEqual({ id: 'o1', version: 1, data: { total: 1 } });
    const pending = await second.pendingOutbox();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      collection: 'orders',
      docId: 'o1',
      entry: { id: 'placed', topic: 'order.placed' },
    });
    expect([...pending[0]!.entry.value]).toEqual([1, 2, 3]);
  });

  it('keeps documents as { _id, v, data } with indexes on declared fields and on the pending outbox', async () => {
    const database = newDatabase();
    const store = createMongoStore({ url: mongoUrl, database });
    onTestFinished(() => store.close());
    await store.collection('things', { indexes: ['team'] }).put('a', { team: 'red' });
    const raw = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
    onTestFinished(() => raw.close());
    expect(
      await raw
        .db(database)
        .collection('things')
        .findOne({ _id: 'a' as never }),
    ).toEqual({ _id: 'a', v: 1, data: { team: 'red' } });
    const indexes = await raw.db(database).collection('things').indexes();
    expect(indexes.map((index) => index.name)).toEqual(
      expect.arrayContaining(['data.team_1__id_1', 'outboxAt_1']),
    );
    // Field then id, the order of a keyset page, so a page is one index range.
    expect(indexes.find((index) => index.name === 'data.team_1__id_1')?.key).toEqual({
      'data.team': 1,
      _id: 1,
    });
  });

  it('expires with a TTL index on an expiresAt Date, and sweeps itself (mongo-java-server never expires)', async () => {
    const database = newDatabase();
    const store = createMongoStore({ url: mongoUrl, database, sweepIntervalMs: 100 });
    onTestFinished(() => store.close());
    const things = store.collection<{ n: number }>('things');
    const later = new Date(Date.now() + 3_600_000);
    await things.put('expired', { n: 1 }, { expiresAt: new Date(Date.now() - 1000) });
    await things.put('later', { n: 2 }, { expiresAt: later });
    await things.put('kept', { n: 3 }, { expiresAt: later });
    await things.put('kept', { n: 4 });
    const raw = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
    onTestFinished(() => raw.close());
    const collection = raw.db(database).collection('things');
    const indexes = await collection.indexes();
    expect(indexes.find((index) => index.name === 'expiresAt_ttl')).toMatchObject({
      key: { expiresAt: 1 },
      expireAfterSeconds: 0,
    });
    await waitFor(async () => (await collection.countDocuments({ _id: 'expired' as never })) === 0, {
      what: 'the sweep to delete the expired document',
    });
    expect(await collection.findOne({ _id: 'later' as never })).toMatchObject({ expiresAt: later });
    expect(await collection.findOne({ _id: 'kept' as never })).toEqual({ _id: 'kept', v: 2, data: { n: 4 } });
  });

  it('rejects a bad database name or URL with invalid_argument', () => {
    expect(() => createMongoStore({ url: mongoUrl, database: 'has/slash' })).toThrow(AppError);
    expect(() => createMongoStore({ url: 'http://localhost', database: 'ok' })).toThrow(AppError);
  });
});
