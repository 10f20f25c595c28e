// Data quality on what serving actually received: expectations declared on a monitor (the same
// Expectation the feature views declare) are checked on each prediction.logged batch, and each
// violated one is a data-quality.violated naming the monitor, feature, expectation, what was
// observed and the batch's window.

import type { MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { durationFromMs, durationMs, timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import type { AppError } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import {
  DataQualityViolatedSchema,
  QualityCheckStage,
} from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import type { ExpectationSchema } from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';
import {
  type Expectation,
  ExpectationAction,
} from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';
import { FeatureKind, FeatureSource } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines } from './weather-data.ts';

type ExpectationInit = MessageInitShape<typeof ExpectationSchema>;

const features = [
  { name: 'wind', kind: FeatureKind.NUMERIC },
  { name: 'weather', kind: FeatureKind.CATEGORICAL },
  { name: 'probability', kind: FeatureKind.NUMERIC, source: FeatureSource.OUTPUT },
];

const expectations: ExpectationInit[] = [
  { feature: 'wind', kind: { case: 'notNull', value: { maxNullFraction: 0.1 } } },
  { feature: 'wind', kind: { case: 'range', value: { min: 0, max: 20 } } },
  { feature: 'weather', kind: { case: 'allowedCategories', value: { values: ['sun', 'rain'] } } },
  { feature: 'probability', kind: { case: 'range', value: { min: 0, max: 1 } } },
  {
    feature: '',
    action: ExpectationAction.WARN,
    kind: { case: 'freshness', value: { maxAge: durationFromMs(3_600_000) } },
  },
];

function value(v: number | string | null): Value {
  if (v === null) return create(ValueSchema, {});
  return create(ValueSchema, {
    kind: typeof v === 'number' ? { case: 'doubleValue', value: v } : { case: 'stringValue', value: v },
  });
}

interface Row {
  wind: number | null;
  weather: string;
  probability: number;
}

function batch(model: string, rows: readonly Row[], at: number, tag: string) {
  return newEvent(
    PredictionLoggedSchema,
    {
      modelName: model,
      modelVersion: 1n,
      deploymentName: `${model}-prod`,
      sampleRate: 1,
      predictions: rows.map((row, i) => ({
        requestId: `${tag}-${i}`,
        time: timestampFromMs(at + i),
        inputs: { wind: value(row.wind), weather: value(row.weather) },
        outputs: { probability: value(row.probability) },
      })),
    },
    { source: 'test/serving' },
  );
}

const clean = (i: number): Row => ({ wind: 3 + (i % 5), weather: i % 2 ? 'sun' : 'rain', probability: 0.4 });

describe('expectations declared on a monitor, checked on logged predictions', () => {
  let h: MonitoringHarness;
  beforeAll(async () => {
    h = await startMonitoring();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const failure = async (call: Promise<unknown>): Promise<AppError> => {
    try {
      await call;
    } catch (error) {
      return error as AppError;
    }
    throw new Error('expected the call to fail');
  };

  const monitor = (name: string, model: string, declared: ExpectationInit[], size = 20) =>
    h.client.createMonitor({
      monitor: {
        name,
        modelName: model,
        features,
        window: { size, minSamples: size },
        expectations: declared,
        enabled: true,
      },
    });
  // A reference, so every full window is evaluated: its drift results show a batch was handled.
  const withReference = async (model: string) => {
    const uri = await h.putBlob(jsonLines(Array.from({ length: 200 }, (_, i) => clean(i))));
    await h.client.setReferenceProfile({
      modelName: model,
      modelVersion: 1n,
      source: { case: 'dataset', value: { uri } },
    });
  };
  const windowsEvaluated = (model: string, windows: number) =>
    waitFor(
      async () => {
        const { results } = await h.client.listDriftResults({ modelName: model, pageSize: 100 });
        const ends = new Set(results.map((r) => timestampMs(r.windowEndTime!)));
        return ends.size >= windows ? ends.size : undefined;
      },
      { what: `${windows} evaluated windows of ${model}` },
    );

  it('refuses an expectation it cannot check, naming the field, and stores nothing', async () => {
    const cases: Array<[ExpectationInit, string, string]> = [
      [{ feature: 'gust', kind: { case: 'notNull', value: {} } }, 'monitor.expectations[0].feature', 'gust'],
      [
        { feature: 'weather', kind: { case: 'range', value: { max: 3 } } },
        'monitor.expectations[0].range',
        'CATEGORICAL',
      ],
      [
        { feature: 'wind', kind: { case: 'allowedCategories', value: { values: ['1'] } } },
        'monitor.expectations[0].allowed_categories',
        'NUMERIC',
      ],
      [
        { feature: 'wind', action: ExpectationAction.REJECT, kind: { case: 'notNull', value: {} } },
        'monitor.expectations[0].action',
        'WARN',
      ],
      [{ feature: 'wind' }, 'monitor.expectations[0]', 'names no kind'],
      [
        { feature: 'wind', kind: { case: 'freshness', value: { maxAge: durationFromMs(1000) } } },
        'monitor.expectations[0].feature',
        'freshness',
      ],
      [
        { feature: 'wind', kind: { case: 'range', value: { min: 5, max: 1 } } },
        'monitor.expectations[0].range',
        'above max',
      ],
    ];
    for (const [declared, field, says] of cases) {
      const error = await failure(monitor('dq-bad', 'dq-bad-model', [declared]));
      expect(error.code, field).toBe('invalid_argument');
      expect(error.message, field).toContain(field);
      expect(error.message, field).toContain(says);
    }
    expect((await failure(h.client.getMonitor({ monitorName: 'dq-bad' }))).code).toBe('not_found');
  });

  it('keeps the expectations on the monitor as declared', async () => {
    await monitor('dq-kept', 'dq-kept-model', expectations);
    const { monitor: stored } = await h.client.getMonitor({ monitorName: 'dq-kept' });
    const declared: Expectation[] = stored!.expectations;
    expect(declared.map((e) => [e.feature, e.kind.case, e.action])).toEqual([
      ['wind', 'notNull', ExpectationAction.WARN],
      ['wind', 'range', ExpectationAction.WARN],
      ['weather', 'allowedCategories', ExpectationAction.WARN],
      ['probability', 'range', ExpectationAction.WARN],
      ['', 'freshness', ExpectationAction.WARN],
    ]);
    expect(
      declared[1]!.kind.case === 'range' && [declared[1]!.kind.value.min, declared[1]!.kind.value.max],
    ).toEqual([0, 20]);
  });

  it('a violating batch emits one data-quality.violated per expectation, naming monitor, feature, observation and window', async () => {
    await monitor('dq-watch', 'dq-model', expectations);
    await withReference('dq-model');
    // 20 predictions made two hours ago: 4 without wind (20 % > 10 %), 2 with wind 50 (> 20), 3 of
    // an unseen weather, one probability 1.5.
    const at = Date.now() - 2 * 3_600_000;
    const rows: Row[] = Array.from({ length: 20 }, (_, i) => ({
      ...clean(i),
      ...(i < 4 ? { wind: null } : i < 6 ? { wind: 50 } : {}),
      ...(i >= 10 && i < 13 ? { weather: 'snow' } : {}),
      ...(i === 19 ? { probability: 1.5 } : {}),
    }));
    const event = batch('dq-model', rows, at, 'late');
    await h.bus.publish([event]);
    const events = await waitFor(
      async () => {
        const found = h.events(DataQualityViolatedSchema).filter((e) => e.monitorName === 'dq-watch');
        return found.length >= 5 ? found : undefined;
      },
      { what: 'five data-quality.violated of dq-watch' },
    );
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(e.stage).toBe(QualityCheckStage.PREDICTION);
      expect(e.featureViewName).toBe('');
      expect([e.modelName, e.modelVersion, e.deploymentName]).toEqual(['dq-model', 1n, 'dq-model-prod']);
      expect(e.predictionEventId).toBe(event.id);
      expect(e.team).toBe('default');
      expect(timestampMs(e.startTime!)).toBe(at);
      expect(timestampMs(e.endTime!)).toBe(at + 20);
    }
    const byIndex = new Map(events.map((e) => [e.expectationIndex, e]));
    const nulls = byIndex.get(0)!;
    expect([nulls.feature, nulls.expectation?.kind.case]).toEqual(['wind', 'notNull']);
    expect([nulls.checkedCount, nulls.violationCount]).toEqual([20n, 4n]);
    expect(nulls.observedNullFraction).toBeCloseTo(0.2, 12);
    expect(nulls.observedViolationFraction).toBeCloseTo(0.2, 12);

    const range = byIndex.get(1)!;
    expect([range.feature, range.checkedCount, range.violationCount]).toEqual(['wind', 20n, 2n]);
    expect([range.observedMin, range.observedMax]).toEqual([50, 50]);
    expect(range.observedViolationFraction).toBeCloseTo(0.1, 12);
    expect(range.sampleValues).toEqual(['50', '50']);

    const categories = byIndex.get(2)!;
    expect([categories.feature, categories.violationCount]).toEqual(['weather', 3n]);
    expect(categories.newCategories).toEqual(['snow']);
    expect(categories.observedViolationFraction).toBeCloseTo(0.15, 12);

    const output = byIndex.get(3)!;
    expect([output.feature, output.violationCount, output.observedMax]).toEqual(['probability', 1n, 1.5]);

    const fresh = byIndex.get(4)!;
    expect([fresh.feature, fresh.expectation?.kind.case, fresh.violationCount]).toEqual([
      '',
      'freshness',
      20n,
    ]);
    expect(durationMs(fresh.observedMaxAge!)).toBeGreaterThanOrEqual(2 * 3_600_000 - 20);

    // The same batch again, and a clean one: nothing more.
    await h.bus.publish([event]);
    await h.bus.publish([
      batch(
        'dq-model',
        Array.from({ length: 20 }, (_, i) => clean(i)),
        Date.now(),
        'ok',
      ),
    ]);
    // Two windows of 20: the redelivered batch was not taken again, and the clean one was handled.
    expect(await windowsEvaluated('dq-model', 2)).toBe(2);
    expect(h.events(DataQualityViolatedSchema).filter((e) => e.monitorName === 'dq-watch')).toHaveLength(5);
  });

  it('a monitor without expectations emits no data-quality.violated, whatever it is given', async () => {
    await monitor('dq-none', 'dq-none-model', [], 1);
    await withReference('dq-none-model');
    await h.bus.publish([batch('dq-none-model', [{ wind: null, weather: 'snow', probability: 9 }], 0, 'x')]);
    await windowsEvaluated('dq-none-model', 1);
    expect(h.events(DataQualityViolatedSchema).filter((e) => e.monitorName === 'dq-none')).toHaveLength(0);
  });
});
