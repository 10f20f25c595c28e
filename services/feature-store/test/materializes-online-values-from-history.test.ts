import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
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

  it("ingests the batch source's uri first, once, and refuses one it could not read", async () => {
    const shelf = (uri: string, online = true) => ({
      featureView: {
        name: 'shelf_prices',
        entity: { name: 'item', joinKeys: [{ name: 'sku', valueType: ValueType.STRING }] },
        features: [{ name: 'price', valueType: ValueType.DOUBLE }],
        source: {
          kind: {
            case: 'batch' as const,
            value: { dataset: 'shelf-prices', uri, format: DatasetFormat.JSONL },
          },
        },
        online,
      },
    });
    await expect(fs.client.applyFeatureView(shelf('s3://prices/*.jsonl'))).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view.source.batch.uri',
    });
    const at = new Date(Date.now() - hour).toISOString();
    const ref = await fs.blobs.put(
      new TextEncoder().encode(
        `${JSON.stringify({ sku: 's1', event_time: at, price: 3.5 })}\n${JSON.stringify({ sku: 's2', event_time: at, price: 4 })}\n`,
      ),
    );
    await expect(fs.client.applyFeatureView(shelf(blobUri(ref.sha256), false))).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view.source.batch.uri',
      message: expect.stringMatching(/only online views/),
    });
    await fs.client.applyFeatureView(shelf(blobUri(ref.sha256)));
    const {
      results: [result],
    } = await fs.client.materialize({ featureViewNames: ['shelf_prices'] });
    expect(result?.rowsWritten).toBe(2n);
    const online = await fs.client.getOnlineFeatures({
      features: ['shelf_prices:price'],
      entityKeys: [{ joinKeys: { sku: v.str('s1') } }, { joinKeys: { sku: v.str('s2') } }],
    });
    expect(online.results.map((r) => plain(r.values[0]))).toEqual([3.5, 4]);
    // Ingested once: the offline history holds the file's two rows, not four (its rows as an
    // entity dataframe, joined with another view's feature of the same key).
    await fs.client.materialize({ featureViewNames: ['shelf_prices'] });
    const history = await fs.client.getHistoricalFeatures({
      features: ['item_prices:price'],
      entityDataframe: {
        source: { case: 'viewHistory', value: { featureViewName: 'shelf_prices' } },
      },
    });
    expect(history.rows).toHaveLength(2);

    // A uri naming no blob: Materialize says which view and uri.
    const missing = blobUri('0'.repeat(64));
    await fs.client.applyFeatureView(shelf(missing));
    await expect(fs.client.materialize({ featureViewNames: ['shelf_prices'] })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining(`feature view shelf_prices: source.batch.uri ${missing}`),
    });
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
