import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Collection, createEmbeddedStore } from '@flywheel/store';
import { describe, expect, it, onTestFinished } from 'vitest';
import { pipelineQueries } from '../src/pipelines/pipeline-queries.ts';
import { openPipelineCollections, type PipelineRecord } from '../src/pipelines/pipeline-records.ts';
import { listRunRequestsUseCase } from '../src/runs/list-run-requests.ts';
import { openRunRequests, type RunRequestRecord } from '../src/runs/run-request-records.ts';
import { scheduleQueries } from '../src/schedules/schedule-queries.ts';
import { openSchedules, type ScheduleRecord } from '../src/schedules/schedule-records.ts';
import { triggerRuleQueries } from '../src/triggers/trigger-rule-queries.ts';
import { openTriggerRules, type TriggerRuleRecord } from '../src/triggers/trigger-rule-records.ts';

/** More run requests than the old 10 000-document scan reached. */
const manyRequests = 10_200;
const manyNamed = 1_100;
const base = Date.parse('2026-01-01T00:00:00.000Z');

/** `collection` with the number of documents each `find` returned recorded in `reads`. */
function counting<T extends object>(collection: Collection<T>, reads: number[]): Collection<T> {
  return Object.create(collection, {
    find: {
      value: async (...args: Parameters<Collection<T>['find']>) => {
        const found = await collection.find(...args);
        reads.push(found.length);
        return found;
      },
    },
  });
}

/** Every page of a list, following the tokens. */
async function listAll<T>(
  list: (request: { pageSize: number; pageToken: string }) => Promise<{ page: T[]; nextPageToken: string }>,
  pageSize: number,
): Promise<T[]> {
  const all: T[] = [];
  let pageToken = '';
  for (let page = 0; page < 100; page++) {
    const result = await list({ pageSize, pageToken });
    all.push(...result.page);
    if (!result.nextPageToken) return all;
    pageToken = result.nextPageToken;
  }
  throw new Error('more than 100 pages');
}

describe('scheduler lists page by keyset', () => {
  it('read at most page_size + 1 documents per page and list every one, in order, filters and ranges included', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scheduler-lists-'));
    const store = await createEmbeddedStore({ dir, fsync: false });
    onTestFinished(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    const put = async <T extends object>(collection: Collection<T>, docs: { id: string; data: object }[]) => {
      for (let i = 0; i < docs.length; i += 1000)
        await Promise.all(docs.slice(i, i + 1000).map((d) => collection.put(d.id, d.data as T)));
    };
    // Only the fields the lists read. Two requests per millisecond, so request times tie.
    const requests = Array.from({ length: manyRequests }, (_, i) => ({
      id: `rr-${String(i).padStart(5, '0')}`,
      data: { requestTime: base + Math.floor(i / 2), pipelineName: i % 3 ? 'train' : 'score' },
    }));
    const runRequests = openRunRequests(store);
    await put(runRequests, requests);
    const named = <E extends object>(prefix: string, extra: (i: number) => E) =>
      Array.from({ length: manyNamed }, (_, i) => {
        const name = `${prefix}-${String(i).padStart(4, '0')}`;
        return { id: name, data: { name, ...extra(i) } };
      });
    const schedules = named('schedule', (i) => ({ pipelineName: i % 2 ? 'train' : 'score' }));
    await put(openSchedules(store), schedules);
    const rules = named('rule', (i) => ({
      pipelineName: 'train',
      eventType: i % 2 ? 'drift.detected' : 'x',
    }));
    await put(openTriggerRules(store), rules);
    const pipelines = named('pipeline', (i) => ({ team: i % 2 ? 'a' : 'b' }));
    const pipelineCollections = openPipelineCollections(store);
    await put(pipelineCollections.heads, pipelines);

    const reads: number[] = [];
    const listRequests = listRunRequestsUseCase({
      runRequests: counting<RunRequestRecord>(runRequests, reads),
    });
    const query = {
      pipelineName: '',
      source: 0,
      status: 0,
      scheduleName: '',
      triggerRuleName: '',
      startTime: 0,
      endTime: 0,
    };
    const newestFirst = [...requests].sort(
      (a, b) => b.data.requestTime - a.data.requestTime || (a.id < b.id ? 1 : -1),
    );
    const listed = await listAll((page) => listRequests({ ...query, ...page }), 1000);
    expect(listed).toHaveLength(manyRequests);
    expect(listed.map((r) => r.requestTime)).toEqual(newestFirst.map((r) => r.data.requestTime));
    expect(Math.max(...reads)).toBe(1001);
    reads.length = 0;
    // A time range of one pipeline: [base + 1000, base + 3000).
    const inRange = newestFirst.filter(
      (r) =>
        r.data.pipelineName === 'score' &&
        r.data.requestTime >= base + 1000 &&
        r.data.requestTime < base + 3000,
    );
    const ranged = await listAll(
      (page) =>
        listRequests({
          ...query,
          pipelineName: 'score',
          startTime: base + 1000,
          endTime: base + 3000,
          ...page,
        }),
      100,
    );
    expect(ranged.map((r) => r.requestTime)).toEqual(inRange.map((r) => r.data.requestTime));
    expect(Math.max(...reads)).toBeLessThanOrEqual(101);

    for (const [what, list, expected] of [
      [
        'schedules',
        (() => {
          const q = scheduleQueries({ schedules: counting<ScheduleRecord>(openSchedules(store), reads) });
          return (page: { pageSize: number; pageToken: string }) =>
            q.list({ pipelineName: 'train', ...page });
        })(),
        schedules.filter((s) => s.data.pipelineName === 'train').map((s) => s.id),
      ],
      [
        'trigger rules',
        (() => {
          const q = triggerRuleQueries({
            triggerRules: counting<TriggerRuleRecord>(openTriggerRules(store), reads),
          });
          return (page: { pageSize: number; pageToken: string }) =>
            q.list({ pipelineName: 'train', eventType: 'drift.detected', ...page });
        })(),
        rules.filter((r) => r.data.eventType === 'drift.detected').map((r) => r.id),
      ],
      [
        'pipelines',
        (() => {
          const heads = counting<PipelineRecord>(pipelineCollections.heads, reads);
          const q = pipelineQueries({ pipelines: { ...pipelineCollections, heads } });
          return (page: { pageSize: number; pageToken: string }) => q.list({ team: 'a', ...page });
        })(),
        pipelines.filter((p) => p.data.team === 'a').map((p) => p.id),
      ],
    ] as const) {
      reads.length = 0;
      const all = (
        await listAll(
          list as (page: {
            pageSize: number;
            pageToken: string;
          }) => Promise<{ page: { name: string }[]; nextPageToken: string }>,
          100,
        )
      ).map((r) => r.name);
      expect({ what, all }).toEqual({ what, all: expected });
      expect({ what, most: Math.max(...reads) }).toEqual({ what, most: 101 });
    }
  });
});
