// Issue 9: two monitoring instances in ONE consumer group on real Kafka topics and ONE MongoDB-wire
// database, as production runs them. Batches spread over the partitions (and each batch published
// twice, as a retrying producer does) reach both replicas, which add to the same window document
// and race to close and evaluate it. Every sample must land in exactly one window, each window must
// be evaluated once (one drift result, at most one drift.detected per test and one alert), and the
// performance join must count every prediction and label once.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import { type CloudEvent, decodeEvent, newEvent } from '@flywheel/events';
import { ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { AlertRaisedSchema, DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  GroundTruthReceivedSchema,
  PredictionLoggedSchema,
} from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import {
  FeatureKind,
  MonitoringService,
  TaskKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { startReplicaStack } from '@flywheel/runtime/testing';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadMonitoringConfig, wireMonitoring } from '../src/index.ts';
import { value } from './monitoring-harness.ts';
import { jsonLines, newYorkDays, seattleTrainingDays, shuffled } from './weather-data.ts';

const servers = realServers();
const batches = 40;
const rowsPerBatch = 10;
const windowSize = 100;

describe('two monitoring replicas sharing one consumer group and one database', () => {
  it('count every sample in exactly one window, evaluate each window once and join performance exactly', {
    timeout: 240_000,
  }, async () => {
    const run = uniqueName('mon-replicas').replaceAll('_', '-');
    const stack = startReplicaStack({ run, servers });
    onTestFinished(() => stack.close());
    const bus = stack.bus();
    const blobs = stack.blobs;
    const replica = async (name: string) => {
      const service = await stack.start('monitoring', {
        load: loadMonitoringConfig,
        wire: wireMonitoring,
        instance: `monitoring-${name}`,
        database: run,
        env: { FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL: '100ms' },
      });
      return stack.client(MonitoringService, service.address);
    };
    const a = await replica('a');
    const b = await replica('b');

    // What the replicas announce, once per event id (see ReplicaStack.observe).
    const byId = await stack.observe(['drift.detected', 'alert.raised']);
    const announced = (): CloudEvent[] => [...byId.values()];

    const modelName = `weather-${run}`;
    await a.createMonitor({
      monitor: {
        name: 'shared-wind',
        modelName,
        features: [{ name: 'wind', kind: FeatureKind.NUMERIC }],
        window: { size: windowSize, minSamples: 50 },
        performance: { task: TaskKind.REGRESSION, predictionOutput: 'y' },
        enabled: true,
      },
    });
    const uri = blobUri((await blobs.put(jsonLines(seattleTrainingDays()))).sha256);
    await b.setReferenceProfile({ modelName, modelVersion: 1n, source: { case: 'dataset', value: { uri } } });

    // New York wind drifts from Seattle's: every window drifts. Each batch gets a key of its own
    // so the batches spread over every partition (and so over both replicas), and goes out twice.
    const days = shuffled(newYorkDays());
    const at = Date.now() - 60_000;
    const events: CloudEvent[] = [];
    for (let i = 0; i < batches; i++) {
      const rows = Array.from(
        { length: rowsPerBatch },
        (_, j) => days[(i * rowsPerBatch + j) % days.length]!,
      );
      const predicted = newEvent(
        PredictionLoggedSchema,
        {
          modelName,
          modelVersion: 1n,
          deploymentName: 'weather',
          sampleRate: 1,
          predictions: rows.map((day, j) => ({
            requestId: `req-${i}-${j}`,
            rowIndex: 0,
            time: timestampFromMs(at + i * rowsPerBatch + j),
            inputs: { wind: value(day.wind) },
            outputs: { y: value(day.temp_max) },
          })),
        },
        { source: 'test/serving' },
      );
      const labelled = newEvent(
        GroundTruthReceivedSchema,
        {
          modelName,
          source: 'test',
          labels: rows.map((day, j) => ({
            requestId: `req-${i}-${j}`,
            rowIndex: 0,
            label: create(ValueSchema, { kind: { case: 'doubleValue', value: day.temp_max + 1 } }),
          })),
        },
        { source: 'test/labels' },
      );
      events.push({ ...predicted, key: `batch-${i}` }, { ...predicted, key: `again-${i}` });
      events.push({ ...labelled, key: `labels-${i}` });
    }
    await bus.publish(events);

    const total = batches * rowsPerBatch;
    const windows = total / windowSize;
    const results = await waitFor(
      async () => {
        const { results } = await a.listDriftResults({ modelName, pageSize: 100 });
        return results.length >= windows ? results : undefined;
      },
      { timeoutMs: 120_000, what: `${windows} evaluated windows` },
    );
    const metrics = await waitFor(
      async () => {
        const { metrics } = await b.getPerformanceMetrics({ modelName });
        return metrics[0]?.labelledCount === BigInt(total) ? metrics : undefined;
      },
      { timeoutMs: 60_000, what: `${total} labelled predictions` },
    );
    const alerts = await waitFor(
      async () => {
        const { alerts } = await b.listAlerts({ modelName, pageSize: 100 });
        return alerts.length >= windows ? alerts : undefined;
      },
      { timeoutMs: 60_000, what: 'one alert per drifted window' },
    );
    // Every drift result and alert has been announced once the observer holds as many events.
    const drifted = results.reduce((sum, r) => sum + r.tests.filter((t) => t.drifted).length, 0);
    await waitFor(
      () =>
        announced().filter((e) => e.type === 'drift.detected').length >= drifted &&
        announced().filter((e) => e.type === 'alert.raised').length >= alerts.length,
      { timeoutMs: 60_000, what: 'the drift and alert events on Kafka' },
    );
    // A late duplicate would arrive within a few sweeps: give the replicas time to misbehave.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    // Every sample in exactly one window, each window evaluated once.
    expect(results).toHaveLength(windows);
    expect(results.map((r) => r.sampleCount)).toEqual(Array(windows).fill(BigInt(windowSize)));
    expect(results.every((r) => r.drifted)).toBe(true);
    const windowStarts = new Set(results.map((r) => r.windowStartTime?.seconds));
    expect(windowStarts.size).toBeGreaterThan(0);
    const { results: again } = await b.listDriftResults({ modelName, pageSize: 100 });
    expect(again).toHaveLength(windows);

    const driftEvents = announced()
      .filter((e) => e.type === 'drift.detected')
      .map((e) => decodeEvent(DriftDetectedSchema, e));
    expect(driftEvents).toHaveLength(drifted);
    const perTest = new Set(driftEvents.map((e) => `${e.evaluationId}/${e.feature}/${e.test}`));
    expect(perTest.size).toBe(driftEvents.length);
    expect(new Set(driftEvents.map((e) => e.evaluationId)).size).toBe(windows);
    expect(new Set(driftEvents.map((e) => e.driftResultId))).toEqual(new Set(results.map((r) => r.id)));

    expect(alerts).toHaveLength(windows);
    const alertEvents = announced()
      .filter((e) => e.type === 'alert.raised')
      .map((e) => decodeEvent(AlertRaisedSchema, e));
    expect(alertEvents).toHaveLength(windows);
    expect(new Set(alertEvents.map((e) => e.alertId))).toEqual(new Set(alerts.map((x) => x.id)));

    // Performance: every prediction and label once, though each batch was delivered twice.
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.predictionCount).toBe(BigInt(total));
    expect(metrics[0]?.labelledCount).toBe(BigInt(total));
    expect(metrics[0]?.metrics.mae).toBeCloseTo(1, 6);
  });
});
