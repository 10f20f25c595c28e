import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { weatherDailyView, weatherLabelsView } from '@flywheel/example-weather';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, startFeatureStore, ts, v } from './feature-store-harness.ts';

const driverView = {
  name: 'driver_stats',
  team: 'rides',
  description: 'hourly driver stats',
  entity: { name: 'driver', joinKeys: [{ name: 'driver_id', valueType: ValueType.INT64 }] },
  features: [
    { name: 'conv_rate', valueType: ValueType.DOUBLE },
    { name: 'trips', valueType: ValueType.INT64 },
  ],
  ttl: durationFromMs(2 * 3600_000),
  online: true,
  labels: { tier: 'gold' },
};

describe('feature view catalog', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('creates a view at revision 1, keeps it on an identical apply, bumps it on a change', async () => {
    const created = await fs.client.applyFeatureView({ featureView: driverView });
    expect(created.changed).toBe(true);
    expect(created.featureView?.revision).toBe(1n);
    expect(created.featureView?.features.map((f) => [f.name, f.valueType])).toEqual([
      ['conv_rate', ValueType.DOUBLE],
      ['trips', ValueType.INT64],
    ]);
    expect(created.featureView?.ttl?.seconds).toBe(7200n);
    expect(created.featureView?.audit?.createTime).toBeDefined();

    const again = await fs.client.applyFeatureView({ featureView: driverView });
    expect(again.changed).toBe(false);
    expect(again.featureView?.revision).toBe(1n);

    const updated = await fs.client.applyFeatureView({
      featureView: { ...driverView, description: 'hourly driver stats, v2' },
    });
    expect(updated.changed).toBe(true);
    expect(updated.featureView?.revision).toBe(2n);

    const got = await fs.client.getFeatureView({ featureViewName: 'driver_stats' });
    expect(got.featureView?.description).toBe('hourly driver stats, v2');
    expect(got.featureView?.entity?.joinKeys[0]?.name).toBe('driver_id');
    expect(got.featureView?.labels).toEqual({ tier: 'gold' });
    expect(got.featureView?.team).toBe('rides');
  });

  it('lists views by team and entity, a page at a time', async () => {
    await fs.client.applyFeatureView({ featureView: weatherDailyView });
    await fs.client.applyFeatureView({ featureView: weatherLabelsView });
    const all = await fs.client.listFeatureViews({});
    expect(all.featureViews.map((f) => f.name)).toEqual(['driver_stats', 'weather_daily', 'weather_labels']);

    const weather = await fs.client.listFeatureViews({ team: 'weather' });
    expect(weather.featureViews.map((f) => f.name)).toEqual(['weather_daily', 'weather_labels']);
    const drivers = await fs.client.listFeatureViews({ entityName: 'driver' });
    expect(drivers.featureViews.map((f) => f.name)).toEqual(['driver_stats']);

    const first = await fs.client.listFeatureViews({ pageSize: 2 });
    expect(first.featureViews.map((f) => f.name)).toEqual(['driver_stats', 'weather_daily']);
    expect(first.nextPageToken).not.toBe('');
    const second = await fs.client.listFeatureViews({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.featureViews.map((f) => f.name)).toEqual(['weather_labels']);
    expect(second.nextPageToken).toBe('');

    await expect(fs.client.listFeatureViews({ pageToken: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'page_token',
    });
  });

  it('names the field of a definition it cannot accept', async () => {
    const cases: [unknown, string][] = [
      [{ ...driverView, features: [{ name: 'x', valueType: 42 }] }, 'feature_view.features[0].value_type'],
      [
        {
          ...driverView,
          features: [
            { name: 'x', valueType: ValueType.DOUBLE },
            { name: 'x', valueType: ValueType.INT64 },
          ],
        },
        'feature_view.features[1].name',
      ],
      [
        {
          ...driverView,
          entity: { name: 'driver', joinKeys: [{ name: 'driver_id', valueType: ValueType.DOUBLE }] },
        },
        'feature_view.entity.join_keys[0].value_type',
      ],
      [
        { ...driverView, features: [{ name: 'driver_id', valueType: ValueType.DOUBLE }] },
        'feature_view.features[0].name',
      ],
      [{ ...driverView, name: 'Driver Stats' }, 'feature_view.name'],
      [{ ...driverView, features: [] }, 'feature_view.features'],
      [
        { ...driverView, source: { kind: { case: 'batch', value: { dataset: '' } } } },
        'feature_view.source.batch.dataset',
      ],
      [
        { ...driverView, source: { fieldMapping: { col_a: 'nope' } } },
        'feature_view.source.field_mapping[col_a]',
      ],
    ];
    for (const [featureView, field] of cases) {
      await expect(
        fs.client.applyFeatureView({ featureView: featureView as typeof driverView }),
        field,
      ).rejects.toMatchObject({ code: 'invalid_argument', field, message: expect.stringContaining(field) });
    }
    await expect(fs.client.applyFeatureView({})).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view',
    });
  });

  it('refuses to change a feature type or the join keys once the view holds data', async () => {
    await fs.client.ingest({
      featureViewName: 'driver_stats',
      rows: [
        {
          entityKey: { joinKeys: { driver_id: v.i64(1n) } },
          eventTime: ts('2024-05-01T10:00:00Z'),
          values: { trips: v.i64(3n) },
        },
      ],
    });
    await expect(
      fs.client.applyFeatureView({
        featureView: {
          ...driverView,
          features: [
            { name: 'conv_rate', valueType: ValueType.DOUBLE },
            { name: 'trips', valueType: ValueType.STRING },
          ],
        },
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition', field: 'feature_view.features[1].value_type' });
    await expect(
      fs.client.applyFeatureView({
        featureView: {
          ...driverView,
          entity: { name: 'driver', joinKeys: [{ name: 'driver', valueType: ValueType.STRING }] },
        },
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    // Adding a feature is fine.
    const added = await fs.client.applyFeatureView({
      featureView: {
        ...driverView,
        features: [...driverView.features, { name: 'rating', valueType: ValueType.FLOAT }],
      },
    });
    expect(added.changed).toBe(true);
  });

  it('deletes a view with its values', async () => {
    await fs.client.deleteFeatureView({ featureViewName: 'driver_stats' });
    await expect(fs.client.getFeatureView({ featureViewName: 'driver_stats' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('driver_stats'),
    });
    await expect(fs.client.deleteFeatureView({ featureViewName: 'driver_stats' })).rejects.toMatchObject({
      code: 'not_found',
    });
    // Re-created, it starts empty and at revision 1.
    const again = await fs.client.applyFeatureView({ featureView: driverView });
    expect(again.featureView?.revision).toBe(1n);
    const online = await fs.client.getOnlineFeatures({
      features: ['driver_stats:trips'],
      entityKeys: [{ joinKeys: { driver_id: v.i64(1n) } }],
    });
    expect(online.results[0]?.statuses).toEqual([FeatureStatus.NOT_FOUND]);
  });
});
