// Issue 10: drift and performance per segment (a feature value or a numeric bucket), the segment
// named in the events and the API; and an alert that resolves, as an event, once its monitor saw
// enough clean windows in a row.
import { create } from '@bufbuild/protobuf';
import { newEvent } from '@flywheel/events';
import { ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  AlertRaisedSchema,
  AlertResolvedSchema,
  DriftDetectedSchema,
} from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import {
  AlertKind,
  AlertState,
  FeatureKind,
  TaskKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines, shuffled, type WeatherDay, weatherDays } from './weather-data.ts';

const trainingDays = () => weatherDays().filter((d) => d.event_time < '2014');
const station = (name: WeatherDay['station']) => trainingDays().filter((d) => d.station === name);
const rowOf = (d: WeatherDay, windShift = 0) => ({
  station: d.station,
  temp_max: d.temp_max,
  wind: d.wind + windShift,
});

const monitor = {
  name: 'weather-segments',
  modelName: 'weather',
  features: [
    { name: 'wind', kind: FeatureKind.NUMERIC },
    { name: 'temp_max', kind: FeatureKind.NUMERIC },
  ],
  slices: [
    { feature: 'station', values: ['seattle', 'new-york'] },
    { feature: 'temp_max', edges: [10, 20] },
  ],
  window: { size: 400, minSamples: 100 },
  performance: { task: TaskKind.BINARY_CLASSIFICATION, predictionOutput: 'probability' },
  resolveAfterCleanWindows: 2,
  enabled: true,
};

describe('slices and alert resolution', () => {
  let h: MonitoringHarness;
  let windows = 0;
  const batchIds: string[][] = [];

  /** Logs one full window: 200 Seattle and 200 New York days, New York's wind shifted by `nyShift`. */
  async function logWindow(nyShift: number) {
    windows++;
    const seattle = shuffled(station('seattle'), windows).slice(0, 200);
    const newYork = shuffled(station('new-york'), windows + 100).slice(0, 200);
    const days = [...seattle, ...newYork];
    const requestIds = days.map((_, i) => `w${windows}-${i}`);
    batchIds.push(requestIds);
    await h.logPredictions({
      modelName: 'weather',
      modelVersion: 1,
      rows: days.map((d) => rowOf(d, d.station === 'new-york' ? nyShift : 0)),
      outputs: days.map((d) => ({ probability: d.rained ? 0.8 : 0.2 })),
      requestIds,
    });
    const seen = windows;
    await waitFor(
      async () => {
        const { results } = await h.client.listDriftResults({
          modelName: 'weather',
          feature: 'wind',
          segment: '',
        });
        return results.length >= seen;
      },
      { what: `window ${seen} to be evaluated` },
    );
  }

  beforeAll(async () => {
    h = await startMonitoring();
    await h.client.createMonitor({ monitor });
    const uri = await h.putBlob(jsonLines(trainingDays().map((d) => rowOf(d))));
    await h.client.setReferenceProfile({
      modelName: 'weather',
      modelVersion: 1n,
      source: { case: 'dataset', value: { uri } },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses slices it cannot honour, naming the field', async () => {
    const refused = async (slices: unknown, field: string) => {
      await expect(
        h.client.createMonitor({
          monitor: {
            ...monitor,
            name: `bad-${field.length}-${Math.random().toString(36).slice(2, 8)}`,
            slices,
          } as never,
        }),
      ).rejects.toMatchObject({ code: 'invalid_argument', field });
    };
    await refused([{ feature: 'station', values: ['a'], edges: [1] }], 'monitor.slices[0]');
    await refused([{ feature: 'station' }], 'monitor.slices[0]');
    await refused([{ feature: 'age', edges: [1, 1] }], 'monitor.slices[0].edges[1]');
    await refused([{ feature: 'station', values: ['a', 'a'] }], 'monitor.slices[0].values[1]');
    await refused(
      [
        { feature: 'station', values: ['a'] },
        { feature: 'station', values: ['b'] },
      ],
      'monitor.slices[1].feature',
    );
    await refused([{ feature: 'age', edges: Array.from({ length: 20 }, (_, i) => i) }], 'monitor.slices');
    await expect(
      h.client.createMonitor({
        monitor: {
          ...monitor,
          name: 'bad-name',
          features: [{ name: '@slice:input:x', kind: FeatureKind.NUMERIC }],
        },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'monitor.features[0].name' });
    // Segment parts are computed from a dataset, never taken from a caller.
    await expect(
      h.client.setReferenceProfile({
        modelName: 'weather',
        modelVersion: 9n,
        source: { case: 'profile', value: { features: [], segments: [{ segment: 'station=seattle' }] } },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'profile.segments' });
    const { monitor: stored } = await h.client.getMonitor({ monitorName: 'weather-segments' });
    expect(stored?.slices.map((s) => [s.feature, s.values, s.edges])).toEqual([
      ['station', ['seattle', 'new-york'], []],
      ['temp_max', [], [10, 20]],
    ]);
    expect(stored?.resolveAfterCleanWindows).toBe(2);
  });

  it('profiles every segment of the reference', async () => {
    const { profile } = await h.client.getReferenceProfile({ modelName: 'weather', modelVersion: 1n });
    expect(profile?.segments.map((s) => s.segment)).toEqual([
      'station=seattle',
      'station=new-york',
      'temp_max<10',
      '10<=temp_max<20',
      'temp_max>=20',
    ]);
    const seattle = profile?.segments.find((s) => s.segment === 'station=seattle');
    expect(seattle?.features.find((f) => f.name === 'wind')?.count).toBe(731n);
  });

  it('a shift in one segment drifts that segment, named in drift.detected, the alert and the API', async () => {
    await logWindow(0);
    expect(h.events(DriftDetectedSchema)).toHaveLength(0);
    await logWindow(3);
    const drift = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.segment === 'station=new-york');
        return found.length > 0 ? found : undefined;
      },
      { what: 'drift.detected in station=new-york' },
    );
    expect(drift.map((e) => e.feature)).toContain('wind');
    expect(drift[0]).toMatchObject({ sampleCount: 200n, referenceCount: 731n, monitoredFeatureCount: 2 });
    expect(h.events(DriftDetectedSchema).filter((e) => e.segment === 'station=seattle')).toHaveLength(0);

    const raised = await waitFor(() => h.events(AlertRaisedSchema)[0], { what: 'alert.raised' });
    expect(raised.segments).toContain('station=new-york');
    expect(raised.segments).not.toContain('station=seattle');

    const report = await h.client.getDriftReport({ modelName: 'weather', modelVersion: 1n });
    const windNy = report.results.find((r) => r.feature === 'wind' && r.segment === 'station=new-york');
    const windSeattle = report.results.find((r) => r.feature === 'wind' && r.segment === 'station=seattle');
    expect(windNy?.drifted).toBe(true);
    expect(windSeattle?.drifted).toBe(false);
    // drifted_share counts the whole population's results only.
    const whole = report.results.filter((r) => r.segment === '');
    expect(whole.map((r) => r.feature)).toEqual(['wind', 'temp_max']);
    expect(report.driftedShare).toBe(whole.filter((r) => r.drifted).length / 2);

    const ny = await h.client.listDriftResults({
      modelName: 'weather',
      feature: 'wind',
      segment: 'station=new-york',
    });
    expect(ny.results.map((r) => [r.segment, r.drifted])).toEqual([
      ['station=new-york', true],
      ['station=new-york', false],
    ]);
    const all = await h.client.listDriftResults({ modelName: 'weather', feature: 'wind' });
    expect(new Set(all.results.map((r) => r.segment)).size).toBeGreaterThan(2);
  });

  it('computes performance per segment', async () => {
    const label = (value: number) =>
      create(ValueSchema, { kind: { case: 'int64Value', value: BigInt(value) } });
    const first = batchIds[0]!;
    await h.bus.publish([
      newEvent(
        GroundTruthReceivedSchema,
        {
          modelName: 'weather',
          source: 'rain-gauges',
          // The first window's Seattle half (rows 0–199) right, its New York half wrong.
          labels: first.map((requestId, i) => ({ requestId, rowIndex: 0, label: label(i < 200 ? 1 : 0) })),
        },
        { source: 'test/labelling' },
      ),
    ]);
    const metrics = await waitFor(
      async () => {
        const { metrics } = await h.client.getPerformanceMetrics({ modelName: 'weather' });
        return metrics.find((m) => m.segment === '')?.labelledCount === 400n ? metrics : undefined;
      },
      { what: 'the labels to be joined' },
    );
    expect(metrics.map((m) => m.segment)).toEqual([
      '',
      '10<=temp_max<20',
      'station=new-york',
      'station=seattle',
      'temp_max<10',
      'temp_max>=20',
    ]);
    const seattle = metrics.find((m) => m.segment === 'station=seattle')!;
    const newYork = metrics.find((m) => m.segment === 'station=new-york')!;
    expect([seattle.predictionCount, seattle.labelledCount]).toEqual([400n, 200n]);
    expect([newYork.predictionCount, newYork.labelledCount]).toEqual([400n, 200n]);
    const { metrics: only } = await h.client.getPerformanceMetrics({
      modelName: 'weather',
      segment: 'station=seattle',
    });
    expect(only.map((m) => m.segment)).toEqual(['station=seattle']);
    await expect(
      h.client.getPerformanceMetrics({ modelName: 'weather', segment: 'station=paris' }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'segment' });
  });

  it('resolves the alert only after two clean windows in a row, with alert.resolved naming the window', async () => {
    const raised = h.events(AlertRaisedSchema)[0]!;
    await logWindow(0);
    const afterOne = await h.client.listAlerts({ modelName: 'weather' });
    expect(afterOne.alerts.map((a) => a.state)).toEqual([AlertState.OPEN]);
    expect(h.events(AlertResolvedSchema)).toHaveLength(0);

    await logWindow(0);
    const resolved = await waitFor(() => h.events(AlertResolvedSchema)[0], { what: 'alert.resolved' });
    const report = await h.client.getDriftReport({ modelName: 'weather', modelVersion: 1n });
    const lastWindowEnd = report.results.find((r) => r.segment === '' && r.feature === 'wind')!.windowEndTime;
    expect(resolved).toMatchObject({
      alertId: raised.alertId,
      modelName: 'weather',
      modelVersion: 1n,
      monitorName: 'weather-segments',
      kind: AlertKind.DRIFT,
      cleanWindows: 2,
      windowEndTime: lastWindowEnd,
    });
    expect(resolved.evaluationId).toMatch(/^ev_/);
    const { alerts } = await h.client.listAlerts({ modelName: 'weather', state: AlertState.RESOLVED });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: raised.alertId,
      state: AlertState.RESOLVED,
      resolvedByEvaluationId: resolved.evaluationId,
    });
    expect(alerts[0]?.resolveTime).toBeDefined();
    // Another clean window resolves nothing more: one alert.resolved per alert.
    await logWindow(0);
    expect(h.events(AlertResolvedSchema)).toHaveLength(1);
  });
});
