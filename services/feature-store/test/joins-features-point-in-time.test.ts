import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { DuckDBInstance } from '@duckdb/node-api';
import { blobUri, parseBlobUri } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetTable } from '../src/datasets/parquet-table.ts';
import {
  type FeatureStoreHarness,
  offlineEnv,
  offlineStores,
  plain,
  startFeatureStore,
  ts,
  v,
} from './feature-store-harness.ts';

const driverStats = {
  name: 'driver_stats',
  entity: { name: 'driver', joinKeys: [{ name: 'driver_id', valueType: ValueType.INT64 }] },
  features: [
    { name: 'conv_rate', valueType: ValueType.DOUBLE },
    { name: 'trips', valueType: ValueType.INT64 },
  ],
  ttl: durationFromMs(2 * 3600_000),
};
const driverProfile = {
  name: 'driver_profile',
  entity: { name: 'driver', joinKeys: [{ name: 'driver_id', valueType: ValueType.INT64 }] },
  features: [{ name: 'city', valueType: ValueType.STRING }],
};

const row = (driver: bigint, time: string, values: Record<string, ReturnType<typeof v.dbl>>) => ({
  entityKey: { joinKeys: { driver_id: v.i64(driver) } },
  eventTime: ts(time),
  values,
});

// Label times and the table a point-in-time join must produce for them.
const labels: [bigint, string, number][] = [
  [1001n, '2024-05-01T10:00:00Z', 1],
  [1001n, '2024-05-01T12:00:00Z', 0],
  [1001n, '2024-05-01T13:30:00Z', 1],
  [1002n, '2024-05-01T12:00:00Z', 0],
  [1002n, '2024-05-01T12:30:00Z', 1],
  [1003n, '2024-05-01T12:00:00Z', 0],
  [1001n, '2024-05-01T09:59:59.999Z', 1],
];
const columns = [
  'driver_id',
  'event_time',
  'completed',
  'driver_stats:conv_rate',
  'driver_stats:trips',
  'driver_profile:city',
];
const expected = [
  // a value at exactly the label's time is used
  [1001n, '2024-05-01T10:00:00.000Z', 1, 0.5, 3n, 'paris'],
  // the 11:00 value, as corrected by a later write of the same time; the 14:00 value is the future
  [1001n, '2024-05-01T12:00:00.000Z', 0, 0.65, 6n, 'paris'],
  // the 11:00 value is 2.5 h old: past the 2 h TTL
  [1001n, '2024-05-01T13:30:00.000Z', 1, null, null, 'paris'],
  // 09:00 is past the TTL; the 12:15 city is after the label
  [1002n, '2024-05-01T12:00:00.000Z', 0, null, null, null],
  // the 12:30 row left trips out: null offline
  [1002n, '2024-05-01T12:30:00.000Z', 1, 0.3, null, 'rome'],
  [1003n, '2024-05-01T12:00:00.000Z', 0, null, null, null],
  [1001n, '2024-05-01T09:59:59.999Z', 1, null, null, 'paris'],
];

describe.each(offlineStores)('point-in-time correct retrieval (%s offline store)', (offline) => {
  let fs: FeatureStoreHarness;
  let oldChunk: string;
  beforeAll(async () => {
    fs = await startFeatureStore(offlineEnv(offline));
    await fs.client.applyFeatureView({ featureView: driverStats });
    await fs.client.applyFeatureView({ featureView: driverProfile });
    const before = new Set<string>();
    for await (const blob of fs.blobs.list()) before.add(blob.sha256);
    // Last year's history: outside every label's TTL window.
    await fs.client.ingest({
      featureViewName: 'driver_stats',
      rows: [row(1001n, '2023-05-01T10:00:00Z', { conv_rate: v.dbl(0.01), trips: v.i64(99n) })],
    });
    for await (const blob of fs.blobs.list()) if (!before.has(blob.sha256)) oldChunk = blob.sha256;
    await fs.client.ingest({
      featureViewName: 'driver_stats',
      rows: [
        row(1001n, '2024-05-01T10:00:00Z', { conv_rate: v.dbl(0.5), trips: v.i64(3n) }),
        row(1001n, '2024-05-01T11:00:00Z', { conv_rate: v.dbl(0.6), trips: v.i64(5n) }),
        row(1002n, '2024-05-01T09:00:00Z', { conv_rate: v.dbl(0.2), trips: v.i64(1n) }),
      ],
    });
    await fs.client.ingest({
      featureViewName: 'driver_stats',
      rows: [
        row(1001n, '2024-05-01T14:00:00Z', { conv_rate: v.dbl(0.9), trips: v.i64(9n) }),
        row(1002n, '2024-05-01T12:30:00Z', { conv_rate: v.dbl(0.3) }),
      ],
    });
    // A late correction of the 11:00 value.
    await fs.client.ingest({
      featureViewName: 'driver_stats',
      rows: [row(1001n, '2024-05-01T11:00:00Z', { conv_rate: v.dbl(0.65), trips: v.i64(6n) })],
    });
    await fs.client.ingest({
      featureViewName: 'driver_profile',
      rows: [
        row(1001n, '2024-01-01T00:00:00Z', { city: v.str('paris') }),
        row(1002n, '2024-05-01T12:15:00Z', { city: v.str('rome') }),
      ],
    });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  const features = ['driver_stats:conv_rate', 'driver_stats:trips', 'driver_profile:city'];

  it('joins the latest value at or before each row, within the TTL, never a later one', async () => {
    const result = await fs.client.getHistoricalFeatures({
      features,
      entityDataframe: {
        source: {
          case: 'rows',
          value: {
            rows: labels.map(([driver, time, completed]) => ({
              entityKey: { joinKeys: { driver_id: v.i64(driver) } },
              eventTime: ts(time),
              columns: { completed: v.dbl(completed) },
            })),
          },
        },
      },
    });
    expect(result.columns).toEqual(columns);
    expect(result.rows.map((r) => r.values.map(plain))).toEqual(expected);
  });

  it('reads only the chunks whose event times can matter', async () => {
    // The 2023 chunk is gone from the blob store; rows of 2024 with a 2 h TTL never need it.
    expect(oldChunk).toBeDefined();
    expect(await fs.blobs.delete(oldChunk)).toBe(true);
    const result = await fs.client.getHistoricalFeatures({
      features: ['driver_stats:conv_rate'],
      entityDataframe: {
        source: {
          case: 'rows',
          value: {
            rows: [
              { entityKey: { joinKeys: { driver_id: v.i64(1001n) } }, eventTime: ts('2024-05-01T10:30:00Z') },
            ],
          },
        },
      },
    });
    expect(result.rows[0]?.values.map(plain)).toEqual([1001n, '2024-05-01T10:30:00.000Z', 0.5]);
    // A row from 2023 does need it, and the missing blob is reported, not silently skipped.
    await expect(
      fs.client.getHistoricalFeatures({
        features: ['driver_stats:conv_rate'],
        entityDataframe: {
          source: {
            case: 'rows',
            value: {
              rows: [
                {
                  entityKey: { joinKeys: { driver_id: v.i64(1001n) } },
                  eventTime: ts('2023-05-01T11:00:00Z'),
                },
              ],
            },
          },
        },
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('takes the entity dataframe from a CSV dataset and writes the same table as a training set', async () => {
    const csv = [
      'driver_id,event_time,completed',
      ...labels.map(([driver, time, completed]) => `${driver},${time},${completed}`),
    ].join('\r\n');
    const ref = await fs.blobs.put(new TextEncoder().encode(csv));
    const entityDataframe = {
      source: { case: 'dataset' as const, value: { uri: blobUri(ref.sha256), format: DatasetFormat.CSV } },
    };
    const inline = await fs.client.getHistoricalFeatures({ features, entityDataframe });
    expect(inline.columns).toEqual(columns);
    expect(inline.rows.map((r) => r.values.map(plain))).toEqual(expected);

    const { trainingSet } = await fs.client.createTrainingSet({
      features,
      entityDataframe,
      name: 'drivers-w18',
      requestId: 'run-1/training-set',
    });
    expect(trainingSet?.id).toMatch(/^ts_/);
    expect(trainingSet?.columns).toEqual(columns);
    expect(trainingSet?.rowCount).toBe(7n);
    expect(trainingSet?.format).toBe(DatasetFormat.JSONL);
    expect(trainingSet?.minEventTime).toEqual(ts('2024-05-01T09:59:59.999Z'));
    expect(trainingSet?.maxEventTime).toEqual(ts('2024-05-01T13:30:00Z'));
    expect(trainingSet?.featureViewRevisions).toEqual({ driver_stats: 1n, driver_profile: 1n });
    const bytes = await fs.blobs.getBytes(parseBlobUri(trainingSet!.blob!.uri));
    expect(trainingSet?.blob?.sha256).toBe(parseBlobUri(trainingSet!.blob!.uri));
    expect(trainingSet?.blob?.sizeBytes).toBe(BigInt(bytes.length));
    const lines = new TextDecoder()
      .decode(bytes)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l))).toEqual(expected.map(() => columns));
    expect(lines.map((l) => Object.values(l))).toEqual(
      expected.map((r) => r.map((cell) => (typeof cell === 'bigint' ? Number(cell) : cell))),
    );

    // Idempotent on request_id; the same id for a different request is refused.
    const again = await fs.client.createTrainingSet({
      features,
      entityDataframe,
      name: 'drivers-w18',
      requestId: 'run-1/training-set',
    });
    expect(again.trainingSet?.id).toBe(trainingSet?.id);
    await expect(
      fs.client.createTrainingSet({
        features: ['driver_stats:trips'],
        entityDataframe,
        requestId: 'run-1/training-set',
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition', field: 'request_id' });
    const got = await fs.client.getTrainingSet({ trainingSetId: trainingSet!.id });
    expect(got.trainingSet).toEqual(trainingSet);
    await expect(fs.client.getTrainingSet({ trainingSetId: 'ts_missing' })).rejects.toMatchObject({
      code: 'not_found',
    });

    const asCsv = await fs.client.createTrainingSet({ features, entityDataframe, format: DatasetFormat.CSV });
    const text = new TextDecoder().decode(await fs.blobs.getBytes(asCsv.trainingSet!.blob!.sha256));
    expect(text.split('\n')[0]).toBe(columns.join(','));
    expect(text.split('\n')[3]).toBe('1001,2024-05-01T13:30:00.000Z,1,,,paris');

    // Parquet out: typed columns, the same cells, read back by DuckDB.
    const asParquet = await fs.client.createTrainingSet({
      features,
      entityDataframe,
      format: DatasetFormat.PARQUET,
    });
    expect(asParquet.trainingSet?.format).toBe(DatasetFormat.PARQUET);
    const parquet = await fs.blobs.getBytes(asParquet.trainingSet!.blob!.sha256);
    const read = await readParquetTable(parquet, 'training_set');
    expect(read.columns).toEqual(columns);
    expect(read.rows.map((r) => Object.values(r.cells))).toEqual(
      expected.map((r) =>
        r.map((cell) =>
          typeof cell === 'bigint'
            ? Number(cell)
            : typeof cell === 'string' && cell.endsWith('Z')
              ? cell.replace('Z', '000Z')
              : cell,
        ),
      ),
    );
  });

  it('writes a Parquet training set from a Parquet frame: typed as encodeTableParquet, the same cells', async () => {
    // Pass-through columns of each kind a Parquet frame may hold, NaN and an all-null one included.
    const path = join(tmpdir(), `flywheel-frame-${offline}-${Date.now()}.parquet`);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT driver_id::BIGINT AS driver_id, t::TIMESTAMP AS event_time,
        completed::INTEGER AS completed, 'n' || i AS note, i % 2 = 0 AS flag,
        TIMESTAMP '2024-01-02 03:04:05.123456' AS seen, NULL::DOUBLE AS empty,
        CASE WHEN i = 1 THEN 'NaN'::DOUBLE ELSE i / 4 END AS score
      FROM (VALUES ${labels.map(([d, t, c], i) => `(${d}, '${t.replace('Z', '')}', ${c}, ${i})`).join(', ')})
        v(driver_id, t, completed, i))
      TO '${path}' (FORMAT parquet)`);
    duck.closeSync();
    const ref = await fs.blobs.put(await readFile(path));
    await rm(path, { force: true });
    const { trainingSet } = await fs.client.createTrainingSet({
      features,
      entityDataframe: {
        source: { case: 'dataset', value: { uri: blobUri(ref.sha256), format: DatasetFormat.PARQUET } },
      },
      format: DatasetFormat.PARQUET,
    });
    const passThrough = ['completed', 'note', 'flag', 'seen', 'empty', 'score'];
    const all = [...columns.slice(0, 2), ...passThrough, ...columns.slice(3)];
    expect(trainingSet?.columns).toEqual(all);
    expect(trainingSet?.rowCount).toBe(7n);
    expect(trainingSet?.minEventTime).toEqual(ts('2024-05-01T09:59:59.999Z'));
    expect(trainingSet?.maxEventTime).toEqual(ts('2024-05-01T13:30:00Z'));
    expect(trainingSet?.featureViewRevisions).toEqual({ driver_stats: 1n, driver_profile: 1n });
    const out = join(tmpdir(), `flywheel-training-set-${offline}-${Date.now()}.parquet`);
    await writeFile(out, await fs.blobs.getBytes(trainingSet!.blob!.sha256));
    const check = await (await DuckDBInstance.create(':memory:')).connect();
    const described = await check.runAndReadAll(`DESCRIBE SELECT * FROM '${out}'`);
    expect(described.getRows().map(([name, type]) => `${name} ${type}`)).toEqual([
      'driver_id BIGINT',
      'event_time TIMESTAMP',
      'completed DOUBLE',
      'note VARCHAR',
      'flag BOOLEAN',
      'seen VARCHAR',
      'empty VARCHAR',
      'score DOUBLE',
      'driver_stats:conv_rate DOUBLE',
      'driver_stats:trips BIGINT',
      'driver_profile:city VARCHAR',
    ]);
    const read = await check.runAndReadAll(
      `SELECT * REPLACE (strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS event_time) FROM '${out}'`,
    );
    expect(read.getRows()).toEqual(
      expected.map(([driver, time, completed, ...values], i) => [
        driver,
        time,
        completed,
        `n${i}`,
        i % 2 === 0,
        '2024-01-02T03:04:05.123456Z',
        null,
        i === 1 ? null : i / 4,
        ...values,
      ]),
    );
    check.closeSync();
    await rm(out, { force: true });
  });

  it('names what is wrong with a request', async () => {
    const one = (joinKeys: Record<string, ReturnType<typeof v.str>>) => ({
      source: {
        case: 'rows' as const,
        value: { rows: [{ entityKey: { joinKeys }, eventTime: ts('2024-05-01T10:00:00Z') }] },
      },
    });
    await expect(
      fs.client.getHistoricalFeatures({ features, entityDataframe: one({ driver: v.i64(1n) }) }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'entity_dataframe.rows.rows[0].entity_key.join_keys.driver_id',
    });
    await expect(
      fs.client.getHistoricalFeatures({ features, entityDataframe: one({ driver_id: v.str('1001') }) }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'entity_dataframe.rows.rows[0].entity_key.join_keys.driver_id',
    });
    await expect(
      fs.client.getHistoricalFeatures({
        features: ['driver_stats:speed'],
        entityDataframe: one({ driver_id: v.i64(1n) }),
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'features[0]' });
    await expect(
      fs.client.getHistoricalFeatures({
        features: ['cars:speed'],
        entityDataframe: one({ driver_id: v.i64(1n) }),
      }),
    ).rejects.toMatchObject({ code: 'not_found', field: 'features[0]' });
    await expect(
      fs.client.getHistoricalFeatures({
        features: ['driver_stats:trips', 'driver_stats:trips'],
        entityDataframe: one({ driver_id: v.i64(1n) }),
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'features[1]' });
    await expect(
      fs.client.getHistoricalFeatures({
        features,
        entityDataframe: {
          source: { case: 'dataset', value: { uri: 's3://bucket/labels.csv', format: DatasetFormat.CSV } },
        },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'entity_dataframe.dataset.uri' });
    await expect(
      fs.client.createTrainingSet({
        features,
        entityDataframe: one({ driver_id: v.i64(1n) }),
        format: 99 as DatasetFormat,
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'format' });
  });
});
