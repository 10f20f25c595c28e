import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { blobUri } from '@flywheel/blobs';
import { dlqHeaders } from '@flywheel/bus';
import { fromWireMessage } from '@flywheel/events';
import { weatherDailyView, weatherDatasetName } from '@flywheel/example-weather';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FeatureStoreHarness,
  offlineEnv,
  offlineStores,
  plain,
  startFeatureStore,
  ts,
  v,
} from './feature-store-harness.ts';

/** The bytes of a Parquet file holding what `select` returns, written by DuckDB. */
async function parquetOf(select: string): Promise<Uint8Array> {
  const path = join(tmpdir(), `flywheel-test-${randomUUID()}.parquet`);
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    await connection.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
    connection.closeSync();
    return new Uint8Array(await readFile(path));
  } finally {
    instance.closeSync();
    await rm(path, { force: true });
  }
}

const parquetView = {
  ...weatherDailyView,
  source: {
    kind: { case: 'batch' as const, value: { dataset: weatherDatasetName, format: DatasetFormat.PARQUET } },
  },
};

describe.each(offlineStores)('Parquet datasets (%s offline store)', (offline) => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore(offlineEnv(offline));
    await fs.client.applyFeatureView({ featureView: parquetView });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  const deadLetterOf = (eventId: string) =>
    waitFor(
      () => {
        const message = fs.bus.retained('dataset.arrived.dlq').find((m) => fromWireMessage(m).id === eventId);
        return message?.headers[dlqHeaders.reason];
      },
      { what: `dataset.arrived ${eventId} in the DLQ` },
    );
  const lastArrivedId = () => fromWireMessage(fs.bus.retained('dataset.arrived').at(-1)!).id;

  it('ingests a Parquet dataset.arrived into a view with a Parquet batch source', async () => {
    const bytes = await parquetOf(
      `SELECT * FROM (VALUES
         ('seattle', TIMESTAMP '2012-01-01 00:00:00', 12.8::DOUBLE, 5::INTEGER, 4.7::FLOAT, 1::BIGINT),
         ('seattle', TIMESTAMP '2012-01-02 00:00:00.000001', 10.6::DOUBLE, NULL, 4.5::FLOAT, 2::BIGINT),
         ('portland', TIMESTAMP '2012-01-01 00:00:00', 9.0::DOUBLE, 3::INTEGER, NULL, 3::BIGINT)
       ) t(station, event_time, temp_max, temp_min, wind, extra)`,
    );
    await fs.publishDataset(weatherDatasetName, bytes, DatasetFormat.PARQUET);
    const historical = () =>
      fs.client.getHistoricalFeatures({
        features: ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'],
        entityDataframe: {
          source: {
            case: 'rows',
            value: {
              rows: [
                {
                  entityKey: { joinKeys: { station: v.str('seattle') } },
                  eventTime: ts('2012-01-02T00:00:00Z'),
                },
                {
                  entityKey: { joinKeys: { station: v.str('seattle') } },
                  eventTime: ts('2012-01-02T00:00:00.001Z'),
                },
                // 3-day TTL: the 01-01 row still counts on 01-03
                {
                  entityKey: { joinKeys: { station: v.str('portland') } },
                  eventTime: ts('2012-01-03T00:00:00Z'),
                },
              ],
            },
          },
        },
      });
    const result = await waitFor(
      async () => {
        const got = await historical();
        return plain(got.rows[0]?.values[2]) === null ? undefined : got;
      },
      { what: 'the Parquet rows in the offline store' },
    );
    // 00:00:00.000001 rounds up to .001 ms, as JSON Lines times do; FLOAT 4.5 is exact.
    expect(result.rows.map((r) => r.values.map(plain))).toEqual([
      ['seattle', '2012-01-02T00:00:00.000Z', 12.8, 5, expect.closeTo(4.7, 5)],
      ['seattle', '2012-01-02T00:00:00.001Z', 10.6, null, 4.5],
      ['portland', '2012-01-03T00:00:00.000Z', 9, 3, null],
    ]);
  });

  it("ingests a Parquet batch source's uri on Materialize, refusing a bad row by row and column", async () => {
    const view = (uri: string) => ({
      featureView: {
        name: 'parquet_prices',
        entity: { name: 'item', joinKeys: [{ name: 'sku', valueType: ValueType.STRING }] },
        features: [
          { name: 'price', valueType: ValueType.DOUBLE },
          { name: 'stock', valueType: ValueType.INT64 },
        ],
        source: {
          kind: {
            case: 'batch' as const,
            value: { dataset: 'parquet-prices', uri, format: DatasetFormat.PARQUET },
          },
        },
        online: true,
      },
    });
    const materialize = () => fs.client.materialize({ featureViewNames: ['parquet_prices'] });
    const bad = await fs.blobs.put(
      await parquetOf(`SELECT * FROM (VALUES ('a', now() - INTERVAL 2 HOUR, 1.5, 3), (NULL, now() - INTERVAL 1 HOUR, 2.5, 4))
                       t(sku, event_time, price, stock)`),
    );
    await fs.client.applyFeatureView(view(blobUri(bad.sha256)));
    await expect(materialize()).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('line 2.sku: is required'),
    });
    const good = await fs.blobs.put(
      await parquetOf(`SELECT * FROM (VALUES
         ('a', TIMESTAMP '2025-06-01 10:00:00', 1.5, 3),
         ('a', TIMESTAMP '2025-06-01 11:00:00.000001', 2.5, NULL),
         ('b', TIMESTAMP '2025-06-01 12:00:00', NULL, 9007199254740991)
       ) t(sku, event_time, price, stock)`),
    );
    await fs.client.applyFeatureView(view(blobUri(good.sha256)));
    await materialize();
    const online = await fs.client.getOnlineFeatures({
      features: ['parquet_prices:price', 'parquet_prices:stock'],
      entityKeys: [{ joinKeys: { sku: v.str('a') } }, { joinKeys: { sku: v.str('b') } }],
    });
    expect(online.results.map((r) => r.values.map(plain))).toEqual([
      [2.5, null],
      [null, 9007199254740991n],
    ]);
    // 11:00:00.000001 rounds up to 11:00:00.001, as JSON Lines times do.
    const offline = await fs.client.getHistoricalFeatures({
      features: ['parquet_prices:price'],
      entityDataframe: {
        source: {
          case: 'rows',
          value: {
            rows: ['2025-06-01T11:00:00Z', '2025-06-01T11:00:00.001Z'].map((t) => ({
              entityKey: { joinKeys: { sku: v.str('a') } },
              eventTime: ts(t),
            })),
          },
        },
      },
    });
    expect(offline.rows.map((r) => plain(r.values[2]))).toEqual([1.5, 2.5]);
  });

  it('refuses a Parquet batch source with an event time in year 9999, naming the row, instead of pinning the value', async () => {
    const far = await fs.blobs.put(
      await parquetOf(`SELECT * FROM (VALUES ('a', now() - INTERVAL 1 HOUR, 1.5), ('a', TIMESTAMP '9999-12-31 00:00:00', 9.5))
                       t(sku, event_time, price)`),
    );
    await fs.client.applyFeatureView({
      featureView: {
        name: 'far_prices',
        entity: { name: 'item', joinKeys: [{ name: 'sku', valueType: ValueType.STRING }] },
        features: [{ name: 'price', valueType: ValueType.DOUBLE }],
        source: {
          kind: {
            case: 'batch' as const,
            value: { dataset: 'far-prices', uri: blobUri(far.sha256), format: DatasetFormat.PARQUET },
          },
        },
        online: true,
      },
    });
    await expect(fs.client.materialize({ featureViewNames: ['far_prices'] })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('line 2.event_time: 9999-12-31T00:00:00.000Z is later than now + 24h'),
    });
    const online = await fs.client.getOnlineFeatures({
      features: ['far_prices:price'],
      entityKeys: [{ joinKeys: { sku: v.str('a') } }],
    });
    expect(online.results.map((r) => r.values.map(plain))).toEqual([[null]]);
  });

  it('dead-letters a Parquet file of the wrong schema, naming the column', async () => {
    await fs.publishDataset(
      weatherDatasetName,
      await parquetOf(`SELECT 'seattle' AS city, TIMESTAMP '2012-01-01' AS event_time, 1.0::DOUBLE AS wind`),
      DatasetFormat.PARQUET,
    );
    expect(await deadLetterOf(lastArrivedId())).toContain('column station: is missing');

    await fs.publishDataset(
      weatherDatasetName,
      await parquetOf(`SELECT 'seattle' AS station, TIMESTAMP '2012-01-01' AS event_time, 'gusty' AS wind`),
      DatasetFormat.PARQUET,
    );
    expect(await deadLetterOf(lastArrivedId())).toContain('line 1.wind: expected DOUBLE, got "gusty"');

    await fs.publishDataset(
      weatherDatasetName,
      await parquetOf(`SELECT 'seattle' AS station, TIMESTAMP '2012-01-01' AS event_time, {'a': 1} AS wind`),
      DatasetFormat.PARQUET,
    );
    expect(await deadLetterOf(lastArrivedId())).toContain('column wind: has Parquet type STRUCT');

    await fs.publishDataset(weatherDatasetName, new TextEncoder().encode('{"a":1}\n'), DatasetFormat.PARQUET);
    expect(await deadLetterOf(lastArrivedId())).toContain('the file is not readable Parquet');
  });
});
