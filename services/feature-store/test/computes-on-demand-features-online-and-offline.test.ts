import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FeatureStoreHarness,
  offlineEnv,
  offlineStores,
  plain,
  startFeatureStore,
  v,
} from './feature-store-harness.ts';

const trips = {
  name: 'trips',
  online: true,
  entity: { name: 'rider', joinKeys: [{ name: 'rider_id', valueType: ValueType.STRING }] },
  features: [
    { name: 'distance_km', valueType: ValueType.DOUBLE },
    { name: 'duration_min', valueType: ValueType.DOUBLE },
    { name: 'passengers', valueType: ValueType.INT64 },
    { name: 'zone', valueType: ValueType.STRING },
  ],
};

const tripDerived = {
  name: 'trip_derived',
  requestSchema: [{ name: 'tip_pct', valueType: ValueType.DOUBLE }],
  features: [
    {
      name: 'speed_kmh',
      valueType: ValueType.DOUBLE,
      expression: 'trips.distance_km / (trips.duration_min / 60.0)',
    },
    {
      name: 'fare_with_tip',
      valueType: ValueType.FLOAT,
      expression: '(2.5 + 1.7 * trips.distance_km) * (1.0 + request.tip_pct / 100.0)',
    },
    {
      name: 'busy',
      valueType: ValueType.BOOL,
      expression: 'trips.passengers > 2 && trips.zone in ["downtown", "airport"]',
    },
    { name: 'band', valueType: ValueType.STRING, expression: 'trips.distance_km > 10.0 ? "long" : "short"' },
    { name: 'per_seat', valueType: ValueType.INT64, expression: '1000 / trips.passengers' },
    { name: 'log_km', valueType: ValueType.DOUBLE, expression: 'log(sqrt(trips.distance_km) + 1.0) * 3.0' },
  ],
};

// Irrational-looking doubles, so a difference in evaluation order or rounding would show.
const riders: [string, number, number, bigint, string, number][] = [
  ['r1', 12.345678901234567, 17.3, 3n, 'downtown', 15],
  ['r2', 0.1 + 0.2, 1 / 3, 1n, 'suburb', 12.5],
  ['r3', 7.7, 9.9, 0n, 'airport', 0],
];
const eventTime = timestampFromMs(Date.now() - 3_600_000);

describe.each(offlineStores)('on-demand features (%s offline store)', (offline) => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore(offlineEnv(offline));
    await fs.client.applyFeatureView({ featureView: trips });
    await fs.client.ingest({
      featureViewName: 'trips',
      rows: riders.map(([id, km, min, seats, zone]) => ({
        entityKey: { joinKeys: { rider_id: v.str(id) } },
        eventTime,
        values: {
          distance_km: v.dbl(km),
          duration_min: v.dbl(min),
          passengers: v.i64(seats),
          zone: v.str(zone),
        },
      })),
    });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  const features = ['trip_derived:*', 'trips:zone'];

  it('applies a view whose expressions type-check, recording what they read', async () => {
    const { onDemandFeatureView, changed } = await fs.client.applyOnDemandFeatureView({
      onDemandFeatureView: tripDerived,
    });
    expect(changed).toBe(true);
    expect(onDemandFeatureView?.revision).toBe(1n);
    expect(onDemandFeatureView?.sourceFeatures).toEqual([
      'trips:distance_km',
      'trips:duration_min',
      'trips:passengers',
      'trips:zone',
    ]);
    const again = await fs.client.applyOnDemandFeatureView({ onDemandFeatureView: tripDerived });
    expect(again.changed).toBe(false);
    const listed = await fs.client.listOnDemandFeatureViews({});
    expect(listed.onDemandFeatureViews.map((o) => o.name)).toEqual(['trip_derived']);
  });

  it('gives bit-identical values online, in GetHistoricalFeatures and in a training set', async () => {
    const onlineAnswer = await fs.client.getOnlineFeatures({
      features,
      entityKeys: riders.map(([id]) => ({ joinKeys: { rider_id: v.str(id) } })),
      requestData: riders.map(([, , , , , tip]) => ({ values: { tip_pct: v.dbl(tip) } })),
    });
    const names = [
      'trip_derived:speed_kmh',
      'trip_derived:fare_with_tip',
      'trip_derived:busy',
      'trip_derived:band',
      'trip_derived:per_seat',
      'trip_derived:log_km',
      'trips:zone',
    ];
    expect(onlineAnswer.featureNames).toEqual(names);
    const online = onlineAnswer.results.map((r) => r.values.map(plain));
    const speed = (km: number, min: number) => km / (min / 60);
    expect(online[0]).toEqual([
      speed(riders[0]![1], riders[0]![2]),
      Math.fround((2.5 + 1.7 * riders[0]![1]) * (1 + 15 / 100)),
      true,
      'long',
      333n,
      Math.log(Math.sqrt(riders[0]![1]) + 1) * 3,
      'downtown',
    ]);
    // 1000 / 0 is an evaluation error: null, like a null input.
    expect(online[2]![4]).toBeNull();
    expect(onlineAnswer.results[2]!.statuses[4]).toBe(2); // NULL_VALUE

    const entityDataframe = {
      source: {
        case: 'rows' as const,
        value: {
          rows: riders.map(([id, , , , , tip]) => ({
            entityKey: { joinKeys: { rider_id: v.str(id) } },
            eventTime: timestampFromMs(Date.now()),
            columns: { tip_pct: v.dbl(tip) },
          })),
        },
      },
    };
    const historical = await fs.client.getHistoricalFeatures({ features, entityDataframe });
    expect(historical.columns).toEqual(['rider_id', 'event_time', 'tip_pct', ...names]);
    const offlineValues = historical.rows.map((r) => r.values.slice(3));
    // The same wire values (kinds and bits), online and offline.
    expect(offlineValues).toEqual(onlineAnswer.results.map((r) => r.values));

    const { trainingSet } = await fs.client.createTrainingSet({ features, entityDataframe });
    expect(trainingSet?.featureViewRevisions).toEqual({ trips: 1n, trip_derived: 1n });
    const blob = await fs.blobs.getBytes(trainingSet!.blob!.sha256);
    const lines = new TextDecoder()
      .decode(blob)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, line] of lines.entries()) {
      const fromFile = names.map((n) => line[n]);
      const fromOnline = online[i]!.map((x) => (typeof x === 'bigint' ? Number(x) : x));
      expect(fromFile).toEqual(fromOnline);
    }
  });

  it('refuses missing request data, naming it', async () => {
    await expect(
      fs.client.getOnlineFeatures({
        features: ['trip_derived:fare_with_tip'],
        entityKeys: [{ joinKeys: { rider_id: v.str('r1') } }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'request_data[0].values.tip_pct' });
    await expect(
      fs.client.getOnlineFeatures({
        features: ['trip_derived:fare_with_tip'],
        entityKeys: [{ joinKeys: { rider_id: v.str('r1') } }],
        requestData: [{ values: { tip_pct: v.str('lots') } }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'request_data[0].values.tip_pct' });
    // Features that read no request field need none.
    const speed = await fs.client.getOnlineFeatures({
      features: ['trip_derived:speed_kmh'],
      entityKeys: [{ joinKeys: { rider_id: v.str('r2') } }],
    });
    expect(plain(speed.results[0]!.values[0])).toBe(riders[1]![1] / (riders[1]![2] / 60));
    await expect(
      fs.client.getHistoricalFeatures({
        features: ['trip_derived:fare_with_tip'],
        entityDataframe: {
          source: {
            case: 'rows',
            value: {
              rows: [
                {
                  entityKey: { joinKeys: { rider_id: v.str('r1') } },
                  eventTime: timestampFromMs(Date.now()),
                },
              ],
            },
          },
        },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'entity_dataframe',
      message: expect.stringContaining('"tip_pct"'),
    });
  });

  it('refuses expressions that do not parse or type-check, naming the field and column', async () => {
    const bad = async (expression: string, valueType = ValueType.DOUBLE) =>
      fs.client.applyOnDemandFeatureView({
        onDemandFeatureView: {
          name: 'bad',
          features: [
            { name: 'x', valueType: ValueType.DOUBLE },
            { name: 'y', valueType, expression },
          ].slice(1),
        },
      });
    const field = 'on_demand_feature_view.features[0].expression';
    const cases: [string, string, ValueType?][] = [
      [
        'trips.distance_km * 2',
        `${field}: at column 19: double * int is not defined: write 2.0 or double(x)`,
      ],
      ['trips.distance_km +', `${field}: does not parse: at line 1, column 19:`],
      ['trips.speed + 1.0', `${field}: at column 1: trips.speed is not a feature of a feature view`],
      ['request.tip * 1.0', `${field}: at column 1: request.tip is not in the request_schema`],
      ['trips.zone', `${field}: is string, but the feature is DOUBLE`],
      ['system("rm -rf /")', `${field}: at column 1: unknown function system()`],
      ['[1.0, 2.0]', `${field}: at column 1: lists may not be used here`],
      [
        'trips.zone.size() > 3 ? 1.0 : "x"',
        `${field}: at column 1: both branches of ?: must have one type, got double and string`,
      ],
    ];
    for (const [expression, message] of cases) {
      await expect(bad(expression), expression).rejects.toMatchObject({
        code: 'invalid_argument',
        field,
        message: expect.stringContaining(message),
      });
    }
    await expect(bad('1.0', ValueType.TIMESTAMP)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'on_demand_feature_view.features[0].value_type',
    });
    await expect(
      fs.client.applyOnDemandFeatureView({
        onDemandFeatureView: {
          name: 'trips',
          features: [{ name: 'x', valueType: ValueType.DOUBLE, expression: '1.0' }],
        },
      }),
    ).rejects.toMatchObject({ code: 'already_exists', field: 'on_demand_feature_view.name' });
    await expect(
      fs.client.applyFeatureView({ featureView: { ...trips, name: 'trip_derived' } }),
    ).rejects.toMatchObject({ code: 'already_exists', field: 'feature_view.name' });
    await expect(fs.client.getOnDemandFeatureView({ name: 'bad' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
