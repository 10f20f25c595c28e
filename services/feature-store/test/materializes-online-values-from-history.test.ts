import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStatus, WriteTarget } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, plain, startFeatureStore, v } from './feature-store-harness.ts';

const hour = 3600_000;

describe('Materialize', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
    await fs.client.applyFeatureView({
      featureView: {
        name: 'item_prices',
        entity: { name: 'item', joinKeys: [{ name: 'sku', valueType: ValueType.STRING }] },
        features: [{ name: 'price', valueType: ValueType.DOUBLE }],
        online: true,
      },
    });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  const price = async (sku: string) =>
    (
      await fs.client.getOnlineFeatures({
        features: ['item_prices:price'],
        entityKeys: [{ joinKeys: { sku: v.str(sku) } }],
      })
    ).results[0]!;

  it('copies the latest offline value per entity within the window to the online store', async () => {
    const t0 = Date.now() - 10 * hour;
    const at = (h: number) => timestampFromMs(t0 + h * hour);
    const row = (sku: string, h: number, value: number) => ({
      entityKey: { joinKeys: { sku: v.str(sku) } },
      eventTime: at(h),
      values: { price: v.dbl(value) },
    });
    await fs.client.ingest({
      featureViewName: 'item_prices',
      target: WriteTarget.OFFLINE,
      rows: [row('a', 0, 1.0), row('a', 2, 2.0), row('a', 5, 5.0), row('b', 1, 10.0)],
    });
    expect((await price('a')).statuses).toEqual([FeatureStatus.NOT_FOUND]);

    const first = await fs.client.materialize({
      featureViewNames: ['item_prices'],
      startTime: at(0),
      endTime: at(3),
    });
    expect(first.results).toHaveLength(1);
    expect(first.results[0]?.rowsWritten).toBe(2n);
    expect((await price('a')).values.map(plain)).toEqual([2.0]);
    expect((await price('b')).values.map(plain)).toEqual([10.0]);
    // The offline ingest announced its rows; the materialization announces its window.
    const event = await waitFor(
      () => fs.events(FeaturesMaterializedSchema).find((e) => e.endTime?.seconds === at(3).seconds),
      { what: 'features.materialized of the window' },
    );
    expect(event.featureViewName).toBe('item_prices');
    expect(event.startTime).toEqual(at(0));
    expect(event.endTime).toEqual(at(3));
    expect(event.rowsWritten).toBe(2n);

    // No start: since the last materialization, up to now.
    const second = await fs.client.materialize({});
    expect(second.results.map((r) => [r.featureViewName, r.startTime, r.rowsWritten])).toEqual([
      ['item_prices', at(3), 1n],
    ]);
    expect((await price('a')).values.map(plain)).toEqual([5.0]);

    // An older window never regresses what is online.
    const third = await fs.client.materialize({
      featureViewNames: ['item_prices'],
      startTime: at(0),
      endTime: at(1),
    });
    expect(third.results[0]?.rowsWritten).toBe(0n);
    expect((await price('a')).values.map(plain)).toEqual([5.0]);
  });

  it('names what is wrong with a request', async () => {
    await expect(fs.client.materialize({ featureViewNames: ['nope'] })).rejects.toMatchObject({
      code: 'not_found',
      field: 'feature_view_names[0]',
    });
    await expect(
      fs.client.materialize({
        featureViewNames: ['item_prices'],
        startTime: timestampFromMs(2000),
        endTime: timestampFromMs(1000),
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'end_time' });
  });
});
