import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collection } from '@flywheel/store';
import { createEmbeddedStore } from '@flywheel/store';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createListModels } from '../src/models/list-models.ts';
import {
  type ModelRecord,
  openRegistryCollections,
  type RegistryCollections,
  type VersionRecord,
} from '../src/records/registry-records.ts';
import { createListVersions } from '../src/versions/list-versions.ts';

/** `collection` with every find's result size recorded in `reads`. */
function counting<T extends object>(collection: Collection<T>, reads: number[]): Collection<T> {
  return {
    ...collection,
    name: collection.name,
    get: (id, options) => collection.get(id, options),
    put: (id, data, options) => collection.put(id, data, options),
    delete: (id, options) => collection.delete(id, options),
    find: async (filter, options) => {
      const found = await collection.find(filter, options);
      reads.push(found.length);
      return found;
    },
  };
}

async function openStore() {
  const dir = await mkdtemp(join(tmpdir(), 'registry-keyset-'));
  const store = await createEmbeddedStore({ dir, fsync: false });
  onTestFinished(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

/** More documents than the old 10 000-document scan reached. */
const many = 12_000;

async function putAll<T extends object>(collection: Collection<T>, docs: [string, T][]): Promise<void> {
  for (let i = 0; i < docs.length; i += 1000) {
    await Promise.all(docs.slice(i, i + 1000).map(([id, data]) => collection.put(id, data)));
  }
}

describe('registry lists page by keyset', () => {
  it('ListModels reads at most page_size + 1 models per page and lists all of 12 000', async () => {
    const collections: RegistryCollections = openRegistryCollections(await openStore());
    const names = Array.from({ length: many }, (_, i) => `model-${String(i).padStart(5, '0')}`);
    // Only the fields ListModels reads; the rest of a model does not matter to paging.
    await putAll(
      collections.models,
      names.map((name, i) => [name, { team: i % 2 ? 'odd' : 'even' } as unknown as ModelRecord]),
    );
    const reads: number[] = [];
    const listModels = createListModels({
      collections: { ...collections, models: counting(collections.models, reads) },
    });
    const signal = AbortSignal.timeout(60_000);
    const listAll = async (team: string, namePrefix: string): Promise<string[]> => {
      const listed: string[] = [];
      let pageToken = '';
      for (let page = 0; page < 200; page++) {
        const result = await listModels({ pageSize: 500, pageToken, team, namePrefix }, signal);
        listed.push(...result.models.map((m) => m.id));
        pageToken = result.nextPageToken;
        if (!pageToken) return listed;
      }
      throw new Error('paging did not end');
    };
    expect(await listAll('', '')).toEqual(names);
    expect(reads.length).toBe(many / 500);
    expect(Math.max(...reads)).toBeLessThanOrEqual(501);
    expect(await listAll('odd', '')).toEqual(names.filter((_, i) => i % 2));
    expect(await listAll('', 'model-111')).toEqual(names.filter((n) => n.startsWith('model-111')));
    expect(Math.max(...reads)).toBeLessThanOrEqual(501);
  }, 60_000);

  it('ListVersions by stage reads at most page_size + 1 versions per page and lists all of 12 000', async () => {
    const collections = openRegistryCollections(await openStore());
    await collections.models.put('churn', {
      name: 'churn',
      latestVersion: many,
      claims: [],
    } as unknown as ModelRecord);
    const versions = Array.from({ length: many }, (_, i) => i + 1);
    await putAll(
      collections.versions,
      versions.map((version) => [
        `churn/${version}`,
        {
          modelName: 'churn',
          version,
          stage: version % 3 ? 'STAGING' : 'PRODUCTION',
        } as unknown as VersionRecord,
      ]),
    );
    const reads: number[] = [];
    const listVersions = createListVersions({
      collections: { ...collections, versions: counting(collections.versions, reads) },
    });
    const listed: number[] = [];
    let pageToken = '';
    for (let page = 0; page < 100 && (page === 0 || pageToken); page++) {
      const result = await listVersions(
        { modelName: 'churn', pageSize: 500, pageToken, stage: 'STAGING' },
        AbortSignal.timeout(60_000),
      );
      listed.push(...result.versions.map((v) => v.version));
      pageToken = result.nextPageToken;
    }
    expect(pageToken).toBe('');
    expect(listed).toEqual(versions.filter((v) => v % 3).reverse());
    expect(Math.max(...reads)).toBeLessThanOrEqual(501);
  }, 60_000);
});
