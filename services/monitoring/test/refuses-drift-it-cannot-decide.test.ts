// Bad input to drift detection gets a clear answer and leaves nothing half-written: a monitored
// feature the reference lacks, a reference without values, a profile without data for KS, and a
// window with nothing but NaN.
import {
  DriftConvention,
  DriftTestKind,
  FeatureKind,
  FeatureSource,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines } from './weather-data.ts';

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('drift it cannot decide', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const monitor = (model: string, features: string[], tests = [{ kind: DriftTestKind.KS }]) =>
    h.client.createMonitor({
      monitor: {
        name: `${model}-monitor`,
        modelName: model,
        features: features.map((name) => ({ name, kind: FeatureKind.NUMERIC, tests })),
        window: { size: 100, minSamples: 100 },
        enabled: true,
      },
    });
  const rows = (n: number, value: (i: number) => number | null) =>
    Array.from({ length: n }, (_, i) => ({ x: value(i) }));

  it('a monitored feature the dataset lacks, or has no values of, is INVALID_ARGUMENT on dataset.uri; no profile is written', async () => {
    await monitor('ghostly', ['x', 'ghost']);
    const uri = await h.putBlob(jsonLines(rows(200, (i) => i)));
    const unknown = await failure(
      h.client.setReferenceProfile({
        modelName: 'ghostly',
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri } },
      }),
    );
    expect(unknown.code).toBe('invalid_argument');
    expect(unknown.message).toContain('dataset.uri');
    expect(unknown.message).toContain('"ghost"');

    await monitor('hollow', ['x']);
    const empty = await h.putBlob(jsonLines(rows(200, () => null)));
    const noValues = await failure(
      h.client.setReferenceProfile({
        modelName: 'hollow',
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri: empty } },
      }),
    );
    expect(noValues.code).toBe('invalid_argument');
    expect(noValues.message).toContain('dataset.uri');
    expect(noValues.message).toContain('no values of');
    for (const modelName of ['ghostly', 'hollow']) {
      const none = await failure(h.client.getReferenceProfile({ modelName, modelVersion: 1n }));
      expect(none.code).toBe('not_found');
    }
  });

  it('a monitored output the dataset lacks, and an empty dataset, are INVALID_ARGUMENT on dataset.uri; no profile is written', async () => {
    await h.client.createMonitor({
      monitor: {
        name: 'outless-monitor',
        modelName: 'outless',
        features: [
          { name: 'x', kind: FeatureKind.NUMERIC, tests: [{ kind: DriftTestKind.KS }] },
          { name: 'score', kind: FeatureKind.NUMERIC, source: FeatureSource.OUTPUT },
        ],
        window: { size: 100, minSamples: 100 },
        enabled: true,
      },
    });
    const uri = await h.putBlob(jsonLines(rows(200, (i) => i)));
    const unknown = await failure(
      h.client.setReferenceProfile({
        modelName: 'outless',
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri } },
      }),
    );
    expect(unknown.code).toBe('invalid_argument');
    expect(unknown.message).toContain('dataset.uri');
    expect(unknown.message).toContain('"score"');

    await monitor('vacant', ['x']);
    const nothing = await h.putBlob(new Uint8Array());
    const empty = await failure(
      h.client.setReferenceProfile({
        modelName: 'vacant',
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri: nothing } },
      }),
    );
    expect(empty.code).toBe('invalid_argument');
    expect(empty.message).toContain('dataset.uri');
    for (const modelName of ['outless', 'vacant']) {
      const none = await failure(h.client.getReferenceProfile({ modelName, modelVersion: 1n }));
      expect(none.code).toBe('not_found');
    }
  });

  it('a profile of bins only cannot serve KS: INVALID_ARGUMENT on profile.features[0].numeric, nothing stored', async () => {
    await monitor('binned', ['x']);
    const error = await failure(
      h.client.setReferenceProfile({
        modelName: 'binned',
        modelVersion: 1n,
        source: {
          case: 'profile',
          value: {
            features: [
              {
                name: 'x',
                kind: FeatureKind.NUMERIC,
                count: 100n,
                distribution: { case: 'numeric', value: { binEdges: [0, 1, 2], binCounts: [50n, 50n] } },
              },
            ],
          },
        },
      }),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('profile.features[0].numeric');
    expect(error.message).toContain('ks');
    expect(
      (await failure(h.client.getReferenceProfile({ modelName: 'binned', modelVersion: 1n }))).code,
    ).toBe('not_found');
  });

  it('a window of nothing but NaN is not tested; the next real window is', async () => {
    await monitor('nans', ['x']);
    const uri = await h.putBlob(jsonLines(rows(500, (i) => i % 50)));
    await h.client.setReferenceProfile({
      modelName: 'nans',
      modelVersion: 1n,
      source: { case: 'dataset', value: { uri } },
    });
    await h.logPredictions({
      modelName: 'nans',
      modelVersion: 1,
      rows: rows(100, () => Number.NaN) as never,
    });
    await h.logPredictions({ modelName: 'nans', modelVersion: 1, rows: rows(100, (i) => i % 50) as never });
    const results = await waitFor(
      async () => {
        const list = await h.client.listDriftResults({ modelName: 'nans' });
        return list.results.length > 0 ? list.results : undefined;
      },
      { what: 'the real window' },
    );
    expect(results.map((r) => [r.sampleCount, r.drifted])).toEqual([[100n, false]]);
  });
});

describe("Evidently's conventions", () => {
  it('are accepted now that they are implemented, and an unknown convention is refused on the field', async () => {
    const h = await startMonitoring();
    try {
      const monitor = (convention: DriftConvention, name: string) => ({
        monitor: {
          name,
          modelName: 'm',
          features: [
            { name: 'x', kind: FeatureKind.NUMERIC, tests: [{ kind: DriftTestKind.PSI, convention }] },
          ],
          window: { size: 100 },
          enabled: true,
        },
      });
      await h.client.createMonitor(monitor(DriftConvention.EVIDENTLY, 'evidently'));
      const error = await failure(h.client.createMonitor(monitor(7 as DriftConvention, 'unknown')));
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain('monitor.features[0].tests[0].convention');
    } finally {
      await h.stop();
    }
  });
});
