// Materialize's first pass over a Parquet batch source: the duckdb store puts it online straight
// from the file and ingests the history after Materialize answers. What a user sees must not
// change: the same online values, and a training set asked for right after Materialize holds every
// row of the file (the read waits for the ingest), on both offline stores.
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { blobUri } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FeatureStoreHarness,
  offlineEnv,
  offlineStores,
  plain,
  startFeatureStore,
  v,
} from './feature-store-harness.ts';

const entities = 300;
const rowsPerEntity = 12;
const start = Date.parse('2025-06-01T00:00:00Z');
const hour = 3_600_000;

/**
 * Row i of entity e: at start + i h (rows 5 and 6 at the same time: the later one in the file
 * wins: they hash alike, then sort by i), x = e * 100 + i, y null on every 7th row; the file is
 * shuffled so file order is not time order.
 */
const historySql = `SELECT e AS id, TIMESTAMP '2025-06-01' + INTERVAL (CASE WHEN i = 6 THEN 5 ELSE i END) HOUR AS event_time,
    (e * 100 + i)::DOUBLE AS x, CASE WHEN (e + i) % 7 = 0 THEN NULL ELSE (e + i)::DOUBLE END AS y
  FROM range(${entities}) a(e), range(${rowsPerEntity}) b(i) ORDER BY hash(e * 31 + CASE WHEN i = 6 THEN 5 ELSE i END), i`;

/** x and y of entity e at the as-of time `at` (the latest row at or before it), as the rows define them. */
function expectedAt(e: number, at: number): [number | null, number | null] {
  let best: number | null = null;
  for (let i = 0; i < rowsPerEntity; i++) {
    const time = start + (i === 6 ? 5 : i) * hour;
    if (time <= at && (best === null || time >= start + (best === 6 ? 5 : best) * hour)) best = i;
  }
  if (best === null) return [null, null];
  return [e * 100 + best, (e + best) % 7 === 0 ? null : e + best];
}

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

describe.each(offlineStores)('first Materialize of a Parquet batch source (%s offline store)', (offline) => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore(offlineEnv(offline));
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('serves the latest rows online and answers a training set asked for right after with every row', async () => {
    const history = await fs.blobs.put(await parquetOf(historySql));
    const uri = blobUri(history.sha256);
    await fs.client.applyFeatureView({
      featureView: {
        name: 'points',
        entity: { name: 'point', joinKeys: [{ name: 'id', valueType: ValueType.INT64 }] },
        features: [
          { name: 'x', valueType: ValueType.DOUBLE },
          { name: 'y', valueType: ValueType.DOUBLE },
        ],
        source: { kind: { case: 'batch', value: { dataset: 'points', uri, format: DatasetFormat.PARQUET } } },
        online: true,
      },
    });
    const [result] = await fs.client.materialize({ featureViewNames: ['points'] }).then((r) => r.results);
    expect(result?.rowsWritten).toBe(BigInt(entities));

    // Straight away, while the duckdb store may still be ingesting the file: a Parquet training set.
    const lookups = Array.from(
      { length: entities },
      (_, e) => [e, start + ((e * 7) % 14) * hour - 1] as const,
    );
    const framePath = join(tmpdir(), `flywheel-frame-${randomUUID()}.parquet`);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT id::BIGINT AS id, make_timestamp(t * 1000) AS event_time
        FROM (VALUES ${lookups.map(([e, t]) => `(${e}, ${t})`).join(', ')}) v(id, t))
      TO '${framePath}' (FORMAT parquet)`);
    const frame = await fs.blobs.put(await readFile(framePath));
    await rm(framePath, { force: true });
    const { trainingSet } = await fs.client.createTrainingSet({
      features: ['points:x', 'points:y'],
      entityDataframe: {
        source: { case: 'dataset', value: { uri: blobUri(frame.sha256), format: DatasetFormat.PARQUET } },
      },
      format: DatasetFormat.PARQUET,
    });
    expect(trainingSet?.rowCount).toBe(BigInt(entities));
    const out = join(tmpdir(), `flywheel-training-set-${randomUUID()}.parquet`);
    await writeFile(out, await fs.blobs.getBytes(trainingSet!.blob!.sha256));
    const read = await duck.runAndReadAll(`SELECT id, "points:x", "points:y" FROM '${out}'`);
    await rm(out, { force: true });
    duck.closeSync();
    expect(read.getRows()).toEqual(lookups.map(([e, t]) => [BigInt(e), ...expectedAt(e, t)]));

    const online = await fs.client.getOnlineFeatures({
      features: ['points:x', 'points:y'],
      entityKeys: [0, 1, 41, entities - 1].map((e) => ({ joinKeys: { id: v.i64(BigInt(e)) } })),
    });
    expect(online.results.map((r) => r.values.map(plain))).toEqual(
      [0, 1, 41, entities - 1].map((e) => expectedAt(e, Number.MAX_SAFE_INTEGER)),
    );

    // Two announcements: the online materialization, and the history with the dataset it came from.
    const announced = await waitFor(
      () => {
        const events = fs.events(FeaturesMaterializedSchema).filter((m) => m.featureViewName === 'points');
        return events.length >= 2 ? events : undefined;
      },
      { timeoutMs: 60_000, what: 'features.materialized of the online write and of the history' },
    );
    // duckdb: online first (from the file), history after; document: the history first, as before.
    expect(announced[0]?.datasetUri).toBe(offline === 'duckdb' ? '' : uri);
    expect(announced.map((m) => [m.datasetUri, m.rowsWritten]).sort()).toEqual(
      [
        ['', BigInt(entities)],
        [uri, BigInt(entities * rowsPerEntity)],
      ].sort(),
    );

    // Materialize again reads the ingested history: nothing newer, nothing written.
    const again = await fs.client.materialize({ featureViewNames: ['points'] });
    expect(again.results[0]?.rowsWritten).toBe(0n);
  });
});
