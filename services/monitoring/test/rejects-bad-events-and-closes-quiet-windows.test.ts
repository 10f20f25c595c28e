// Events that cannot be handled end in the DLQ with the reason; a window with a duration closes
// even when traffic stops.
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { dlqHeaders } from '@flywheel/bus';
import { newEvent } from '@flywheel/events';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines, newYorkDays, seattleTrainingDays, shuffled } from './weather-data.ts';

describe('bad events and quiet windows', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring({ env: { FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL: '50ms' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a prediction batch without a model version goes to prediction.logged.dlq, naming the field', async () => {
    const event = newEvent(
      PredictionLoggedSchema,
      { modelName: 'weather', predictions: [{ requestId: 'x' }] },
      { source: 'test' },
    );
    await h.bus.publish([event]);
    const dead = await waitFor(() => h.bus.retained('prediction.logged.dlq')[0], {
      what: 'the batch in the DLQ',
    });
    expect(dead.headers?.[dlqHeaders.reason]).toContain('model_version');
  });

  it('a window with a duration is closed and tested once its time has passed, with no later prediction', async () => {
    await h.client.createMonitor({
      monitor: {
        name: 'quiet-wind',
        modelName: 'quiet',
        features: [{ name: 'wind', kind: FeatureKind.NUMERIC }],
        window: { duration: durationFromMs(300), minSamples: 50 },
        enabled: true,
      },
    });
    const uri = await h.putBlob(jsonLines(seattleTrainingDays()));
    await h.client.setReferenceProfile({
      modelName: 'quiet',
      modelVersion: 1n,
      source: { case: 'dataset', value: { uri } },
    });
    const rows = shuffled(newYorkDays())
      .slice(0, 100)
      .map((d) => ({ wind: d.wind }));
    await h.logPredictions({ modelName: 'quiet', modelVersion: 1, rows });
    const events = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.modelName === 'quiet');
        return found.length > 0 ? found : undefined;
      },
      { what: 'the quiet window to be closed and tested' },
    );
    expect(events[0]?.sampleCount).toBe(100n);
  });
});
