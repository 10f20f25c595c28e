import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, plain, startFeatureStore, v } from './feature-store-harness.ts';

const run = promisify(execFile);
const hour = 3600_000;

const driverView = {
  name: 'driver_hourly_stats',
  entity: { name: 'driver', joinKeys: [{ name: 'driver_id', valueType: ValueType.INT64 }] },
  features: [
    { name: 'conv_rate', valueType: ValueType.DOUBLE },
    { name: 'avg_daily_trips', valueType: ValueType.INT64 },
    { name: 'tier', valueType: ValueType.STRING },
  ],
  ttl: durationFromMs(24 * hour),
  online: true,
};

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Runs test/python/feast_http_client.py (urllib, as a Feast user's script) against the store. */
async function feastClient(base: string, calls: object[]): Promise<Answer[]> {
  const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
  const { stdout } = await run(python, ['test/python/feast_http_client.py', base, JSON.stringify(calls)], {
    cwd: repoRoot,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Answer[];
}

const statusName: Record<number, string> = {
  [FeatureStatus.PRESENT]: 'PRESENT',
  [FeatureStatus.NULL_VALUE]: 'NULL_VALUE',
  [FeatureStatus.NOT_FOUND]: 'NOT_FOUND',
  [FeatureStatus.EXPIRED]: 'OUTSIDE_MAX_AGE',
};

describe("Feast's feature server HTTP API", () => {
  let fs: FeatureStoreHarness;
  const now = Date.now();
  beforeAll(async () => {
    fs = await startFeatureStore();
    await fs.client.applyFeatureView({ featureView: driverView });
    await fs.client.ingest({
      featureViewName: 'driver_hourly_stats',
      rows: [
        {
          entityKey: { joinKeys: { driver_id: v.i64(1001n) } },
          eventTime: timestampFromMs(now - hour),
          values: { conv_rate: v.dbl(0.5), avg_daily_trips: v.i64(12n), tier: v.str('gold') },
        },
        {
          entityKey: { joinKeys: { driver_id: v.i64(1002n) } },
          eventTime: timestampFromMs(now - 30 * hour),
          values: { conv_rate: v.dbl(0.25), avg_daily_trips: v.i64(3n), tier: v.null() },
        },
        {
          entityKey: { joinKeys: { driver_id: v.i64(1003n) } },
          eventTime: timestampFromMs(now - 2 * hour),
          values: { conv_rate: v.dbl(0.75), tier: v.null() },
        },
      ],
    });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('answers /get-online-features column by column, as the gRPC GetOnlineFeatures does', async () => {
    const features = [
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:avg_daily_trips',
      'driver_hourly_stats:tier',
    ];
    const ids = [1001, 1002, 1003, 1004];
    const [health, short, full] = await feastClient(fs.http, [
      { method: 'GET', path: '/health' },
      { method: 'POST', path: '/get-online-features', body: { features, entities: { driver_id: ids } } },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features, entities: { driver_id: ids }, full_feature_names: true },
      },
    ]);
    expect(health!.status).toBe(200);
    expect(short!.status).toBe(200);
    expect(short!.body.metadata).toEqual({
      feature_names: ['driver_id', 'conv_rate', 'avg_daily_trips', 'tier'],
    });
    expect(full!.body.metadata).toEqual({
      feature_names: [
        'driver_id',
        'driver_hourly_stats__conv_rate',
        'driver_hourly_stats__avg_daily_trips',
        'driver_hourly_stats__tier',
      ],
    });
    const results = short!.body.results as {
      values: unknown[];
      statuses: string[];
      event_timestamps: string[];
    }[];
    expect(results[0]).toEqual({
      values: ids,
      statuses: ids.map(() => 'PRESENT'),
      event_timestamps: ids.map(() => '1970-01-01T00:00:00Z'),
    });
    expect(results[1]!.values).toEqual([0.5, null, 0.75, null]);
    expect(results[1]!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE', 'PRESENT', 'NOT_FOUND']);
    expect(results[3]!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE', 'NULL_VALUE', 'NOT_FOUND']);
    expect(results[1]!.event_timestamps[0]).toBe(new Date(now - hour).toISOString());

    // The same entities over gRPC: the same values, statuses and times, transposed.
    const grpc = await fs.client.getOnlineFeatures({
      features,
      entityKeys: ids.map((id) => ({ joinKeys: { driver_id: v.i64(BigInt(id)) } })),
      includeEventTimes: true,
    });
    features.forEach((_, f) => {
      const column = results[f + 1]!;
      expect(column.values).toEqual(
        grpc.results.map((r) => {
          const value = plain(r.values[f]!);
          return typeof value === 'bigint' ? Number(value) : value;
        }),
      );
      expect(column.statuses).toEqual(grpc.results.map((r) => statusName[r.statuses[f]!]));
      expect(column.event_timestamps.map((t) => Date.parse(t))).toEqual(
        grpc.results.map((r) => Number(r.eventTimes[f]!.seconds) * 1000 + r.eventTimes[f]!.nanos / 1e6),
      );
    });
  });

  it("serves a feature_service and on-demand features with request data in entities, as Feast's server does", async () => {
    await fs.client.applyOnDemandFeatureView({
      onDemandFeatureView: {
        name: 'driver_adjusted',
        requestSchema: [{ name: 'val_to_add', valueType: ValueType.DOUBLE }],
        features: [
          {
            name: 'conv_rate_plus_val',
            valueType: ValueType.DOUBLE,
            expression: 'driver_hourly_stats.conv_rate + request.val_to_add',
          },
        ],
      },
    });
    await fs.client.createFeatureService({
      featureService: {
        name: 'driver_activity',
        features: ['driver_hourly_stats:conv_rate', 'driver_adjusted:conv_rate_plus_val'],
      },
    });
    const entities = { driver_id: [1001, 1003], val_to_add: [1, 2.5] };
    const [byService, byFeatures, missing, unknown] = await feastClient(fs.http, [
      {
        method: 'POST',
        path: '/get-online-features',
        body: { feature_service: 'driver_activity', entities },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features: ['driver_adjusted:conv_rate_plus_val', 'driver_hourly_stats:tier'], entities },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { feature_service: 'driver_activity', entities: { driver_id: [1001] } },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { feature_service: 'driver_activity', entities: { ...entities, colour: ['red', 'blue'] } },
      },
    ]);
    // Feast's shape: the join keys, then the features; the request data columns are not answered.
    expect(byService!.status).toBe(200);
    expect(byService!.body.metadata).toEqual({
      feature_names: ['driver_id', 'conv_rate', 'conv_rate_plus_val'],
    });
    const results = byService!.body.results as { values: unknown[]; statuses: string[] }[];
    expect(results.map((r) => r.values)).toEqual([
      [1001, 1003],
      [0.5, 0.75],
      [1.5, 3.25],
    ]);
    expect(results[2]!.statuses).toEqual(['PRESENT', 'PRESENT']);
    expect(byFeatures!.body.metadata).toEqual({ feature_names: ['driver_id', 'conv_rate_plus_val', 'tier'] });
    expect((byFeatures!.body.results as { values: unknown[] }[])[1]!.values).toEqual([1.5, 3.25]);
    // The same through gRPC (one implementation): request_data given as such.
    const grpc = await fs.client.getOnlineFeatures({
      featureService: { name: 'driver_activity' },
      entityKeys: [{ joinKeys: { driver_id: v.i64(1001n) } }, { joinKeys: { driver_id: v.i64(1003n) } }],
      requestData: [{ values: { val_to_add: v.dbl(1) } }, { values: { val_to_add: v.dbl(2.5) } }],
    });
    expect(grpc.results.map((r) => plain(r.values[1]!))).toEqual([1.5, 3.25]);
    expect([missing!.status, missing!.body.field]).toEqual([400, 'entities.val_to_add[0]']);
    expect([unknown!.status, unknown!.body.field]).toEqual([400, 'entities.colour[0]']);
    expect(unknown!.body.error).toMatch(/neither a join key .*driver_id.* nor request data .*val_to_add/);
  });

  it('answers a bad request with JSON naming the field and the HTTP status of the error', async () => {
    const answers = await feastClient(fs.http, [
      { method: 'POST', path: '/get-online-features', body: { entities: { driver_id: [1] } } },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1, 'x'] } },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver: [1] } },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { feature_service: 'no_such_service', entities: { driver_id: [1] } },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { feature_service: 7, entities: { driver_id: [1] } },
      },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features: ['nope:conv_rate'], entities: { driver_id: [1] } },
      },
      { method: 'GET', path: '/get-online-features' },
      {
        method: 'POST',
        path: '/get-online-features',
        body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1] }, project: 'x' },
      },
    ]);
    expect(answers.map((a) => [a.status, a.body.field])).toEqual([
      [400, 'features'],
      [400, 'entities.driver_id[1]'],
      [400, 'entities.driver[0]'],
      [404, 'feature_service'],
      [400, 'feature_service'],
      [404, 'features[0]'],
      [405, undefined],
      [400, 'project'],
    ]);
    for (const answer of answers) expect(answer.body.error).toEqual(expect.any(String));
    expect(answers[1]!.body.error).toMatch(/^entities\.driver_id\[1\]: expected INT64/);
  });

  it('refuses a body over FLYWHEEL_FEATURE_STORE_HTTP_MAX_BODY_BYTES with 413 before reading it whole', async () => {
    const small = await startFeatureStore({ FLYWHEEL_FEATURE_STORE_HTTP_MAX_BODY_BYTES: '2048' });
    try {
      const ids = Array.from({ length: 1000 }, (_, i) => i);
      const [huge] = await feastClient(small.http, [
        {
          method: 'POST',
          path: '/get-online-features',
          body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: ids } },
        },
      ]);
      expect(huge!.status).toBe(413);
      expect(huge!.body.error).toMatch(/larger than 2048 bytes/);
    } finally {
      await small.stop();
    }
  });
});
