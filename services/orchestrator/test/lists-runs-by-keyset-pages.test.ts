import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ListRunsRequestSchema } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createEmbeddedStore } from '@flywheel/store';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createListRuns } from '../src/api/list-runs.ts';
import { type RunRecord, runIndexes, runsCollection } from '../src/runs/run-records.ts';
import { createRunStore, type RunStore } from '../src/runs/run-store.ts';

/** More runs than the old 10 000-run scan reached. */
const many = 12_000;
const base = Date.parse('2026-01-01T00:00:00.000Z');

describe('ListRuns pages by keyset', () => {
  it('reads at most page_size + 1 runs per page and lists all of 12 000, newest first, ties by id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'list-runs-'));
    const store = await createEmbeddedStore({ dir, fsync: false });
    onTestFinished(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    const runs = store.collection<RunRecord>(runsCollection, { indexes: runIndexes });
    // Two runs per second, so createTime ties; only the fields ListRuns reads.
    const seeded = Array.from({ length: many }, (_, i) => ({
      id: `run-${String(i).padStart(5, '0')}`,
      createTime: new Date(base + Math.floor(i / 2) * 1000).toISOString(),
      pipelineName: i % 4 ? 'train' : 'score',
    }));
    for (let i = 0; i < seeded.length; i += 1000) {
      await Promise.all(
        seeded.slice(i, i + 1000).map((run) => runs.put(run.id, run as unknown as RunRecord)),
      );
    }
    const inner = createRunStore(store);
    const reads: number[] = [];
    const countingRuns: RunStore = {
      ...inner,
      find: async (filter, options) => {
        const found = await inner.find(filter, options);
        reads.push(found.length);
        return found;
      },
    };
    const listRuns = createListRuns({ runs: countingRuns });
    const listAll = async (fields: Partial<{ pipelineName: string; startMs: number; endMs: number }>) => {
      const listed: string[] = [];
      let pageToken = '';
      for (let page = 0; page < 200; page++) {
        const result = await listRuns(
          create(ListRunsRequestSchema, {
            pageSize: 500,
            pageToken,
            pipelineName: fields.pipelineName ?? '',
            ...(fields.startMs === undefined ? {} : { startTime: timestampFromMs(fields.startMs) }),
            ...(fields.endMs === undefined ? {} : { endTime: timestampFromMs(fields.endMs) }),
          }),
        );
        listed.push(...result.runs.map((run) => run.id));
        pageToken = result.nextPageToken;
        if (!pageToken) return listed;
      }
      throw new Error('paging did not end');
    };
    const newestFirst = (list: typeof seeded): string[] =>
      [...list]
        .sort((a, b) =>
          a.createTime === b.createTime ? (a.id < b.id ? 1 : -1) : a.createTime < b.createTime ? 1 : -1,
        )
        .map((run) => run.id);

    expect(await listAll({})).toEqual(newestFirst(seeded));
    expect(reads.length).toBe(many / 500);
    expect(await listAll({ pipelineName: 'score' })).toEqual(
      newestFirst(seeded.filter((r) => r.pipelineName === 'score')),
    );
    // [start, end): from the run created at second 1000 up to (not including) second 5000.
    const startMs = base + 1000 * 1000;
    const endMs = base + 5000 * 1000;
    expect(await listAll({ startMs, endMs })).toEqual(
      newestFirst(
        seeded.filter((r) => Date.parse(r.createTime) >= startMs && Date.parse(r.createTime) < endMs),
      ),
    );
    expect(Math.max(...reads)).toBeLessThanOrEqual(501);
  }, 60_000);
});
