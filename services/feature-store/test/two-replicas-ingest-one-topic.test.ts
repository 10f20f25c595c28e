// Issue 9: two feature-store instances in ONE consumer group on a real Kafka `dataset.arrived` and
// ONE MongoDB-wire database. Datasets arrive spread over the partitions, each announced four times (a
// retrying producer: four event ids), so both replicas may ingest the same file at once. Online
// values must be the latest by event time whoever handled what in which order, each dataset must
// be ingested (and announced with `features.materialized`) once, and the counts must be exact.
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import { decodeEvent, newEvent } from '@flywheel/events';
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
import { startReplicaStack } from '@flywheel/runtime/testing';
import { createMongoStore } from '@flywheel/store/mongo';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadFeatureStoreConfig, wireFeatureStore } from '../src/index.ts';
import type { ViewDataRecord } from '../src/storage/offline-records.ts';
import { plain, v } from './feature-store-harness.ts';

const servers = realServers();
const datasets = 12;
const sensors = 120;
const rowsPerDataset = 120;
/** Each dataset is announced this often, each time with a key of its own: on every partition. */
const copies = ['first', 'again', 'third', 'fourth'];
const base = Date.parse('2024-06-01T00:00:00Z');

/** A deterministic shuffle (LCG), so which dataset holds a sensor's latest reading is spread. */
function scrambled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let state = seed;
  for (let i = count - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe('two feature-store replicas sharing one consumer group and one database', () => {
  it('ingest every dataset once and hold the latest value by event time online', {
    timeout: 240_000,
  }, async () => {
    const run = uniqueName('fs-replicas').replaceAll('_', '-');
    const stack = startReplicaStack({ run, servers });
    onTestFinished(() => stack.close());
    const bus = stack.bus();
    const blobs = stack.blobs;
    const store = createMongoStore({ url: servers.mongoUrl, database: run });
    onTestFinished(() => store.close());
    const replica = async (name: string) => {
      const service = await stack.start('feature-store', {
        load: loadFeatureStoreConfig,
        wire: wireFeatureStore,
        instance: `feature-store-${name}`,
        database: run,
      });
      return stack.client(FeatureStoreService, service.address);
    };
    const a = await replica('a');
    const b = await replica('b');

    // The announcements, read back from Kafka once per event id (two relays may publish an entry twice).
    const materialized = await stack.observe(['features.materialized']);

    const dataset = `readings-${run}`;
    await a.applyFeatureView({
      featureView: {
        name: 'sensor_readings',
        team: 'plant',
        entity: { name: 'sensor', joinKeys: [{ name: 'sensor', valueType: ValueType.STRING }] },
        features: [{ name: 'reading', valueType: ValueType.DOUBLE }],
        ttl: durationFromMs(3650 * 24 * 3_600_000),
        source: { kind: { case: 'batch', value: { dataset, format: DatasetFormat.JSONL } } },
        online: true,
      },
    });

    // Every row has its own event time (minutes after base); times are dealt to the datasets in a
    // scrambled order, so a sensor's latest reading may be in any dataset, arriving in any order.
    const times = scrambled(datasets * rowsPerDataset, 7);
    const latest = new Map<string, { time: number; reading: number }>();
    const viewData = store.collection<ViewDataRecord>('view-data');
    const ingested = async () => (await viewData.get('sensor_readings'))?.data.ingestedDatasets.length ?? 0;
    for (let d = 0; d < datasets; d++) {
      const rows = Array.from({ length: rowsPerDataset }, (_, r) => {
        const minute = times[d * rowsPerDataset + r]!;
        const sensor = `s${minute % sensors}`;
        const time = base + minute * 60_000;
        const reading = minute + 0.5;
        const held = latest.get(sensor);
        if (!held || time > held.time) latest.set(sensor, { time, reading });
        return { sensor, event_time: new Date(time).toISOString(), reading };
      });
      const ref = await blobs.put(
        new TextEncoder().encode(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`),
      );
      // The copies of one dataset go out together, so the replicas holding their partitions take
      // them at the same moment; the next dataset once this one is in.
      await bus.publish(
        copies.map((copy) => ({
          ...newEvent(
            DatasetArrivedSchema,
            { dataset, uri: blobUri(ref.sha256), format: DatasetFormat.JSONL, sha256: ref.sha256 },
            { source: 'test/data-pipeline' },
          ),
          key: `${copy}-${d}`,
        })),
      );
      await waitFor(async () => (await ingested()) > d, { timeoutMs: 60_000, what: `dataset ${d} ingested` });
    }

    await waitFor(() => materialized.size >= datasets, {
      timeoutMs: 60_000,
      what: `${datasets} features.materialized`,
    });
    // Every copy handled by now or soon, and a few relay polls later a duplicate announcement
    // would have arrived.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const data = (await viewData.get('sensor_readings'))!.data;
    expect(data.ingestedDatasets).toHaveLength(datasets);
    expect(data.chunks.reduce((sum, chunk) => sum + chunk.rows, 0)).toBe(datasets * rowsPerDataset);
    expect(data.onlineRows).toBe(datasets * rowsPerDataset);

    const announced = [...materialized.values()].map((e) => decodeEvent(FeaturesMaterializedSchema, e));
    expect(announced).toHaveLength(datasets);
    expect(new Set(announced.map((e) => e.datasetUri)).size).toBe(datasets);
    expect(announced.every((e) => e.rowsWritten === BigInt(rowsPerDataset))).toBe(true);

    const ids = [...latest.keys()].sort();
    const online = await b.getOnlineFeatures({
      features: ['sensor_readings:reading'],
      entityKeys: ids.map((sensor) => ({ joinKeys: { sensor: v.str(sensor) } })),
      includeEventTimes: true,
    });
    expect(online.results.map((r) => r.statuses[0])).toEqual(ids.map(() => FeatureStatus.PRESENT));
    expect(online.results.map((r) => plain(r.values[0]))).toEqual(ids.map((id) => latest.get(id)!.reading));
    expect(online.results.map((r) => Number(r.eventTimes[0]?.seconds) * 1000)).toEqual(
      ids.map((id) => latest.get(id)!.time),
    );
  });
});
