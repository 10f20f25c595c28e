import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collection } from '@flywheel/store';
import { createEmbeddedStore } from '@flywheel/store';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type DeploymentRecord, deploymentsCollection } from '../src/deployments/deployment-records.ts';
import { createListDeployments } from '../src/deployments/list-deployments.ts';

/** More deployments than the old 10 000-document scan reached. */
const many = 10_200;

describe('ListDeployments pages by keyset', () => {
  it('reads at most page_size + 1 deployments per page and lists all of 10 200 by name, filters included', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'list-deployments-'));
    const store = await createEmbeddedStore({ dir, fsync: false });
    onTestFinished(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    const deployments = deploymentsCollection(store);
    // Only the fields ListDeployments reads.
    const seeded = Array.from({ length: many }, (_, i) => ({
      name: `d-${String(i).padStart(5, '0')}`,
      team: i % 3 ? 'serving' : 'forecast',
      modelName: i % 2 ? 'odd' : 'even',
    }));
    for (let i = 0; i < seeded.length; i += 1000) {
      await Promise.all(
        seeded.slice(i, i + 1000).map((d) => deployments.put(d.name, d as unknown as DeploymentRecord)),
      );
    }
    const reads: number[] = [];
    const counting: Collection<DeploymentRecord> = Object.create(deployments, {
      find: {
        value: async (...args: Parameters<Collection<DeploymentRecord>['find']>) => {
          const found = await deployments.find(...args);
          reads.push(found.length);
          return found;
        },
      },
    });
    const list = createListDeployments({ deployments: counting });
    const listAll = async (filter: { team?: string; modelName?: string }, pageSize: number) => {
      const names: string[] = [];
      let pageToken = '';
      for (let page = 0; page < 100; page++) {
        const result = await list(
          { pageSize, pageToken, team: filter.team ?? '', modelName: filter.modelName ?? '' },
          { signal: AbortSignal.timeout(30_000) },
        );
        names.push(...result.deployments.map((d) => d.name));
        if (!result.nextPageToken) return names;
        pageToken = result.nextPageToken;
      }
      throw new Error('more than 100 pages');
    };

    expect(await listAll({}, 1000)).toEqual(seeded.map((d) => d.name));
    expect(reads).toHaveLength(11);
    expect(Math.max(...reads)).toBe(1001);
    reads.length = 0;
    const forecastEven = seeded.filter((d) => d.team === 'forecast' && d.modelName === 'even');
    expect(await listAll({ team: 'forecast', modelName: 'even' }, 500)).toEqual(
      forecastEven.map((d) => d.name),
    );
    expect(Math.max(...reads)).toBeLessThanOrEqual(501);
  });
});
