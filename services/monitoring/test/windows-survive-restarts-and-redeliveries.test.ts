// Window state is persisted: a restart goes on filling the same window, and a batch delivered
// twice is counted once.

import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { newEvent } from '@flywheel/events';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { FeatureKind, TaskKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring, value } from './monitoring-harness.ts';
import { jsonLines, newYorkDays, seattleTrainingDays, shuffled } from './weather-data.ts';

const windRows = (count: number, offset = 0) =>
  shuffled(newYorkDays())
    .slice(offset, offset + count)
    .map((d) => ({ wind: d.wind }));

describe('window state across restarts and redeliveries', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring();
    for (const [name, model] of [
      ['restart-wind', 'restart-model'],
      ['dedupe-wind', 'dedupe-model'],
    ] as const) {
      await h.client.createMonitor({
        monitor: {
          name,
          modelName: model,
          features: [{ name: 'wind', kind: FeatureKind.NUMERIC }],
          window: { size: 300, minSamples: 100 },
          // Predictions are also kept for metrics, whose counts show when a batch was taken.
          performance: { task: TaskKind.REGRESSION, predictionOutput: 'y' },
          enabled: true,
        },
      });
      const uri = await h.putBlob(jsonLines(seattleTrainingDays()));
      await h.client.setReferenceProfile({
        modelName: model,
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri } },
      });
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  const taken = (modelName: string, count: number) =>
    waitFor(
      async () => {
        const { metrics } = await h.client.getPerformanceMetrics({ modelName });
        return metrics[0]?.predictionCount === BigInt(count);
      },
      { what: `${count} predictions of ${modelName} taken` },
    );

  it('a window half filled before a restart is completed after it', async () => {
    await h.logPredictions({ modelName: 'restart-model', modelVersion: 1, rows: windRows(200) });
    await taken('restart-model', 200);
    await h.restart();
    await h.logPredictions({ modelName: 'restart-model', modelVersion: 1, rows: windRows(100, 200) });
    const events = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.modelName === 'restart-model');
        return found.length > 0 ? found : undefined;
      },
      { what: 'drift.detected after the restart' },
    );
    expect(events[0]?.sampleCount).toBe(300n);
  });

  it('a batch delivered twice fills the window once', async () => {
    const batch = newEvent(
      PredictionLoggedSchema,
      {
        modelName: 'dedupe-model',
        modelVersion: 1n,
        deploymentName: 'dedupe',
        predictions: windRows(100).map((row, i) => ({
          requestId: `dup-${i}`,
          time: timestampFromMs(Date.now()),
          inputs: { wind: value(row.wind) },
        })),
      },
      { source: 'test/serving' },
    );
    await h.bus.publish([batch]);
    await h.bus.publish([batch]);
    await h.logPredictions({ modelName: 'dedupe-model', modelVersion: 1, rows: windRows(100, 100) });
    await taken('dedupe-model', 200);
    // 200 distinct samples of a 300-sample window: nothing tested yet.
    expect((await h.client.getDriftReport({ modelName: 'dedupe-model' })).results).toHaveLength(0);
    await h.logPredictions({ modelName: 'dedupe-model', modelVersion: 1, rows: windRows(100, 200) });
    const report = await waitFor(
      async () => {
        const r = await h.client.getDriftReport({ modelName: 'dedupe-model' });
        return r.results.length > 0 ? r : undefined;
      },
      { what: 'the window to be tested' },
    );
    expect(report.results[0]?.sampleCount).toBe(300n);
  });
});
