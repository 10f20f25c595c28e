// Issue 11: one 100k-row historical request used to hold the event loop for seconds — online
// lookups stalled (p99 7 ms → 2 969 ms) and a concurrent IngestStream could fail on the store's 5 s
// deadline with part of its write done and uncounted. During a heavy read the service must keep
// answering: online calls keep completing, correct, while the read runs (how slow the slowest was
// is printed, never asserted: this is not a benchmark), and an IngestStream running alongside
// succeeds and counts every row it wrote.

import { Worker } from 'node:worker_threads';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
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
import type { HeavyClientResult, HeavyClientTask } from './heavy-historical-client.ts';

const sensors = 1000;
const timesPerSensor = 100; // 100 000 rows of history
const base = Date.parse('2024-03-01T00:00:00Z');
const minute = 60_000;
/** Online calls that must complete while the heavy read runs: progress, not speed. */
const minOnlineCallsDuringRead = 50;

const sensorKey = (s: number) => ({ joinKeys: { sensor: v.str(`s${s}`) } });
const reading = (s: number, t: number) => s * 1000 + t + 0.5;

function datasetFile(): Uint8Array {
  const lines: string[] = [];
  for (let t = 0; t < timesPerSensor; t++) {
    for (let s = 0; s < sensors; s++) {
      lines.push(
        JSON.stringify({
          sensor: `s${s}`,
          event_time: new Date(base + t * minute).toISOString(),
          value: reading(s, t),
          label: t % 2,
        }),
      );
    }
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

const view = (name: string, feature: string, valueType: ValueType) => ({
  featureView: {
    name,
    entity: { name: 'sensor', joinKeys: [{ name: 'sensor', valueType: ValueType.STRING }] },
    features: [{ name: feature, valueType }],
    source: { kind: { case: 'batch' as const, value: { dataset: 'sensor-readings' } } },
    online: true,
  },
});

describe.each(offlineStores)('a 100k-row historical read (%s offline store)', (offline) => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore(offlineEnv(offline));
    await fs.client.applyFeatureView(view('readings', 'value', ValueType.DOUBLE));
    await fs.client.applyFeatureView(view('labels', 'label', ValueType.INT64));
    await fs.client.applyFeatureView({
      featureView: {
        name: 'events',
        entity: { name: 'sensor', joinKeys: [{ name: 'sensor', valueType: ValueType.STRING }] },
        features: [{ name: 'count', valueType: ValueType.INT64 }],
        online: true,
      },
    });
    await fs.publishDataset('sensor-readings', datasetFile());
    await waitFor(() => fs.events(FeaturesMaterializedSchema).length === 2, {
      timeoutMs: 120_000,
      what: 'both views materialized',
    });
  }, 180_000);
  afterAll(async () => {
    await fs?.stop();
  });

  it.each(['unary', 'stream'] as const)(
    'keeps online lookups answering and a concurrent IngestStream counted exactly (%s)',
    {
      timeout: 180_000,
    },
    async (rpc) => {
      let heavyDone = false;
      const task: HeavyClientTask = {
        address: fs.service.address,
        rpc,
        frameView: 'labels',
        feature: 'readings:value',
        base,
        stepMs: minute,
      };
      const worker = new Worker(new URL('./heavy-historical-client.ts', import.meta.url), {
        workerData: task,
      });
      const heavy = new Promise<HeavyClientResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }).finally(() => {
        heavyDone = true;
        void worker.terminate();
      });

      const onlineLatencies: number[] = [];
      const onlineLoop = (async () => {
        for (let i = 0; !heavyDone && i < 100_000; i++) {
          const started = performance.now();
          const got = await fs.client.getOnlineFeatures({
            features: ['readings:value'],
            entityKeys: [sensorKey(i % sensors)],
          });
          onlineLatencies.push(performance.now() - started);
          expect(got.results[0]?.values.map(plain)).toEqual([reading(i % sensors, timesPerSensor - 1)]);
        }
      })();

      const messages = 40;
      const rowsPerMessage = 25;
      const now = Date.now();
      async function* ingestMessages() {
        for (let m = 0; m < messages; m++) {
          yield {
            featureViewName: 'events',
            rows: Array.from({ length: rowsPerMessage }, (_, i) => ({
              entityKey: sensorKey(m * rowsPerMessage + i),
              eventTime: timestampFromMs(now - minute),
              values: { count: v.i64(BigInt(m)) },
            })),
          };
          // Spread over the heavy read (poll-free pacing of the sender, not an assertion).
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      const ingested = fs.client.ingestStream(ingestMessages(), {
        timeoutMs: 170_000,
      });

      const [answer, counts] = await Promise.all([heavy, ingested, onlineLoop]);

      // Correct: one row per labels history row, each with the reading at that very time.
      expect(answer.error).toBeUndefined();
      expect(answer.columns).toEqual(['sensor', 'event_time', 'labels:label', 'readings:value']);
      expect(answer.rows).toBe(sensors * timesPerSensor);
      expect(answer.wrong).toEqual([]);
      if (rpc === 'stream') expect(answer.messages).toBeGreaterThan(1);
      // The IngestStream succeeded and counted every row; every row is online.
      expect(counts.rowsWritten).toBe(BigInt(messages * rowsPerMessage));
      const online = await fs.client.getOnlineFeatures({
        features: ['events:count'],
        entityKeys: Array.from({ length: messages * rowsPerMessage }, (_, i) => sensorKey(i)),
      });
      expect(online.results.every((r) => r.statuses[0] === FeatureStatus.PRESENT)).toBe(true);
      // Progress: the online lookups went on during the read, each answered correctly (above).
      const slowest = Math.max(...onlineLatencies);
      console.log(
        `${offline}, ${rpc}: ${onlineLatencies.length} online calls during the heavy read, slowest ${slowest.toFixed(0)} ms`,
      );
      expect(onlineLatencies.length).toBeGreaterThanOrEqual(minOnlineCallsDuringRead);
    },
  );
});
