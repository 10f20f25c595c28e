import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { createDocumentStore, readStoreConfig } from './create-document-store.ts';

const read = (env: Record<string, string>, service?: string) => {
  const reader = new ConfigReader(env);
  const config = readStoreConfig(reader, service === undefined ? {} : { service });
  reader.done();
  return config;
};

describe('readStoreConfig', () => {
  it('defaults to the embedded store with fsync, one directory per service', () => {
    expect(read({})).toEqual({
      kind: 'embedded',
      dir: join('.flywheel', 'data'),
      fsync: true,
      timeoutMs: 5000,
    });
    expect(
      read({ FLYWHEEL_STORE_DIR: '/var/lib/flywheel', FLYWHEEL_STORE_FSYNC: 'false' }, 'registry'),
    ).toEqual({
      kind: 'embedded',
      dir: join('/var/lib/flywheel', 'registry'),
      fsync: false,
      timeoutMs: 5000,
    });
  });

  it('reads mongo settings, with a database per service by default and replica-set URLs allowed', () => {
    expect(
      read(
        {
          FLYWHEEL_STORE: 'mongo',
          FLYWHEEL_MONGO_URL: 'mongodb://a:1,b:2/?replicaSet=rs',
          FLYWHEEL_STORE_TIMEOUT: '2s',
        },
        'registry',
      ),
    ).toEqual({
      kind: 'mongo',
      url: 'mongodb://a:1,b:2/?replicaSet=rs',
      database: 'flywheel-registry',
      timeoutMs: 2000,
    });
    expect(
      read({
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: 'mongodb+srv://c.example',
        FLYWHEEL_MONGO_DATABASE: 'models',
      }),
    ).toMatchObject({
      database: 'models',
    });
  });

  it('reports every problem at once, naming the variables', () => {
    expect(() => read({ FLYWHEEL_STORE: 'postgres' })).toThrow(
      /FLYWHEEL_STORE must be one of embedded, mongo/,
    );
    let message = '';
    try {
      read({ FLYWHEEL_STORE: 'mongo', FLYWHEEL_MONGO_DATABASE: 'a/b', FLYWHEEL_STORE_TIMEOUT: 'soon' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/FLYWHEEL_MONGO_URL is required when FLYWHEEL_STORE=mongo/);
    expect(message).toMatch(/FLYWHEEL_MONGO_DATABASE/);
    expect(message).toMatch(/FLYWHEEL_STORE_TIMEOUT/);
    expect(() => read({ FLYWHEEL_STORE: 'mongo', FLYWHEEL_MONGO_URL: 'http://x' })).toThrow(
      /FLYWHEEL_MONGO_URL must be a mongodb/,
    );
  });
});

describe('createDocumentStore', () => {
  it('opens the store the config names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flywheel-create-store-'));
    try {
      const store = await createDocumentStore({ kind: 'embedded', dir, fsync: false, timeoutMs: 1000 });
      await store.collection('things').put('a', { n: 1 });
      await store.close();
      const again = await createDocumentStore(read({ FLYWHEEL_STORE_DIR: dir }));
      expect(await again.collection('things').get('a')).toMatchObject({ version: 1 });
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const mongo = await createDocumentStore({
      kind: 'mongo',
      url: 'mongodb://127.0.0.1:1',
      database: 'x',
      timeoutMs: 1000,
    });
    await mongo.close();
  });
});
