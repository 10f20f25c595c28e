// Issue 11: a feature view with a StreamSource consumes its Kafka topic — raw JSON records another
// system writes (kcat here) — validated against the view, good rows online and offline, bad ones
// in `<topic>.dlq` with their reason, and a `kill -9` mid-stream loses and duplicates nothing.
// Real Kafka and MongoDB-wire; the service runs as its own process.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { dlqHeaders } from '@flywheel/bus';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { ExpectationAction } from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { createMongoStore } from '@flywheel/store/mongo';
import {
  kcatConsumeAll,
  kcatHeaders,
  kcatProduce,
  kcatProduceFiles,
  kcatProduceMany,
  realServers,
  repoRoot,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ViewDataRecord } from '../src/storage/offline-records.ts';
import { plain, v } from './feature-store-harness.ts';

const run = promisify(execFile);
const servers = realServers();
const kafkaEnv = servers.kafkaEnv;

function killOnFinish(service: SpawnedService): void {
  onTestFinished(() => {
    if (service.process.exitCode === null && service.process.signalCode === null)
      service.process.kill('SIGKILL');
  });
}

/** A feature store process of its own (topic prefix, database, data dir), restartable with `start()`. */
function featureStoreRun(name: string) {
  const run = uniqueName(name).replaceAll('_', '-');
  const prefix = `${run}.`;
  const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-fs-stream-'));
  const env = {
    FLYWHEEL_BUS: 'kafka',
    ...kafkaEnv,
    FLYWHEEL_TOPIC_PREFIX: prefix,
    FLYWHEEL_STORE: 'mongo',
    FLYWHEEL_MONGO_URL: servers.mongoUrl,
    FLYWHEEL_MONGO_DATABASE: run,
    FLYWHEEL_INSTANCE_ID: `${run}/feature-store`,
    FLYWHEEL_LOG_LEVEL: 'info',
  };
  return {
    run,
    /** The broker name of a topic (kcat writes there). */
    physical: (topic: string) => `${prefix}${topic}`,
    start: async () => {
      const service = await spawnService('feature-store', env, { timeoutMs: 120_000, dataDir });
      killOnFinish(service);
      const client = createRpcClient(FeatureStoreService, {
        address: service.address,
        defaultTimeoutMs: 20_000,
      });
      onTestFinished(() => client.close());
      return { service, client };
    },
  };
}

const view = (topic: string) => ({
  name: 'station_weather',
  team: 'ops',
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: [
    { name: 'temp', valueType: ValueType.DOUBLE },
    { name: 'sky', valueType: ValueType.STRING },
  ],
  source: {
    kind: { case: 'stream' as const, value: { topic } },
    timestampField: 'observed_at',
    fieldMapping: { temperature: 'temp' },
  },
  expectations: [
    {
      feature: 'temp',
      action: ExpectationAction.REJECT,
      kind: { case: 'range' as const, value: { min: -90, max: 60 } },
    },
  ],
  online: true,
});

const asOf = (stations: string[], iso: string) => ({
  features: ['station_weather:temp', 'station_weather:sky'],
  entityDataframe: {
    source: {
      case: 'rows' as const,
      value: {
        rows: stations.map((station) => ({
          entityKey: { joinKeys: { station: v.str(station) } },
          eventTime: timestampFromMs(Date.parse(iso)),
        })),
      },
    },
  },
});

describe('stream sources on real Kafka (records written by kcat)', () => {
  it('serves good rows online and historically, dead-letters bad ones with the reason naming the field', {
    timeout: 240_000,
  }, async () => {
    const fs = featureStoreRun('fs-stream');
    const { service, client } = await fs.start();
    const topic = 'weather.readings';
    await expect(
      client.applyFeatureView({ featureView: { ...view('weather_readings'), name: 'bad_topic' } }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'feature_view.source.stream.topic' });
    await expect(
      client.applyFeatureView({ featureView: { ...view('weather.readings.dlq'), name: 'dlq_topic' } }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'feature_view.source.stream.topic' });
    await client.applyFeatureView({ featureView: view(topic) });

    const rows = [
      { station: 'st-1', observed_at: '2024-06-01T10:00:00Z', temperature: 11.5, sky: 'clear' },
      { station: 'st-1', observed_at: '2024-06-01T12:00:00Z', temperature: 14, sky: 'cloudy' },
      { station: 'st-2', observed_at: '2024-06-01T11:00:00Z', temperature: -3.25 },
    ];
    await kcatProduceMany(
      kafkaEnv,
      fs.physical(topic),
      rows.map((row) => ({ key: row.station, value: JSON.stringify(row) })),
    );
    // Bad: a value of the wrong type, not JSON at all, no join key; and one a REJECT expectation
    // refuses (announced as rejected, not dead-lettered, as on every ingest).
    await kcatProduce(
      kafkaEnv,
      fs.physical(topic),
      'st-3',
      JSON.stringify({ station: 'st-3', observed_at: '2024-06-01T11:00:00Z', temperature: 'warm' }),
      {},
    );
    await kcatProduce(kafkaEnv, fs.physical(topic), 'st-4', 'station=st-4 temp=3', {});
    await kcatProduce(
      kafkaEnv,
      fs.physical(topic),
      'st-6',
      JSON.stringify({ observed_at: '2024-06-01T11:00:00Z', temperature: 1 }),
      {},
    );
    // A protobuf record: StreamSource declares no message type, so it cannot be read.
    await kcatProduce(kafkaEnv, fs.physical(topic), 'st-7', '\u0008\u0096\u0002', {
      'content-type': 'application/x-protobuf',
    });
    await kcatProduce(
      kafkaEnv,
      fs.physical(topic),
      'st-5',
      JSON.stringify({ station: 'st-5', observed_at: '2024-06-01T11:00:00Z', temperature: 999 }),
      {},
    );

    const online = await waitFor(
      async () => {
        const answer = await client.getOnlineFeatures({
          features: ['station_weather:temp', 'station_weather:sky'],
          entityKeys: ['st-1', 'st-2', 'st-3', 'st-5'].map((s) => ({ joinKeys: { station: v.str(s) } })),
        });
        const values = answer.results.map((r) => r.values.map(plain));
        return values[0]![0] === 14 && values[1]![0] === -3.25 && values;
      },
      { timeoutMs: 90_000, what: 'the stream rows online' },
    );
    expect(online).toEqual([
      [14, 'cloudy'],
      [-3.25, null],
      [null, null],
      [null, null],
    ]);

    const historical = await client.getHistoricalFeatures(
      asOf(['st-1', 'st-1', 'st-2'], '2024-06-01T11:30:00Z'),
    );
    expect(historical.rows.map((r) => r.values.map(plain).slice(2))).toEqual([
      [11.5, 'clear'],
      [11.5, 'clear'],
      [-3.25, null],
    ]);

    const letters = await waitFor(
      async () => {
        const records = await kcatConsumeAll(kafkaEnv, fs.physical(`${topic}.dlq`));
        return records.length >= 4 && records;
      },
      { timeoutMs: 60_000, what: 'four dead letters' },
    );
    expect(letters.map((l) => l.key).sort()).toEqual(['st-3', 'st-4', 'st-6', 'st-7']);
    const reasons = Object.fromEntries(letters.map((l) => [l.key, kcatHeaders(l)[dlqHeaders.reason]]));
    expect(reasons['st-3']).toMatch(
      /^invalid_argument: feature view station_weather: record weather\.readings\/\d+\/\d+\.temperature: expected DOUBLE, got "warm"/,
    );
    expect(reasons['st-4']).toMatch(
      /feature view station_weather: record weather\.readings\/\d+\/\d+: is not UTF-8 JSON/,
    );
    expect(reasons['st-6']).toMatch(/record weather\.readings\/\d+\/\d+: column station: is missing/);
    expect(reasons['st-7']).toMatch(
      /record weather\.readings\/\d+\/\d+\.content-type: application\/x-protobuf is not supported/,
    );
    expect(letters.find((l) => l.key === 'st-4')!.payload).toBe('station=st-4 temp=3');

    // Deleting the view stops its consumer (and frees its group).
    await client.deleteFeatureView({ featureViewName: 'station_weather' });
    await waitFor(
      () =>
        service.logs.some(
          (line) => line.msg === 'stream consumer stopped' && line.featureView === 'station_weather',
        ),
      { timeoutMs: 30_000, what: 'the stream consumer stopped' },
    );
  });

  it('reads protobuf records of the declared message type, written by a Python producer', {
    timeout: 240_000,
  }, async () => {
    // What a user does: a .proto of their own, its descriptor set from `buf build`, records
    // serialized by Python's protobuf runtime and written to the topic by kcat.
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-fs-proto-'));
    writeFileSync(
      join(dir, 'reading.proto'),
      [
        'syntax = "proto3";',
        'package weather.v1;',
        'import "google/protobuf/timestamp.proto";',
        'message Reading {',
        '  string station = 1;',
        '  google.protobuf.Timestamp observed_at = 2;',
        '  double temperature = 3;',
        '  optional string sky = 4;',
        '}',
        'message Alarm { string id = 1; }',
      ].join('\n'),
    );
    const setFile = join(dir, 'set.binpb');
    await run(join(repoRoot, 'node_modules/.bin/buf'), ['build', dir, '-o', setFile], { timeout: 60_000 });
    const descriptorSet = readFileSync(setFile);
    const protobufView = (
      topic: string,
      messageType = 'weather.v1.Reading',
      set: Uint8Array = descriptorSet,
    ) => {
      const base = view(topic);
      return {
        ...base,
        source: {
          ...base.source,
          kind: { case: 'stream' as const, value: { topic, protobuf: { messageType, descriptorSet: set } } },
        },
      };
    };

    const fs = featureStoreRun('fs-stream-proto');
    const { client } = await fs.start();
    const topic = 'weather.readings.pb';
    await expect(
      client.applyFeatureView({ featureView: protobufView(topic, 'weather.v1.Missing') }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view.source.stream.protobuf.message_type',
      message: expect.stringContaining('weather.v1.Reading'),
    });
    await expect(
      client.applyFeatureView({ featureView: protobufView(topic, 'weather.v1.Alarm') }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view.source.stream.protobuf.message_type',
      message: expect.stringContaining('has no field station'),
    });
    await expect(
      client.applyFeatureView({
        featureView: protobufView(topic, 'weather.v1.Reading', new TextEncoder().encode('not a set')),
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'feature_view.source.stream.protobuf.descriptor_set',
    });
    await client.applyFeatureView({ featureView: protobufView(topic) });
    const stored = await client.getFeatureView({ featureViewName: 'station_weather' });
    const kind = stored.featureView?.source?.kind;
    expect(kind?.case === 'stream' && kind.value.protobuf?.messageType).toBe('weather.v1.Reading');

    const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
    const records = async (name: string, rows: unknown[]) => {
      const out = mkdtempSync(join(dir, `${name}-`));
      const { stdout } = await run(
        python,
        ['test/python/protobuf_records.py', setFile, 'weather.v1.Reading', out, JSON.stringify(rows)],
        { cwd: repoRoot, timeout: 60_000 },
      );
      return stdout.trim().split('\n');
    };
    // A 0.0 temperature is a value (proto3 has no presence for it); an unset `optional sky` is
    // left out, as a missing JSON key is.
    await kcatProduceFiles(
      kafkaEnv,
      fs.physical(topic),
      'st-p1',
      await records('p1', [
        { station: 'st-p1', observed_at: '2024-06-01T09:00:00Z', temperature: 5, sky: 'rain' },
        { station: 'st-p1', observed_at: '2024-06-01T10:00:00Z', temperature: 0 },
      ]),
    );
    await kcatProduceFiles(
      kafkaEnv,
      fs.physical(topic),
      'st-p2',
      await records('p2', [
        { station: 'st-p2', observed_at: '2024-06-01T10:00:00Z', temperature: 21.5, sky: 'clear' },
      ]),
    );
    // Bad: bytes that are no Reading, and a Reading without its event time.
    const garbage = join(dir, 'garbage.bin');
    writeFileSync(garbage, Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    await kcatProduceFiles(kafkaEnv, fs.physical(topic), 'st-bad', [garbage]);
    await kcatProduceFiles(
      kafkaEnv,
      fs.physical(topic),
      'st-notime',
      await records('notime', [{ station: 'st-notime', temperature: 1 }]),
    );

    const online = await waitFor(
      async () => {
        const answer = await client.getOnlineFeatures({
          features: ['station_weather:temp', 'station_weather:sky'],
          entityKeys: ['st-p1', 'st-p2'].map((s) => ({ joinKeys: { station: v.str(s) } })),
        });
        const values = answer.results.map((r) => r.values.map(plain));
        return values[1]![0] === 21.5 && values[0]![0] === 0 && values;
      },
      { timeoutMs: 90_000, what: 'the protobuf rows online' },
    );
    // st-p1's latest row (10:00) has temperature 0 and no sky: online keeps the sky of 09:00.
    expect(online).toEqual([
      [0, 'rain'],
      [21.5, 'clear'],
    ]);
    const historical = await client.getHistoricalFeatures(asOf(['st-p1', 'st-p1'], '2024-06-01T09:30:00Z'));
    expect(historical.rows.map((r) => r.values.map(plain).slice(2))).toEqual([
      [5, 'rain'],
      [5, 'rain'],
    ]);

    const letters = await waitFor(
      async () => {
        const got = await kcatConsumeAll(kafkaEnv, fs.physical(`${topic}.dlq`));
        return got.length >= 2 && got;
      },
      { timeoutMs: 60_000, what: 'two dead letters' },
    );
    const reasons = Object.fromEntries(letters.map((l) => [l.key, kcatHeaders(l)[dlqHeaders.reason]]));
    expect(reasons['st-bad']).toMatch(
      /record weather\.readings\.pb\/\d+\/\d+: is not a weather\.v1\.Reading message/,
    );
    expect(reasons['st-notime']).toMatch(
      /record weather\.readings\.pb\/\d+\/\d+: column observed_at: is missing/,
    );
  });

  it('loses and duplicates nothing when the service is killed -9 mid-stream and restarted', {
    timeout: 300_000,
  }, async () => {
    const fs = featureStoreRun('fs-stream-kill');
    const first = await fs.start();
    const topic = 'weather.burst';
    await first.client.applyFeatureView({ featureView: view(topic) });
    const total = 400;
    const stations = 40;
    const base = Date.parse('2024-06-01T00:00:00Z');
    // Row i: station i % 40 at minute i, temperature i / 10: each station's latest is its last row.
    const rows = Array.from({ length: total }, (_, i) => ({
      station: `st-${i % stations}`,
      observed_at: new Date(base + i * 60_000).toISOString(),
      temperature: i / 10,
    }));
    await kcatProduceMany(
      kafkaEnv,
      fs.physical(topic),
      rows.map((row) => ({ key: row.station, value: JSON.stringify(row) })),
    );
    const store = createMongoStore({ url: servers.mongoUrl, database: fs.run });
    onTestFinished(() => store.close());
    const viewData = store.collection<ViewDataRecord>('view-data');
    const offlineRows = async () =>
      ((await viewData.get('station_weather'))?.data.chunks ?? []).reduce((sum, c) => sum + c.rows, 0);
    // Kill it once some but not all rows are in.
    await waitFor(async () => (await offlineRows()) >= 40, {
      timeoutMs: 120_000,
      intervalMs: 20,
      what: 'rows flowing',
    });
    const gone = new Promise((resolve) => first.service.process.once('exit', resolve));
    first.service.process.kill('SIGKILL');
    await gone;
    const atKill = await offlineRows();
    expect(atKill).toBeLessThan(total);

    const second = await fs.start();
    await waitFor(async () => (await offlineRows()) >= total, {
      timeoutMs: 180_000,
      what: `all ${total} rows offline (killed at ${atKill})`,
    });
    // Settled: the count stays exact (a redelivered record added no second row).
    await second.service.stop(60_000);
    expect(await offlineRows()).toBe(total);

    const third = await fs.start();
    const answer = await third.client.getOnlineFeatures({
      features: ['station_weather:temp'],
      entityKeys: Array.from({ length: stations }, (_, s) => ({ joinKeys: { station: v.str(`st-${s}`) } })),
    });
    expect(answer.results.map((r) => plain(r.values[0]))).toEqual(
      Array.from({ length: stations }, (_, s) => (total - stations + s) / 10),
    );
    // Every row is in the history, each once: as of each row's own time, its own value.
    const history = await third.client.getHistoricalFeatures({
      features: ['station_weather:temp'],
      entityDataframe: {
        source: {
          case: 'rows' as const,
          value: {
            rows: rows.map((row) => ({
              entityKey: { joinKeys: { station: v.str(row.station) } },
              eventTime: timestampFromMs(Date.parse(row.observed_at)),
            })),
          },
        },
      },
    });
    expect(history.rows.map((r) => plain(r.values[2]))).toEqual(rows.map((row) => row.temperature));
  });
});
