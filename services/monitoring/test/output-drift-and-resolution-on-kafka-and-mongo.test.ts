// Issue 10, on real servers: the monitoring service on real Kafka and a real MongoDB-wire store.
// model.version-registered over Kafka → the output reference built by running the artifact over
// the training set → drift.detected (with its segment) and alert.raised over Kafka → a clean
// window → alert.resolved over Kafka, and the alert resolved in the store. A monitor's
// expectation violated by a logged batch → data-quality.violated over Kafka, from the Mongo outbox.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type Subscription } from '@flywheel/bus';
import { createKafkaBus } from '@flywheel/bus/kafka';
import { type CloudEvent, decodeEvent, eventKindOf, newEvent } from '@flywheel/events';
import {
  AlertRaisedSchema,
  AlertResolvedSchema,
  DriftDetectedSchema,
} from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import {
  DataQualityViolatedSchema,
  QualityCheckStage,
} from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import {
  AlertState,
  FeatureKind,
  FeatureSource,
  MonitoringService,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { realServers, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMonitoringConfig, wireMonitoring } from '../src/index.ts';
import { type MonitoringClient, value } from './monitoring-harness.ts';
import { shuffled, type WeatherDay } from './weather-data.ts';
import {
  probabilitiesOf,
  registerWeatherVersion,
  startWeatherFeatureStore,
  trainingPeriodDays,
  trainWeatherModel,
} from './weather-model.ts';

const servers = realServers();
const run = `${process.pid}-${Date.now()}`;
const watched = ['drift.detected', 'alert.raised', 'alert.resolved', 'data-quality.violated'];

describe('output drift and alert resolution on real Kafka and MongoDB-wire', () => {
  // The feature store only answers GetTrainingSet: it keeps its own in-memory bus.
  const fsBus = createMemoryBus();
  const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-real-')), 'blobs') });
  const kafka = createKafkaBus({
    ...servers.kafka,
    topicPrefix: `mon-i10-${run}.`,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1000,
  });
  let featureStore: InProcessService;
  let trainingSetId: string;
  let monitoring: InProcessService;
  let client: MonitoringClient;
  let subscription: Subscription;
  const seen: CloudEvent[] = [];
  let onnx: Uint8Array;
  let batches = 0;

  const events = <S extends DescMessage>(schema: S): MessageShape<S>[] =>
    seen.filter((e) => e.type === eventKindOf(schema).type).map((e) => decodeEvent(schema, e));

  async function logWindow(days: readonly WeatherDay[], probabilities: readonly number[]) {
    batches++;
    const at = Date.now();
    await kafka.publish([
      newEvent(
        PredictionLoggedSchema,
        {
          modelName: 'weather',
          modelVersion: 1n,
          deploymentName: 'weather',
          sampleRate: 1,
          predictions: days.map((d, i) => ({
            requestId: `real-${batches}-${i}`,
            rowIndex: 0,
            time: timestampFromMs(at),
            inputs: { temp_max: value(d.temp_max), temp_min: value(d.temp_min), wind: value(d.wind) },
            outputs: { probability: value(probabilities[i]!) },
          })),
        },
        { source: 'test/serving' },
      ),
    ]);
  }

  beforeAll(async () => {
    ({ featureStore, trainingSetId } = await startWeatherFeatureStore(fsBus, blobs));
    await kafka.ensureTopics([...watched, 'prediction.logged', 'model.version-registered']);
    subscription = kafka.subscribe({ topics: watched, group: `observer-${run}` });
    void (async () => {
      for await (const delivery of subscription) {
        seen.push(delivery.event);
        await delivery.ack();
      }
    })();
    await subscription.ready({ timeoutMs: 60_000 });
    monitoring = await startInProcess('monitoring', {
      load: loadMonitoringConfig,
      wire: wireMonitoring,
      shared: { bus: kafka, blobs },
      env: {
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: servers.mongoUrl,
        FLYWHEEL_MONGO_DATABASE: `fw-mon-i10-${run}`,
        FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStore.address,
        FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL: '200ms',
      },
    });
    client = createRpcClient(MonitoringService, { address: monitoring.address });
    onnx = trainWeatherModel();
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await subscription?.close();
    await monitoring?.stop();
    await featureStore?.stop();
    await kafka.close();
    await fsBus.close();
    await blobs.close();
  });

  it('registration over Kafka → output reference; a shifted window drifts; a clean one resolves the alert', async () => {
    await client.createMonitor({
      monitor: {
        name: 'weather-predictions',
        modelName: 'weather',
        features: [{ name: 'probability', kind: FeatureKind.NUMERIC, source: FeatureSource.OUTPUT }],
        slices: [{ feature: 'temp_max', edges: [15] }],
        window: { size: 200, minSamples: 50 },
        enabled: true,
      },
    });
    const artifactSha256 = (await blobs.put(onnx)).sha256;
    await registerWeatherVersion(kafka, { version: 1, trainingSetRef: trainingSetId, artifactSha256 });
    const { profile } = await waitFor(
      () => client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n }).catch(() => undefined),
      { what: 'the reference profile built from the registration on Kafka', timeoutMs: 90_000 },
    );
    expect(profile?.features.find((f) => f.name === 'probability')?.source).toBe(FeatureSource.OUTPUT);
    expect(profile?.segments.map((s) => s.segment)).toEqual(['temp_max<15', 'temp_max>=15']);

    const days = shuffled(trainingPeriodDays(), 5).slice(0, 200);
    const probabilities = await probabilitiesOf(onnx, days);
    await logWindow(days, probabilities);
    await logWindow(
      days,
      probabilities.map((p) => 0.6 + 0.4 * p),
    );
    const drift = await waitFor(
      () => {
        const found = events(DriftDetectedSchema).filter((e) => e.feature === 'probability');
        return found.some((e) => e.segment === '') && found.some((e) => e.segment !== '') ? found : undefined;
      },
      { what: 'drift.detected on probability over Kafka, whole and per segment', timeoutMs: 90_000 },
    );
    expect(new Set(drift.map((e) => e.evaluationId)).size).toBe(1);
    expect(drift.map((e) => e.segment)).toEqual(expect.arrayContaining(['', 'temp_max<15', 'temp_max>=15']));
    const raised = await waitFor(() => events(AlertRaisedSchema)[0], {
      what: 'alert.raised over Kafka',
      timeoutMs: 60_000,
    });
    expect(raised.segments).toEqual(expect.arrayContaining(['', 'temp_max<15', 'temp_max>=15']));

    await logWindow(days, probabilities);
    const resolved = await waitFor(() => events(AlertResolvedSchema)[0], {
      what: 'alert.resolved over Kafka',
      timeoutMs: 90_000,
    });
    expect(resolved).toMatchObject({
      alertId: raised.alertId,
      monitorName: 'weather-predictions',
      cleanWindows: 1,
    });
    const { alerts } = await client.listAlerts({ modelName: 'weather' });
    expect(alerts.map((a) => [a.id, a.state, a.resolvedByEvaluationId])).toEqual([
      [raised.alertId, AlertState.RESOLVED, resolved.evaluationId],
    ]);
  }, 300_000);

  it('a logged batch over Kafka violating a monitor’s expectation → data-quality.violated over Kafka, once', async () => {
    await client.createMonitor({
      monitor: {
        name: 'weather-wind-range',
        modelName: 'weather-dq',
        features: [{ name: 'wind', kind: FeatureKind.NUMERIC }],
        window: { size: 1000 },
        expectations: [{ feature: 'wind', kind: { case: 'range', value: { min: 0, max: 5 } } }],
        enabled: true,
      },
    });
    const at = Date.now();
    const winds = [1, 2, 7, 3, 9.5, 4];
    const batch = newEvent(
      PredictionLoggedSchema,
      {
        modelName: 'weather-dq',
        modelVersion: 1n,
        deploymentName: 'weather-dq',
        sampleRate: 1,
        predictions: winds.map((wind, i) => ({
          requestId: `dq-${i}`,
          time: timestampFromMs(at + i),
          inputs: { wind: value(wind) },
        })),
      },
      { source: 'test/serving' },
    );
    await kafka.publish([batch]);
    await kafka.publish([batch]);
    const violated = await waitFor(
      () => events(DataQualityViolatedSchema).find((e) => e.monitorName === 'weather-wind-range'),
      { what: 'data-quality.violated over Kafka', timeoutMs: 90_000 },
    );
    expect(violated).toMatchObject({
      stage: QualityCheckStage.PREDICTION,
      modelName: 'weather-dq',
      modelVersion: 1n,
      feature: 'wind',
      predictionEventId: batch.id,
      checkedCount: 6n,
      violationCount: 2n,
      observedMin: 7,
      observedMax: 9.5,
    });
    expect(violated.observedViolationFraction).toBeCloseTo(2 / 6, 12);
    // A later violating batch goes through the same partition (keyed by model): once its event is
    // out, the redelivered batch was handled before it, and announced nothing again.
    const later = newEvent(
      PredictionLoggedSchema,
      {
        modelName: 'weather-dq',
        modelVersion: 1n,
        deploymentName: 'weather-dq',
        predictions: winds.map((_, i) => ({
          requestId: `later-${i}`,
          time: timestampFromMs(at),
          inputs: { wind: value(8) },
        })),
      },
      { source: 'test/serving' },
    );
    await kafka.publish([later]);
    await waitFor(() => events(DataQualityViolatedSchema).find((e) => e.predictionEventId === later.id), {
      what: 'the later batch’s data-quality.violated',
      timeoutMs: 90_000,
    });
    const all = events(DataQualityViolatedSchema).filter((e) => e.monitorName === 'weather-wind-range');
    expect(all.map((e) => [e.predictionEventId, e.violationCount])).toEqual([
      [batch.id, 2n],
      [later.id, 6n],
    ]);
  }, 180_000);
});
