// Reference profiles given whole through SetReferenceProfile, categorical drift, and the alert cooldown.
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { AppError } from '@flywheel/core';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { DriftTestKind, FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';

const windProfile = {
  name: 'wind',
  kind: FeatureKind.NUMERIC,
  count: 1000n,
  distribution: {
    case: 'numeric' as const,
    value: { mean: 5, stddev: 2.9, quantiles: Array.from({ length: 101 }, (_, i) => i / 10) },
  },
};
const stationProfile = {
  name: 'station',
  kind: FeatureKind.CATEGORICAL,
  distribution: { case: 'categorical' as const, value: { counts: { seattle: 900n, 'new-york': 100n } } },
};

describe('reference profiles set directly', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const failure = async (call: Promise<unknown>): Promise<AppError> => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    if (!error) throw new Error('expected the call to fail');
    return error;
  };

  it('stores a given profile under a server id, deriving bins from quantiles', async () => {
    const { profile } = await h.client.setReferenceProfile({
      modelName: 'stations',
      modelVersion: 4n,
      source: {
        case: 'profile',
        value: { id: 'ignored', sourceRef: 'evaluate-step', features: [windProfile, stationProfile] },
      },
    });
    expect(profile?.id).toMatch(/^rp_/);
    const { profile: read } = await h.client.getReferenceProfile({ modelName: 'stations', modelVersion: 4n });
    expect(read?.id).toBe(profile?.id);
    expect(read?.sourceRef).toBe('evaluate-step');
    const wind = read?.features[0]?.distribution;
    expect(wind?.case).toBe('numeric');
    if (wind?.case === 'numeric') {
      expect(wind.value.quantiles[50]).toBe(5);
      expect(wind.value.binEdges).toHaveLength(11);
      expect(wind.value.binCounts).toEqual(new Array(10).fill(100n));
    }
    const station = read?.features[1];
    expect(station?.count).toBe(1000n);
    expect(station?.distribution.case === 'categorical' && station.distribution.value.counts).toEqual({
      seattle: 900n,
      'new-york': 100n,
    });
  });

  it('rejects malformed profiles and refs with INVALID_ARGUMENT naming the field, unknown ones with NOT_FOUND', async () => {
    const cases: Array<[object, string]> = [
      [
        {
          case: 'profile',
          value: { features: [{ ...windProfile, distribution: { case: 'numeric', value: {} } }] },
        },
        'profile.features[0].numeric',
      ],
      [
        {
          case: 'profile',
          value: {
            features: [
              {
                ...windProfile,
                distribution: { case: 'numeric', value: { binEdges: [0, 1], binCounts: [1n, 2n] } },
              },
            ],
          },
        },
        'profile.features[0].numeric.bin_edges',
      ],
      [
        { case: 'profile', value: { features: [{ ...stationProfile, distribution: { case: undefined } }] } },
        'profile.features[0].categorical.counts',
      ],
      [{ case: 'profile', value: { features: [windProfile, windProfile] } }, 'profile.features[1].name'],
      [{ case: 'dataset', value: { uri: 'blob:sha256:nothex' } }, 'dataset.uri'],
      [{ case: undefined }, 'source'],
    ];
    for (const [source, field] of cases) {
      const error = await failure(
        h.client.setReferenceProfile({ modelName: 'stations', modelVersion: 9n, source: source as never }),
      );
      expect(error.code, field).toBe('invalid_argument');
      expect(error.message, field).toContain(field);
    }
    const missingBlob = await failure(
      h.client.setReferenceProfile({
        modelName: 'stations',
        modelVersion: 9n,
        source: { case: 'dataset', value: { uri: `blob:sha256:${'0'.repeat(64)}` } },
      }),
    );
    expect(missingBlob.code).toBe('not_found');
    const none = await failure(h.client.getReferenceProfile({ modelName: 'stations', modelVersion: 9n }));
    expect(none.code).toBe('not_found');
    expect(none.message).toContain('version 9');
  });

  it('detects categorical drift by chi-square and PSI, and within the cooldown records without announcing', async () => {
    // A second monitor without cooldown, evaluated after the first on each batch (monitors go by
    // name): once its events are out, the first monitor's events of the same batch would be too.
    await h.client.createMonitor({
      monitor: {
        name: 'stations-zz-canary',
        modelName: 'stations',
        features: [{ name: 'station', kind: FeatureKind.CATEGORICAL }],
        window: { size: 100, minSamples: 100 },
        enabled: true,
      },
    });
    await h.client.createMonitor({
      monitor: {
        name: 'stations-mix',
        modelName: 'stations',
        features: [{ name: 'station', kind: FeatureKind.CATEGORICAL }],
        window: { size: 100, minSamples: 100 },
        alertCooldown: durationFromMs(3_600_000),
        enabled: true,
      },
    });
    // Mostly New York where the reference is mostly Seattle.
    const rows = Array.from({ length: 100 }, (_, i) => ({ station: i % 5 === 0 ? 'seattle' : 'new-york' }));
    await h.logPredictions({ modelName: 'stations', modelVersion: 4, rows });
    const events = await waitFor(
      () => {
        const found = h.events(DriftDetectedSchema).filter((e) => e.monitorName === 'stations-mix');
        return found.length >= 2 ? found : undefined;
      },
      { what: 'drift.detected for station' },
    );
    expect(events.map((e) => [e.feature, e.featureKind, e.test]).sort()).toEqual([
      ['station', FeatureKind.CATEGORICAL, DriftTestKind.PSI],
      ['station', FeatureKind.CATEGORICAL, DriftTestKind.CHI_SQUARE],
    ]);
    const chi = events.find((e) => e.test === DriftTestKind.CHI_SQUARE)!;
    expect(chi.pValue).toBeLessThan(1e-10);
    expect(chi.referenceCount).toBe(1000n);

    // A second drifted window within the hour: recorded, not announced again.
    await h.logPredictions({ modelName: 'stations', modelVersion: 4, rows });
    await waitFor(
      () => h.events(DriftDetectedSchema).filter((e) => e.monitorName === 'stations-zz-canary').length === 4,
      {
        what: 'the canary’s events for the second window',
      },
    );
    const { results } = await h.client.listDriftResults({ modelName: 'stations', modelVersion: 4n });
    const mix = results.filter((r) => r.monitorName === 'stations-mix');
    expect(mix.map((r) => r.drifted)).toEqual([true, true]);
    expect(h.events(DriftDetectedSchema).filter((e) => e.monitorName === 'stations-mix')).toHaveLength(2);
  });
});
