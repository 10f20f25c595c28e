// Issue 11, Must show: a dataset.arrived of a 1M-row Parquet file ends in the offline and online
// stores, with features.materialized, in the closed loop's distributed setting: real Kafka, the
// MongoDB-wire server, S3. The file is read from S3 as a stream (the threshold is lowered so this
// ~10 MB file takes the path a >512 MiB one would).
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { blobUri } from '@flywheel/blobs';
import { createS3Blobs } from '@flywheel/blobs/s3';
import { createKafkaBus } from '@flywheel/bus/kafka';
import { type CloudEvent, decodeEvent, newEvent } from '@flywheel/events';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  DatasetArrivedSchema,
  FeaturesMaterializedSchema,
} from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import {
  FeatureStatus,
  FeatureStoreService,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { startInProcess } from '@flywheel/runtime/testing';
import { createMongoStore } from '@flywheel/store/mongo';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadFeatureStoreConfig, wireFeatureStore } from '../src/index.ts';
import type { ViewDataRecord } from '../src/storage/offline-records.ts';
import { plain, v } from './feature-store-harness.ts';

const servers = realServers();
const rows = 1_000_000;
const sensors = 10_000;
const base = Date.parse('2024-06-01T00:00:00Z');
const minute = 60_000;

/** Row i: sensor i mod 10 000 at minute ⌊i / 10 000⌋, reading i + 0.5 — so a sensor's latest is i ≥ 990 000. */
async function writeParquet(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT 's' || (i % ${sensors}) AS sensor,
                    make_timestamp(${base * 1000}::BIGINT + (i // ${sensors}) * ${minute * 1000}::BIGINT) AS event_time,
                    i + 0.5 AS reading
             FROM range(${rows}) t(i))
       TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`,
    );
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

describe('a 1M-row Parquet dataset on Kafka, MongoDB-wire and S3', () => {
  it('lands in the offline and online stores and is announced once', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const run = uniqueName('fs-million').replaceAll('_', '-');
    const topicPrefix = `${run}.`;
    const bucket = `flywheel-${run}`.toLowerCase().slice(0, 63);
    const blobs = createS3Blobs({ ...servers.s3, bucket });
    onTestFinished(() => blobs.close());
    const bus = createKafkaBus({ ...servers.kafka, topicPrefix, clientId: `${run}-test` });
    onTestFinished(() => bus.close());
    const store = createMongoStore({ url: servers.mongoUrl, database: run });
    onTestFinished(() => store.close());

    const service = await startInProcess('feature-store', {
      load: loadFeatureStoreConfig,
      wire: wireFeatureStore,
      // The service's blob store is this S3 bucket (the in-process host takes it shared).
      shared: { blobs },
      env: {
        FLYWHEEL_BUS: 'kafka',
        ...servers.kafkaEnv,
        FLYWHEEL_TOPIC_PREFIX: topicPrefix,
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: servers.mongoUrl,
        FLYWHEEL_MONGO_DATABASE: run,
        FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES: String(1024 * 1024),
      },
    });
    onTestFinished(() => service.stop());
    const client = createRpcClient(FeatureStoreService, {
      address: service.address,
      defaultTimeoutMs: 60_000,
    });
    onTestFinished(() => client.close());

    const materialized = new Map<string, CloudEvent>();
    const observer = bus.subscribe({ topics: ['features.materialized'], group: `${run}-observer` });
    onTestFinished(() => observer.close());
    void (async () => {
      for await (const delivery of observer) {
        materialized.set(delivery.event.id, delivery.event);
        await delivery.ack();
      }
    })();
    await observer.ready({ timeoutMs: 60_000 });

    const dataset = `million-${run}`;
    await client.applyFeatureView({
      featureView: {
        name: 'sensor_readings',
        entity: { name: 'sensor', joinKeys: [{ name: 'sensor', valueType: ValueType.STRING }] },
        features: [{ name: 'reading', valueType: ValueType.DOUBLE }],
        source: { kind: { case: 'batch', value: { dataset, format: DatasetFormat.PARQUET } } },
        online: true,
      },
    });

    const path = join(mkdtempSync(join(tmpdir(), 'flywheel-fs-million-')), 'readings.parquet');
    await writeParquet(path);
    const ref = await blobs.put(Readable.from(createReadStream(path)));
    await bus.publish([
      newEvent(
        DatasetArrivedSchema,
        { dataset, uri: blobUri(ref.sha256), format: DatasetFormat.PARQUET, sha256: ref.sha256 },
        { source: 'test/data-pipeline' },
      ),
    ]);
    const published = Date.now();

    await waitFor(() => materialized.size > 0, { timeoutMs: 480_000, what: 'features.materialized' });
    const ingestedMs = Date.now() - published;
    const [event] = [...materialized.values()];
    const announced = decodeEvent(FeaturesMaterializedSchema, event!);
    expect(announced).toMatchObject({
      featureViewName: 'sensor_readings',
      rowsWritten: BigInt(rows),
      dataset,
      datasetUri: blobUri(ref.sha256),
    });

    // Offline: the view's chunk index (MongoDB) counts every row, each chunk is in S3.
    const data = (await store.collection<ViewDataRecord>('view-data').get('sensor_readings'))?.data;
    expect(data?.chunks.reduce((sum, chunk) => sum + chunk.rows, 0)).toBe(rows);
    expect(data?.ingestedDatasets).toEqual([ref.sha256]);
    for (const chunk of data?.chunks ?? []) {
      expect(await blobs.stat(chunk.sha256)).toMatchObject({ size: chunk.sizeBytes });
    }

    // Online: each sensor's latest reading (its row in the last minute), spot-checked.
    const spot = [0, 1, 4_321, 9_998, 9_999];
    const online = await client.getOnlineFeatures({
      features: ['sensor_readings:reading'],
      entityKeys: spot.map((s) => ({ joinKeys: { sensor: v.str(`s${s}`) } })),
      includeEventTimes: true,
    });
    expect(online.results.map((r) => r.values.map(plain))).toEqual(spot.map((s) => [990_000 + s + 0.5]));
    expect(online.results.every((r) => r.statuses[0] === FeatureStatus.PRESENT)).toBe(true);
    expect(online.results.map((r) => Number(r.eventTimes[0]!.seconds) * 1000)).toEqual(
      spot.map(() => base + 99 * minute),
    );

    // Announced once, for the one dataset.
    expect(materialized.size).toBe(1);
    console.log(
      `1M-row Parquet: ingested ${(ingestedMs / 1000).toFixed(1)} s after dataset.arrived, test ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
