import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStatus, WriteTarget } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, plain, startFeatureStore, ts, v } from './feature-store-harness.ts';

const hour = 3600_000;

const userView = {
  name: 'user_stats',
  team: 'growth',
  entity: { name: 'user', joinKeys: [{ name: 'user_id', valueType: ValueType.STRING }] },
  features: [
    { name: 'purchases_7d', valueType: ValueType.INT64 },
    { name: 'avg_basket', valueType: ValueType.DOUBLE },
    { name: 'segment', valueType: ValueType.STRING },
  ],
  ttl: durationFromMs(24 * hour),
  online: true,
};

const user = (id: string) => ({ joinKeys: { user_id: v.str(id) } });

describe('ingest and online lookup', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
    await fs.client.applyFeatureView({ featureView: userView });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  const lookup = (
    ids: string[],
    features = ['user_stats:purchases_7d', 'user_stats:avg_basket', 'user_stats:segment'],
  ) => fs.client.getOnlineFeatures({ features, entityKeys: ids.map(user), includeEventTimes: true });

  it('serves the latest value per entity and announces the write', async () => {
    const now = Date.now();
    const at = (hoursAgo: number) => timestampFromMs(now - hoursAgo * hour);
    const written = await fs.client.ingest({
      featureViewName: 'user_stats',
      rows: [
        {
          entityKey: user('alice'),
          eventTime: at(3),
          values: { purchases_7d: v.i64(2n), avg_basket: v.dbl(20.5) },
        },
        {
          entityKey: user('alice'),
          eventTime: at(1),
          values: { purchases_7d: v.i64(4n), segment: v.str('vip') },
        },
        { entityKey: user('bob'), eventTime: at(2), values: { purchases_7d: v.i64(1n), segment: v.null() } },
      ],
    });
    expect(written.rowsWritten).toBe(3n);

    const got = await lookup(['alice', 'bob', 'carol']);
    expect(got.featureNames).toEqual([
      'user_stats:purchases_7d',
      'user_stats:avg_basket',
      'user_stats:segment',
    ]);
    const [alice, bob, carol] = got.results;
    expect(alice?.values.map(plain)).toEqual([4n, 20.5, 'vip']);
    expect(alice?.statuses).toEqual([FeatureStatus.PRESENT, FeatureStatus.PRESENT, FeatureStatus.PRESENT]);
    // Each feature keeps the time of the row that set it.
    expect(alice?.eventTimes.map((t) => Number(t.seconds) * 1000)).toEqual([
      Math.floor((now - hour) / 1000) * 1000,
      Math.floor((now - 3 * hour) / 1000) * 1000,
      Math.floor((now - hour) / 1000) * 1000,
    ]);
    expect(bob?.values.map(plain)).toEqual([1n, null, null]);
    expect(bob?.statuses).toEqual([FeatureStatus.PRESENT, FeatureStatus.NOT_FOUND, FeatureStatus.NULL_VALUE]);
    expect(carol?.statuses).toEqual([
      FeatureStatus.NOT_FOUND,
      FeatureStatus.NOT_FOUND,
      FeatureStatus.NOT_FOUND,
    ]);

    const event = await waitFor(
      () => fs.events(FeaturesMaterializedSchema).find((e) => e.featureViewName === 'user_stats'),
      {
        what: 'features.materialized for user_stats',
      },
    );
    expect(event.rowsWritten).toBe(3n);
    expect(event.entityName).toBe('user');
    expect(event.team).toBe('growth');
    expect(Number(event.startTime?.seconds)).toBe(Math.floor((now - 3 * hour) / 1000));
    expect(Number(event.endTime?.seconds)).toBe(Math.floor((now - hour + 1) / 1000));
  });

  it('never lets an out-of-order row regress the online value', async () => {
    const now = Date.now();
    await fs.client.ingest({
      featureViewName: 'user_stats',
      rows: [
        {
          entityKey: user('dave'),
          eventTime: timestampFromMs(now - hour),
          values: { purchases_7d: v.i64(10n) },
        },
      ],
    });
    // Arrives later, happened earlier.
    await fs.client.ingest({
      featureViewName: 'user_stats',
      rows: [
        {
          entityKey: user('dave'),
          eventTime: timestampFromMs(now - 5 * hour),
          values: { purchases_7d: v.i64(7n), avg_basket: v.dbl(9) },
        },
      ],
    });
    const got = await lookup(['dave']);
    expect(got.results[0]?.values.map(plain)).toEqual([10n, 9, null]);
  });

  it('marks values older than the TTL as EXPIRED and omits them', async () => {
    const now = Date.now();
    await fs.client.ingest({
      featureViewName: 'user_stats',
      rows: [
        {
          entityKey: user('erin'),
          eventTime: timestampFromMs(now - 30 * hour),
          values: { purchases_7d: v.i64(5n) },
        },
        {
          entityKey: user('erin'),
          eventTime: timestampFromMs(now - 2 * hour),
          values: { avg_basket: v.dbl(12) },
        },
      ],
    });
    const got = await lookup(['erin'], ['user_stats:*']);
    expect(got.featureNames).toEqual([
      'user_stats:purchases_7d',
      'user_stats:avg_basket',
      'user_stats:segment',
    ]);
    expect(got.results[0]?.statuses).toEqual([
      FeatureStatus.EXPIRED,
      FeatureStatus.PRESENT,
      FeatureStatus.NOT_FOUND,
    ]);
    expect(got.results[0]?.values.map(plain)).toEqual([null, 12, null]);
  });

  it('rejects a batch with one bad row, naming the field, and writes none of it', async () => {
    const rows = [
      {
        entityKey: user('frank'),
        eventTime: ts('2024-01-01T00:00:00Z'),
        values: { purchases_7d: v.i64(1n) },
      },
      {
        entityKey: user('grace'),
        eventTime: ts('2024-01-01T00:00:00Z'),
        values: { avg_basket: v.str('lots') },
      },
    ];
    await expect(fs.client.ingest({ featureViewName: 'user_stats', rows })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'rows[1].values.avg_basket',
      message: 'rows[1].values.avg_basket: expected DOUBLE, got string_value',
    });
    const got = await lookup(['frank']);
    expect(got.results[0]?.statuses[0]).toBe(FeatureStatus.NOT_FOUND);

    await expect(
      fs.client.ingest({
        featureViewName: 'user_stats',
        rows: [
          {
            entityKey: user('frank'),
            eventTime: ts('2024-01-01T00:00:00Z'),
            values: { purchases_30d: v.i64(1n) },
          },
        ],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'rows[0].values.purchases_30d' });
    await expect(
      fs.client.ingest({
        featureViewName: 'user_stats',
        rows: [{ entityKey: { joinKeys: { customer: v.str('x') } }, eventTime: ts('2024-01-01T00:00:00Z') }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'rows[0].entity_key.join_keys.customer' });
    await expect(
      fs.client.ingest({
        featureViewName: 'user_stats',
        rows: [{ entityKey: { joinKeys: { user_id: v.i64(3n) } }, eventTime: ts('2024-01-01T00:00:00Z') }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'rows[0].entity_key.join_keys.user_id' });
    await expect(
      fs.client.ingest({ featureViewName: 'user_stats', rows: [{ entityKey: user('x') }] }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'rows[0].event_time' });
    await expect(
      fs.client.ingest({
        featureViewName: 'nope',
        rows: [{ entityKey: user('x'), eventTime: ts('2024-01-01T00:00:00Z') }],
      }),
    ).rejects.toMatchObject({ code: 'not_found', field: 'feature_view_name' });
    await expect(
      fs.client.getOnlineFeatures({
        features: ['user_stats:segment'],
        entityKeys: [{ joinKeys: { user: v.str('x') } }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'entity_keys[0].join_keys.user_id' });
    await expect(
      fs.client.getOnlineFeatures({ features: ['user_stats'], entityKeys: [user('x')] }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'features[0]' });
  });

  it('refuses an event time beyond now + the allowed skew (year 9999) instead of pinning the value', async () => {
    const now = Date.now();
    const far = ts('9999-12-31T00:00:00Z');
    await expect(
      fs.client.ingest({
        featureViewName: 'user_stats',
        rows: [
          {
            entityKey: user('mallory'),
            eventTime: timestampFromMs(now),
            values: { purchases_7d: v.i64(1n) },
          },
          { entityKey: user('mallory'), eventTime: far, values: { purchases_7d: v.i64(9n) } },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'rows[1].event_time',
      message: expect.stringMatching(
        /^rows\[1\]\.event_time: 9999-12-31T00:00:00\.000Z is later than now \+ 24h/,
      ),
    });
    async function* stream() {
      yield {
        featureViewName: 'user_stats',
        rows: [{ entityKey: user('mallory'), eventTime: far, values: { purchases_7d: v.i64(9n) } }],
      };
    }
    await expect(fs.client.ingestStream(stream())).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'rows[0].event_time',
    });
    // Nothing pinned: a value written now is still served, within the skew is accepted.
    const written = await fs.client.ingest({
      featureViewName: 'user_stats',
      rows: [
        {
          entityKey: user('mallory'),
          eventTime: timestampFromMs(now + hour),
          values: { purchases_7d: v.i64(2n) },
        },
      ],
    });
    expect(written.rowsWritten).toBe(1n);
    expect((await lookup(['mallory'])).results[0]?.values.map(plain)).toEqual([2n, null, null]);
  });

  it('streams rows in messages, each written on its own', async () => {
    const now = Date.now();
    async function* messages() {
      yield {
        featureViewName: 'user_stats',
        rows: [
          {
            entityKey: user('heidi'),
            eventTime: timestampFromMs(now - hour),
            values: { purchases_7d: v.i64(1n) },
          },
        ],
      };
      yield {
        rows: [
          {
            entityKey: user('heidi'),
            eventTime: timestampFromMs(now - hour / 2),
            values: { purchases_7d: v.i64(2n) },
          },
        ],
      };
      yield {
        featureViewName: 'user_stats',
        rows: [
          {
            entityKey: user('ivan'),
            eventTime: timestampFromMs(now - hour),
            values: { segment: v.str('new') },
          },
        ],
      };
    }
    const result = await fs.client.ingestStream(messages());
    expect(result.rowsWritten).toBe(3n);
    const got = await lookup(['heidi', 'ivan']);
    expect(got.results.map((r) => r.values.map(plain))).toEqual([
      [2n, null, null],
      [null, null, 'new'],
    ]);

    async function* failing() {
      yield {
        featureViewName: 'user_stats',
        rows: [
          {
            entityKey: user('judy'),
            eventTime: timestampFromMs(now - hour),
            values: { purchases_7d: v.i64(1n) },
          },
        ],
      };
      yield {
        rows: [
          { entityKey: user('judy'), eventTime: timestampFromMs(now), values: { purchases_7d: v.dbl(1.5) } },
        ],
      };
    }
    await expect(fs.client.ingestStream(failing())).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'rows[0].values.purchases_7d',
      message: expect.stringContaining('message 1'),
    });
    // The first message stays written.
    expect((await lookup(['judy'])).results[0]?.values.map(plain)).toEqual([1n, null, null]);

    async function* nameless() {
      yield { rows: [] };
    }
    await expect(fs.client.ingestStream(nameless())).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view_name',
    });
  });

  it('writes offline only when asked, and refuses online writes to an offline view', async () => {
    await fs.client.applyFeatureView({ featureView: { ...userView, name: 'user_history', online: false } });
    await expect(
      fs.client.ingest({
        featureViewName: 'user_history',
        target: WriteTarget.ONLINE,
        rows: [{ entityKey: user('kim'), eventTime: ts('2024-01-01T00:00:00Z') }],
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    await fs.client.ingest({
      featureViewName: 'user_stats',
      target: WriteTarget.OFFLINE,
      rows: [
        {
          entityKey: user('kim'),
          eventTime: timestampFromMs(Date.now()),
          values: { purchases_7d: v.i64(1n) },
        },
      ],
    });
    expect((await lookup(['kim'])).results[0]?.statuses[0]).toBe(FeatureStatus.NOT_FOUND);
    await expect(
      fs.client.getOnlineFeatures({ features: ['user_history:segment'], entityKeys: [user('kim')] }),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
    });
  });
});
