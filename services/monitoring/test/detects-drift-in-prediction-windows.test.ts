// The drift hop of the closed loop: windows of logged predictions against the version's reference
// profile, on real weather (Seattle trains v1; New York is a genuine shift).
import { AlertRaisedSchema, DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  AlertSeverity,
  AlertState,
  DriftTestKind,
  FeatureKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { sampleSum, scrapePrometheus, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines, newYorkDays, seattleTrainingDays, shuffled, type WeatherDay } from './weather-data.ts';

const features = ['temp_max', 'temp_min', 'wind'] as const;
const inputsOf = (days: readonly WeatherDay[]) =>
  days.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind }));

describe('drift in prediction windows', () => {
  let h: MonitoringHarness;

  beforeAll(async () => {
    h = await startMonitoring();
    await h.client.createMonitor({
      monitor: {
        name: 'weather-drift',
        modelName: 'weather',
        features: features.map((name) => ({ name, kind: FeatureKind.NUMERIC })),
        window: { size: 200, minSamples: 100 },
        enabled: true,
      },
    });
    // v1's reference: the training set's rows, as a JSON Lines dataset in the shared blob store.
    const uri = await h.putBlob(jsonLines(seattleTrainingDays()));
    const { profile } = await h.client.setReferenceProfile({
      modelName: 'weather',
      modelVersion: 1n,
      source: { case: 'dataset', value: { uri } },
    });
    expect(profile?.sourceRef).toBe(uri);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('profiles the reference dataset per monitored feature', async () => {
    const { profile } = await h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n });
    expect(profile?.features.map((f) => [f.name, f.kind, f.count])).toEqual([
      ['temp_max', FeatureKind.NUMERIC, 731n],
      ['temp_min', FeatureKind.NUMERIC, 731n],
      ['wind', FeatureKind.NUMERIC, 731n],
    ]);
    const wind = profile?.features.find((f) => f.name === 'wind')?.distribution;
    expect(wind?.case).toBe('numeric');
    if (wind?.case !== 'numeric') return;
    expect(wind.value.mean).toBeGreaterThan(3);
    expect(wind.value.mean).toBeLessThan(3.6);
    expect(wind.value.binEdges.length).toBe(wind.value.binCounts.length + 1);
    expect(wind.value.binCounts.reduce((a, b) => a + b, 0n)).toBe(731n);
    expect(wind.value.quantiles).toHaveLength(101);
  });

  it('a window like the training data shows no drift; a New York window drifts in wind on PSI and KS', async () => {
    // (a) 200 days drawn from the training period itself, logged in batches of 50.
    const same = inputsOf(shuffled(seattleTrainingDays()).slice(0, 200));
    for (let i = 0; i < same.length; i += 50) {
      await h.logPredictions({ modelName: 'weather', modelVersion: 1, rows: same.slice(i, i + 50) });
    }
    const calm = await waitFor(
      async () => {
        const report = await h.client.getDriftReport({ modelName: 'weather' });
        return report.results.length === 3 ? report : undefined;
      },
      { what: 'the first window to be evaluated' },
    );
    expect(calm.modelVersion).toBe(1n);
    expect(calm.driftedShare).toBe(0);
    expect(calm.results.map((r) => [r.feature, r.drifted, r.sampleCount])).toEqual([
      ['temp_max', false, 200n],
      ['temp_min', false, 200n],
      ['wind', false, 200n],
    ]);
    expect(calm.results[0]?.tests.map((t) => t.kind)).toEqual([DriftTestKind.PSI, DriftTestKind.KS]);
    const firstWindowEnd = calm.results[0]!.windowEndTime!;

    // (b) New York days: stronger wind.
    const shifted = inputsOf(shuffled(newYorkDays()).slice(0, 200));
    for (let i = 0; i < shifted.length; i += 50) {
      await h.logPredictions({ modelName: 'weather', modelVersion: 1, rows: shifted.slice(i, i + 50) });
    }
    const drift = await waitFor(
      () => {
        const events = h.events(DriftDetectedSchema).filter((e) => e.feature === 'wind');
        return events.length >= 2 ? events : undefined;
      },
      { what: 'drift.detected for wind' },
    );
    expect(drift.map((e) => e.test).sort()).toEqual([DriftTestKind.PSI, DriftTestKind.KS]);
    const psi = drift.find((e) => e.test === DriftTestKind.PSI)!;
    const ks = drift.find((e) => e.test === DriftTestKind.KS)!;
    expect(psi).toMatchObject({
      modelName: 'weather',
      modelVersion: 1n,
      monitorName: 'weather-drift',
      deploymentName: 'weather',
      team: 'default',
      featureKind: FeatureKind.NUMERIC,
      threshold: 0.2,
      sampleCount: 200n,
      referenceCount: 731n,
      monitoredFeatureCount: 3,
    });
    expect(psi.statistic).toBeGreaterThan(0.2);
    expect(ks.pValue).toBeLessThan(0.01);
    expect(ks.threshold).toBe(0.01);
    expect(ks.statistic).toBeGreaterThan(0.3);
    expect(psi.windowStartTime).toBeDefined();
    expect(psi.windowEndTime).toBeDefined();
    const { profile } = await h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n });
    expect(psi.referenceProfileId).toBe(profile?.id);

    // Every drift event of the run belongs to the second window's evaluation: the first raised none.
    const all = h.events(DriftDetectedSchema);
    expect(new Set(all.map((e) => e.evaluationId))).toEqual(new Set([psi.evaluationId]));
    expect(all.every((e) => e.driftedFeatureCount === psi.driftedFeatureCount)).toBe(true);

    // The report and the history show it too.
    const report = await h.client.getDriftReport({ modelName: 'weather', modelVersion: 1n });
    const wind = report.results.find((r) => r.feature === 'wind')!;
    expect(wind.drifted).toBe(true);
    expect(wind.id).toBe(psi.driftResultId);
    expect(report.driftedShare).toBeGreaterThan(0);
    const history = await h.client.listDriftResults({ modelName: 'weather', feature: 'wind' });
    expect(history.results.map((r) => r.drifted)).toEqual([true, false]);
    const driftedOnly = await h.client.listDriftResults({
      modelName: 'weather',
      driftedOnly: true,
      pageSize: 1,
    });
    expect(driftedOnly.results).toHaveLength(1);
    expect(driftedOnly.nextPageToken).not.toBe('');
    const beforeSecond = await h.client.listDriftResults({
      modelName: 'weather',
      endTime: { ...firstWindowEnd, nanos: firstWindowEnd.nanos + 1_000_000 },
    });
    expect(beforeSecond.results.every((r) => !r.drifted)).toBe(true);
    expect(beforeSecond.results).toHaveLength(3);

    // Its metrics: the last window's statistics as gauges, and the drift.detected it announced.
    const samples = await scrapePrometheus(h.service.metricsUrl!);
    const gauge = (feature: string, statistic: string) =>
      sampleSum(samples, 'flywheel_drift_statistic', { monitor: 'weather-drift', feature, statistic });
    expect(gauge('wind', 'psi')).toBeCloseTo(psi.statistic, 12);
    expect(gauge('wind', 'ks')).toBeCloseTo(ks.statistic, 12);
    expect(gauge('temp_max', 'psi')).toBe(
      report.results.find((r) => r.feature === 'temp_max')!.tests[0]!.statistic,
    );
    expect(sampleSum(samples, 'flywheel_drift_detected_total', { monitor: 'weather-drift' })).toBe(
      all.length,
    );
  });

  it('raises one open alert for the drifted window, with alert.raised', async () => {
    const raised = await waitFor(() => h.events(AlertRaisedSchema)[0], { what: 'alert.raised' });
    expect(raised.title).toMatch(/^drift in /);
    const { alerts } = await h.client.listAlerts({ modelName: 'weather' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: raised.alertId,
      monitorName: 'weather-drift',
      modelVersion: 1n,
      state: AlertState.OPEN,
      title: raised.title,
    });
    expect(alerts[0]!.driftResultIds.length).toBeGreaterThan(0);
    // New York differs in temperatures too: all three features drifted, so the alert is critical.
    expect(raised.severity).toBe(AlertSeverity.CRITICAL);
    expect((await h.client.listAlerts({ minSeverity: AlertSeverity.CRITICAL })).alerts).toHaveLength(1);
  });

  it('a calm window afterwards resolves the alert', async () => {
    const same = inputsOf(shuffled(seattleTrainingDays(), 7).slice(0, 200));
    await h.logPredictions({ modelName: 'weather', modelVersion: 1, rows: same });
    const resolved = await waitFor(
      async () => {
        const { alerts } = await h.client.listAlerts({ modelName: 'weather', state: AlertState.RESOLVED });
        return alerts[0];
      },
      { what: 'the alert to be resolved' },
    );
    expect(resolved.resolveTime).toBeDefined();
    expect((await h.client.listAlerts({ modelName: 'weather', state: AlertState.OPEN })).alerts).toHaveLength(
      0,
    );
  });
});
