// Hop 6 of the closed loop with the REAL feature store: model.version-registered → its training
// set (GetTrainingSet) → the JSON Lines blob → the version's reference profile; predictions that
// came before it wait for it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, dlqHeaders } from '@flywheel/bus';
import { newEvent } from '@flywheel/events';
import {
  toJsonLines,
  weatherDailyView,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import {
  DriftTestKind,
  FeatureKind,
  TaskKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { newYorkDays, shuffled, weatherDays } from './weather-data.ts';

const signature = {
  inputs: ['temp_max', 'temp_min', 'wind'].map((name) => ({ name, datatype: 'FP32', shape: [-1n, 1n] })),
  outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1n, 1n] }],
};

describe('reference profile from a registered version’s training set', () => {
  const bus = createMemoryBus();
  const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-fs-')), 'blobs') });
  let featureStore: InProcessService;
  let h: MonitoringHarness;
  let trainingSetId: string;

  const register = (modelVersion: number, trainingSetRef: string) =>
    bus.publish([
      newEvent(
        ModelVersionRegisteredSchema,
        {
          modelName: 'weather',
          modelVersion: BigInt(modelVersion),
          team: 'weather',
          signature,
          lineage: { trainingSetRef, pipelineRunId: 'run-1' },
          requestId: `run-1/register-${modelVersion}`,
        },
        { source: 'flywheel/registry' },
      ),
    ]);

  beforeAll(async () => {
    featureStore = await startInProcess('feature-store', {
      load: loadFeatureStoreConfig,
      wire: wireFeatureStore,
      shared: { bus, blobs },
    });
    const fs = createRpcClient(FeatureStoreService, { address: featureStore.address });
    try {
      await fs.applyFeatureView({ featureView: weatherDailyView });
      await fs.applyFeatureView({ featureView: weatherLabelsView });
      const file = await blobs.put(toJsonLines(weatherDays()));
      await bus.publish([
        newEvent(
          DatasetArrivedSchema,
          {
            dataset: weatherDatasetName,
            uri: blobUri(file.sha256),
            format: DatasetFormat.JSONL,
            sha256: file.sha256,
          },
          { source: 'test/data-pipeline' },
        ),
      ]);
      await waitFor(
        () =>
          bus
            .retained('features.materialized')
            .filter((m) => m.key === 'weather_daily' || m.key === 'weather_labels').length >= 2,
        { what: 'both weather views materialized', timeoutMs: 30_000 },
      );
      // What the retrain pipeline's training-set step asks for: Seattle and New York 2012–2013.
      const { trainingSet } = await fs.createTrainingSet({
        features: ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'],
        entityDataframe: {
          source: {
            case: 'viewHistory',
            value: {
              featureViewName: 'weather_labels',
              startTime: timestampFromMs(Date.parse('2012-01-01T00:00:00Z')),
              endTime: timestampFromMs(Date.parse('2014-01-01T00:00:00Z')),
            },
          },
        },
        requestId: 'retrain-weather/run-1/training-set',
      });
      trainingSetId = trainingSet!.id;
    } finally {
      fs.close();
    }
    h = await startMonitoring({
      bus,
      blobs,
      env: { FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStore.address },
    });
    await h.client.createMonitor({
      monitor: {
        name: 'weather-inputs',
        modelName: 'weather',
        features: ['temp_max', 'temp_min', 'wind'].map((name) => ({ name, kind: FeatureKind.NUMERIC })),
        window: { size: 300, minSamples: 100 },
        // Predictions are kept for performance metrics too, which shows when a batch was taken.
        performance: { task: TaskKind.BINARY_CLASSIFICATION, predictionOutput: 'probability' },
        enabled: true,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await featureStore?.stop();
    await bus.close();
    await blobs.close();
  });

  it('a full window of a version without a profile waits for it instead of being tested', async () => {
    const rows = shuffled(newYorkDays())
      .slice(0, 300)
      .map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind }));
    await h.logPredictions({
      modelName: 'weather',
      modelVersion: 1,
      rows,
      outputs: rows.map(() => ({ probability: 0.5 })),
    });
    await waitFor(
      async () => {
        const { metrics } = await h.client.getPerformanceMetrics({ modelName: 'weather' });
        return metrics[0]?.predictionCount === 300n;
      },
      { what: 'the batch to be taken' },
    );
    // The window is full, but nothing was evaluated: there is no reference to compare with.
    const report = await h.client.getDriftReport({ modelName: 'weather', modelVersion: 1n });
    expect(report.results).toHaveLength(0);
    expect(h.events(DriftDetectedSchema)).toHaveLength(0);
  });

  it('builds the profile of the registered version from its training set, inputs only', async () => {
    await register(1, trainingSetId);
    const { profile } = await waitFor(
      () => h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n }).catch(() => undefined),
      { what: 'the reference profile of weather v1', timeoutMs: 20_000 },
    );
    expect(profile?.sourceRef).toBe(trainingSetId);
    // The label pass-through column weather_labels:rained is not a model input.
    expect(profile?.features.map((f) => [f.name, f.kind, f.count])).toEqual([
      ['temp_max', FeatureKind.NUMERIC, 1462n],
      ['temp_min', FeatureKind.NUMERIC, 1462n],
      ['wind', FeatureKind.NUMERIC, 1462n],
    ]);
    const windDays = weatherDays().filter((d) => d.event_time < '2014');
    const meanWind = windDays.reduce((total, d) => total + d.wind, 0) / windDays.length;
    const wind = profile?.features[2]?.distribution;
    expect(wind?.case === 'numeric' && wind.value.mean).toBeCloseTo(meanWind, 9);
    expect(wind?.case === 'numeric' && wind.value.min).toBe(Math.min(...windDays.map((d) => d.wind)));
  });

  it('then tests the window that waited', async () => {
    // Against Seattle + New York the all-New-York window is still shifted in wind.
    const events = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.feature === 'wind');
        return found.length > 0 ? found : undefined;
      },
      { what: 'drift.detected for the parked window' },
    );
    expect(events[0]).toMatchObject({
      modelName: 'weather',
      modelVersion: 1n,
      sampleCount: 300n,
      referenceCount: 1462n,
    });
    expect(events.map((e) => e.test)).toContain(DriftTestKind.PSI);
  });

  it('a second registration event for the version keeps the profile it has', async () => {
    const { profile: before } = await h.client.getReferenceProfile({
      modelName: 'weather',
      modelVersion: 1n,
    });
    await register(1, trainingSetId);
    await register(2, trainingSetId);
    await waitFor(
      () => h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 2n }).catch(() => undefined),
      {
        what: 'the profile of v2 (registered after the repeat)',
        timeoutMs: 20_000,
      },
    );
    const { profile: after } = await h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n });
    expect(after?.id).toBe(before?.id);
  });

  it('a training set the feature store does not know ends in the DLQ with the reason', async () => {
    await register(3, 'ts_does_not_exist');
    const dead = await waitFor(() => bus.retained('model.version-registered.dlq')[0], {
      what: 'the registration in the DLQ',
    });
    expect(dead.headers?.[dlqHeaders.reason]).toContain('ts_does_not_exist');
    await expect(
      h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 3n }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
