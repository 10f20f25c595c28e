import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, plain, startFeatureStore, v } from './feature-store-harness.ts';

const stations = {
  name: 'stations',
  online: true,
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: [
    { name: 'temp_max', valueType: ValueType.DOUBLE },
    { name: 'temp_min', valueType: ValueType.DOUBLE },
  ],
};
const spread = {
  name: 'station_spread',
  features: [
    { name: 'spread', valueType: ValueType.DOUBLE, expression: 'stations.temp_max - stations.temp_min' },
  ],
};
const entityDataframe = {
  source: {
    case: 'rows' as const,
    value: {
      rows: [
        { entityKey: { joinKeys: { station: v.str('seattle') } }, eventTime: timestampFromMs(Date.now()) },
      ],
    },
  },
};

describe('feature services', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
    await fs.client.applyFeatureView({ featureView: stations });
    await fs.client.applyOnDemandFeatureView({ onDemandFeatureView: spread });
    await fs.client.ingest({
      featureViewName: 'stations',
      rows: [
        {
          entityKey: { joinKeys: { station: v.str('seattle') } },
          eventTime: timestampFromMs(Date.now() - 60_000),
          values: { temp_max: v.dbl(14.5), temp_min: v.dbl(6.25) },
        },
      ],
    });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('adds an immutable version only when the definition changes', async () => {
    const first = await fs.client.createFeatureService({
      featureService: { name: 'rain_model', features: ['stations:*'] },
    });
    expect(first.created).toBe(true);
    expect(first.featureService).toMatchObject({
      version: 1n,
      features: ['stations:temp_max', 'stations:temp_min'],
    });
    const same = await fs.client.createFeatureService({
      featureService: { name: 'rain_model', features: ['stations:temp_max', 'stations:temp_min'] },
    });
    expect(same.created).toBe(false);
    expect(same.featureService?.version).toBe(1n);
    const second = await fs.client.createFeatureService({
      featureService: { name: 'rain_model', features: ['stations:temp_max', 'station_spread:spread'] },
    });
    expect(second).toMatchObject({ created: true, featureService: { version: 2n } });
    const v1 = await fs.client.getFeatureService({ name: 'rain_model', version: 1n });
    expect(v1.featureService?.features).toEqual(['stations:temp_max', 'stations:temp_min']);
    const latest = await fs.client.getFeatureService({ name: 'rain_model' });
    expect(latest.featureService?.version).toBe(2n);
    const versions = await fs.client.listFeatureServices({ name: 'rain_model' });
    expect(versions.featureServices.map((s) => s.version)).toEqual([1n, 2n]);
    const all = await fs.client.listFeatureServices({});
    expect(all.featureServices.map((s) => [s.name, s.version])).toEqual([['rain_model', 2n]]);
    await expect(fs.client.getFeatureService({ name: 'rain_model', version: 9n })).rejects.toMatchObject({
      code: 'not_found',
      field: 'name',
    });
    await expect(
      fs.client.createFeatureService({ featureService: { name: 'broken', features: ['stations:nope'] } }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'feature_service.features[0]' });
  });

  it('serves its features online and offline instead of a feature list', async () => {
    const online = await fs.client.getOnlineFeatures({
      featureService: { name: 'rain_model', version: 2n },
      entityKeys: [{ joinKeys: { station: v.str('seattle') } }],
    });
    expect(online.featureNames).toEqual(['stations:temp_max', 'station_spread:spread']);
    expect(online.results[0]!.values.map(plain)).toEqual([14.5, 8.25]);
    const historical = await fs.client.getHistoricalFeatures({
      featureService: { name: 'rain_model', version: 1n },
      entityDataframe,
    });
    expect(historical.columns).toEqual(['station', 'event_time', 'stations:temp_max', 'stations:temp_min']);
    expect(historical.rows[0]!.values.slice(2).map(plain)).toEqual([14.5, 6.25]);
    await expect(
      fs.client.getOnlineFeatures({
        features: ['stations:temp_max'],
        featureService: { name: 'rain_model' },
        entityKeys: [{ joinKeys: { station: v.str('seattle') } }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'feature_service' });
    await expect(fs.client.getHistoricalFeatures({ entityDataframe })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'features',
    });
    await expect(
      fs.client.getOnlineFeatures({
        featureService: { name: 'unknown_service' },
        entityKeys: [{ joinKeys: { station: v.str('seattle') } }],
      }),
    ).rejects.toMatchObject({ code: 'not_found', field: 'feature_service' });
  });

  it('records the resolved name and version in the training set it builds', async () => {
    const { trainingSet } = await fs.client.createTrainingSet({
      featureService: { name: 'rain_model' },
      entityDataframe,
      requestId: 'run-1/training-set',
    });
    expect(trainingSet?.featureService).toMatchObject({ name: 'rain_model', version: 2n });
    expect(trainingSet?.features).toEqual(['stations:temp_max', 'station_spread:spread']);
    const again = await fs.client.getTrainingSet({ trainingSetId: trainingSet!.id });
    expect(again.trainingSet?.featureService).toMatchObject({ name: 'rain_model', version: 2n });
  });
});
