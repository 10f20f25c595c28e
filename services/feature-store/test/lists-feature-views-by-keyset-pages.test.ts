import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore } from '@flywheel/store';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openCollections } from '../src/storage/feature-store-collections.ts';
import { listFeatureViews } from '../src/use-cases/list-feature-views.ts';
import type { FeatureViewRecord } from '../src/values/feature-view-records.ts';

/** More views than the old 10 000-view scan reached. */
const many = 12_000;

describe('ListFeatureViews pages by keyset', () => {
  it('reads at most page_size + 1 views per page and lists all of 12 000 by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'list-views-'));
    const store = await createEmbeddedStore({ dir, fsync: false });
    onTestFinished(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    const collections = openCollections(store);
    const names = Array.from({ length: many }, (_, i) => `view-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 1000) {
      await Promise.all(
        names.slice(i, i + 1000).map((name, j) =>
          // Only the fields ListFeatureViews reads and filters on.
          collections.views.put(name, {
            name,
            team: (i + j) % 3 ? 'a' : 'b',
            entityName: 'station',
          } as unknown as FeatureViewRecord),
        ),
      );
    }
    const reads: number[] = [];
    const views = collections.views;
    const counted = {
      ...collections,
      views: {
        ...views,
        name: views.name,
        get: views.get.bind(views),
        put: views.put.bind(views),
        delete: views.delete.bind(views),
        find: async (...args: Parameters<typeof views.find>) => {
          const found = await views.find(...args);
          reads.push(found.length);
          return found;
        },
      },
    };
    const listAll = async (team: string): Promise<string[]> => {
      const listed: string[] = [];
      let pageToken = '';
      for (let page = 0; page < 200; page++) {
        const result = await listFeatureViews(counted, { pageSize: 1000, pageToken, team, entityName: '' });
        listed.push(...result.views.map((v) => v.name));
        pageToken = result.nextPageToken;
        if (!pageToken) return listed;
      }
      throw new Error('paging did not end');
    };
    expect(await listAll('')).toEqual(names);
    expect(reads.length).toBe(many / 1000);
    expect(await listAll('b')).toEqual(names.filter((_, i) => i % 3 === 0));
    expect(Math.max(...reads)).toBeLessThanOrEqual(1001);
  }, 60_000);
});
