// Each drift result carries the window's own distribution, binned like the reference, so that a
// report can draw the two histograms side by side.
import { DriftTestKind, FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';

describe('the current window of a drift result', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('holds the window histogram on the reference bin edges (outer bins open) and its category counts', async () => {
    await h.client.setReferenceProfile({
      modelName: 'hist',
      modelVersion: 1n,
      source: {
        case: 'profile',
        value: {
          features: [
            {
              name: 'wind',
              kind: FeatureKind.NUMERIC,
              count: 40n,
              distribution: {
                case: 'numeric',
                value: {
                  min: 0,
                  max: 30,
                  mean: 15,
                  stddev: 7,
                  binEdges: [0, 10, 20, 30],
                  binCounts: [10n, 20n, 10n],
                },
              },
            },
            {
              name: 'station',
              kind: FeatureKind.CATEGORICAL,
              count: 40n,
              distribution: { case: 'categorical', value: { counts: { seattle: 30n, boston: 10n } } },
            },
          ],
        },
      },
    });
    await h.client.createMonitor({
      monitor: {
        name: 'hist-inputs',
        modelName: 'hist',
        features: [
          { name: 'wind', kind: FeatureKind.NUMERIC, tests: [{ kind: DriftTestKind.PSI }] },
          { name: 'station', kind: FeatureKind.CATEGORICAL },
        ],
        window: { size: 50, minSamples: 50 },
        enabled: true,
      },
    });
    // wind: 5 below the first edge and 15 in [0, 10) → bin 1; 10 in [10, 20); 12 in [20, 30] and
    // 8 above it → bin 3. station: 20 seattle, 10 boston, 20 from a city the reference never saw.
    const winds = [
      ...Array.from({ length: 5 }, () => -2),
      ...Array.from({ length: 15 }, (_, i) => i * 0.5),
      ...Array.from({ length: 10 }, (_, i) => 10 + i),
      ...Array.from({ length: 12 }, (_, i) => 20 + i * 0.8),
      ...Array.from({ length: 8 }, () => 45),
    ];
    const stations = (i: number) => (i < 20 ? 'seattle' : i < 30 ? 'boston' : 'denver');
    await h.logPredictions({
      modelName: 'hist',
      modelVersion: 1,
      rows: winds.map((wind, i) => ({ wind, station: stations(i) })),
    });
    const report = await waitFor(
      async () => {
        const r = await h.client.getDriftReport({ modelName: 'hist', monitorName: 'hist-inputs' });
        return r.results.length === 2 ? r : undefined;
      },
      { what: 'results for wind and station', timeoutMs: 60_000 },
    );
    const wind = report.results.find((r) => r.feature === 'wind');
    expect(wind?.current.case).toBe('currentNumeric');
    if (wind?.current.case === 'currentNumeric') {
      const mean = winds.reduce((a, b) => a + b, 0) / winds.length;
      const stddev = Math.sqrt(winds.reduce((a, b) => a + (b - mean) ** 2, 0) / winds.length);
      expect(wind.current.value.binEdges).toEqual([0, 10, 20, 30]);
      expect(wind.current.value.binCounts).toEqual([20n, 10n, 20n]);
      expect(wind.current.value.min).toBe(-2);
      expect(wind.current.value.max).toBe(45);
      expect(wind.current.value.mean).toBeCloseTo(mean, 9);
      expect(wind.current.value.stddev).toBeCloseTo(stddev, 9);
    }
    const station = report.results.find((r) => r.feature === 'station');
    expect(station?.current).toEqual({
      case: 'currentCategorical',
      value: expect.objectContaining({ counts: { seattle: 20n, boston: 10n, denver: 20n } }),
    });
    // The same in the stored history.
    const { results } = await h.client.listDriftResults({
      modelName: 'hist',
      modelVersion: 1n,
      feature: 'wind',
    });
    expect(results[0]?.current.case === 'currentNumeric' && results[0].current.value.binCounts).toEqual([
      20n,
      10n,
      20n,
    ]);
  });
});
