// Issue 10: prediction (output) drift needs a reference of the model's own outputs. At
// registration the monitoring service runs the registered ONNX artifact over the version's
// training set and profiles what it predicts; a monitored output it cannot compute is reported,
// never silently left untested.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus } from '@flywheel/bus';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { FeatureKind, FeatureSource } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import type { InProcessService } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { shuffled } from './weather-data.ts';
import {
  probabilitiesOf,
  registerWeatherVersion,
  startWeatherFeatureStore,
  trainingPeriodDays,
  trainWeatherModel,
} from './weather-model.ts';

describe('prediction drift against the model’s outputs on its training set', () => {
  const bus = createMemoryBus();
  const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-out-')), 'blobs') });
  let featureStore: InProcessService;
  let h: MonitoringHarness;
  let trainingSetId: string;
  let onnx: Uint8Array;
  let artifactSha256: string;

  beforeAll(async () => {
    ({ featureStore, trainingSetId } = await startWeatherFeatureStore(bus, blobs));
    onnx = trainWeatherModel();
    artifactSha256 = (await blobs.put(onnx)).sha256;
    h = await startMonitoring({
      bus,
      blobs,
      env: { FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStore.address },
    });
    await h.client.createMonitor({
      monitor: {
        name: 'weather-predictions',
        modelName: 'weather',
        features: [{ name: 'probability', kind: FeatureKind.NUMERIC, source: FeatureSource.OUTPUT }],
        window: { size: 200, minSamples: 100 },
        enabled: true,
      },
    });
    // The label output is INT64: the scorer reads float outputs only, so it has no reference.
    await h.client.createMonitor({
      monitor: {
        name: 'weather-labels',
        modelName: 'weather',
        features: [{ name: 'label', kind: FeatureKind.CATEGORICAL, source: FeatureSource.OUTPUT }],
        window: { size: 200, minSamples: 100 },
        enabled: true,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    await featureStore?.stop();
    await bus.close();
    await blobs.close();
  });

  it('registration profiles the model’s predictions on the training set as the output reference', async () => {
    await registerWeatherVersion(bus, { version: 1, trainingSetRef: trainingSetId, artifactSha256 });
    const { profile } = await waitFor(
      () => h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n }).catch(() => undefined),
      { what: 'the reference profile of weather v1', timeoutMs: 60_000 },
    );
    const output = profile?.features.find((f) => f.name === 'probability');
    expect(output).toMatchObject({ source: FeatureSource.OUTPUT, kind: FeatureKind.NUMERIC, count: 1462n });
    // Its mean is the mean of what the model predicts for those 1 462 days (float32 scores).
    const expected = await probabilitiesOf(onnx, trainingPeriodDays());
    const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
    expect(output?.distribution.case === 'numeric' && output.distribution.value.mean).toBeCloseTo(mean, 6);
    // The inputs are there too, and the label output is named as unprofiled, with the reason.
    expect(profile?.features.filter((f) => f.source !== FeatureSource.OUTPUT).map((f) => f.name)).toEqual([
      'temp_max',
      'temp_min',
      'wind',
    ]);
    expect(profile?.unprofiled).toHaveLength(1);
    expect(profile?.unprofiled[0]).toMatchObject({ name: 'label', source: FeatureSource.OUTPUT });
    expect(profile?.unprofiled[0]?.reason).toContain('INT64');
  });

  it('a window of predictions like the training set’s does not drift; a shifted one does, on the output', async () => {
    const days = shuffled(trainingPeriodDays(), 3).slice(0, 200);
    const probabilities = await probabilitiesOf(onnx, days);
    const rows = days.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind }));
    await h.logPredictions({
      modelName: 'weather',
      modelVersion: 1,
      rows,
      outputs: probabilities.map((p, i) => ({ probability: p, label: days[i]!.rained })),
    });
    const calm = await waitFor(
      async () => {
        const report = await h.client.getDriftReport({
          modelName: 'weather',
          monitorName: 'weather-predictions',
        });
        return report.results.length === 1 ? report : undefined;
      },
      { what: 'the first output window to be evaluated' },
    );
    expect(calm.results[0]).toMatchObject({ feature: 'probability', drifted: false, sampleCount: 200n });

    // The model suddenly predicts rain far more often (e.g. a broken upstream unit): every
    // probability pushed towards 1.
    await h.logPredictions({
      modelName: 'weather',
      modelVersion: 1,
      rows,
      outputs: probabilities.map((p) => ({ probability: 0.6 + 0.4 * p, label: 1 })),
    });
    const drift = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.feature === 'probability');
        return found.length > 0 ? found : undefined;
      },
      { what: 'drift.detected on the probability output' },
    );
    expect(drift[0]).toMatchObject({
      monitorName: 'weather-predictions',
      modelVersion: 1n,
      featureKind: FeatureKind.NUMERIC,
      sampleCount: 200n,
      referenceCount: 1462n,
      segment: '',
    });
  });

  it('a monitored output without a reference is reported untested, with the reason, never silently skipped', async () => {
    const report = await waitFor(
      async () => {
        const r = await h.client.getDriftReport({ modelName: 'weather', monitorName: 'weather-labels' });
        return r.untested.length > 0 ? r : undefined;
      },
      { what: 'the label monitor’s evaluation' },
    );
    expect(report.results).toHaveLength(0);
    expect(report.untested).toEqual([
      expect.objectContaining({ monitorName: 'weather-labels', feature: 'label', segment: '' }),
    ]);
    expect(report.untested[0]?.reason).toMatch(/^no reference: .*INT64/);
    expect(h.events(DriftDetectedSchema).filter((e) => e.feature === 'label')).toHaveLength(0);
  });
});
