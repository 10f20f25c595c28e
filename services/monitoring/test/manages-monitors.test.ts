// Monitors through gRPC: create, read, list, delete, and the errors a user sees.
import { durationFromMs, durationMs } from '@bufbuild/protobuf/wkt';
import type { AppError } from '@flywheel/core';
import { DriftTestKind, FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';

const numeric = (name: string) => ({ name, kind: FeatureKind.NUMERIC });

describe('managing monitors', () => {
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

  it('creates a monitor and reads it back as stored, team defaulted', async () => {
    const { monitor } = await h.client.createMonitor({
      monitor: {
        name: 'weather-inputs',
        modelName: 'weather',
        features: [
          numeric('wind'),
          {
            name: 'station',
            kind: FeatureKind.CATEGORICAL,
            tests: [{ kind: DriftTestKind.CHI_SQUARE, threshold: 0.001 }],
          },
        ],
        defaultNumericTests: [
          { kind: DriftTestKind.KS },
          { kind: DriftTestKind.WASSERSTEIN, threshold: 0.3 },
        ],
        window: { size: 500, duration: durationFromMs(3_600_000), minSamples: 200 },
        alertCooldown: durationFromMs(600_000),
        enabled: true,
        labels: { owner: 'weather-team' },
      },
    });
    expect(monitor?.team).toBe('default');
    expect(monitor?.audit?.createTime).toBeDefined();
    const { monitor: read } = await h.client.getMonitor({ monitorName: 'weather-inputs' });
    expect(read?.features.map((f) => [f.name, f.kind, f.tests.map((t) => [t.kind, t.threshold])])).toEqual([
      ['wind', FeatureKind.NUMERIC, []],
      ['station', FeatureKind.CATEGORICAL, [[DriftTestKind.CHI_SQUARE, 0.001]]],
    ]);
    expect(read?.defaultNumericTests.map((t) => t.kind)).toEqual([
      DriftTestKind.KS,
      DriftTestKind.WASSERSTEIN,
    ]);
    expect(read?.window?.size).toBe(500);
    expect(durationMs(read!.window!.duration!)).toBe(3_600_000);
    expect(durationMs(read!.alertCooldown!)).toBe(600_000);
    expect(read?.enabled).toBe(true);
    expect(read?.labels).toEqual({ owner: 'weather-team' });
  });

  it('refuses a second monitor with the same name: ALREADY_EXISTS', async () => {
    const error = await failure(
      h.client.createMonitor({
        monitor: {
          name: 'weather-inputs',
          modelName: 'other',
          features: [numeric('x')],
          window: { size: 100 },
        },
      }),
    );
    expect(error.code).toBe('already_exists');
    expect(error.message).toContain('weather-inputs');
  });

  it('answers INVALID_ARGUMENT naming the field for monitors that cannot work', async () => {
    const cases: Array<[object, string]> = [
      [
        { features: [{ ...numeric('wind'), tests: [{ kind: DriftTestKind.CHI_SQUARE }] }] },
        'monitor.features[0].tests[0].kind',
      ],
      [{ window: { minSamples: 10 } }, 'monitor.window'],
      [{ window: { size: 50, minSamples: 60 } }, 'monitor.window.min_samples'],
      [{ features: [numeric('wind'), numeric('wind')] }, 'monitor.features[1].name'],
      [
        { defaultCategoricalTests: [{ kind: DriftTestKind.KS }] },
        'monitor.default_categorical_tests[0].kind',
      ],
      [
        { features: [{ ...numeric('wind'), tests: [{ kind: DriftTestKind.KS, threshold: 5 }] }] },
        'monitor.features[0].tests[0].threshold',
      ],
      [{ window: { size: 1_000_000 } }, 'monitor.window.size'],
      [{ modelName: '' }, 'monitor.model_name'],
    ];
    for (const [override, field] of cases) {
      const error = await failure(
        h.client.createMonitor({
          monitor: {
            name: 'bad',
            modelName: 'weather',
            features: [numeric('wind')],
            window: { size: 100 },
            ...override,
          },
        }),
      );
      expect(error.code, field).toBe('invalid_argument');
      expect(error.message, field).toContain(field);
    }
    expect((await failure(h.client.getMonitor({ monitorName: 'bad' }))).code).toBe('not_found');
  });

  it('lists monitors by model and team, a page at a time', async () => {
    for (const name of ['a-one', 'a-two', 'a-three']) {
      await h.client.createMonitor({
        monitor: {
          name,
          team: 'risk',
          modelName: 'fraud',
          features: [numeric('amount')],
          window: { size: 100 },
        },
      });
    }
    const first = await h.client.listMonitors({ modelName: 'fraud', pageSize: 2 });
    expect(first.monitors.map((m) => m.name)).toEqual(['a-one', 'a-three']);
    expect(first.nextPageToken).not.toBe('');
    const second = await h.client.listMonitors({
      modelName: 'fraud',
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.monitors.map((m) => m.name)).toEqual(['a-two']);
    expect(second.nextPageToken).toBe('');
    expect((await h.client.listMonitors({ team: 'risk' })).monitors).toHaveLength(3);
    expect((await h.client.listMonitors({ team: 'nobody' })).monitors).toHaveLength(0);
    const bad = await failure(h.client.listMonitors({ pageToken: 'not-a-token' }));
    expect(bad.code).toBe('invalid_argument');
    expect(bad.message).toContain('page_token');
  });

  it('deletes a monitor: NOT_FOUND afterwards, and for a second delete', async () => {
    await h.client.deleteMonitor({ monitorName: 'a-two' });
    expect((await failure(h.client.getMonitor({ monitorName: 'a-two' }))).code).toBe('not_found');
    expect((await failure(h.client.deleteMonitor({ monitorName: 'a-two' }))).code).toBe('not_found');
  });
});
