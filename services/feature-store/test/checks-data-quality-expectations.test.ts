import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { toJsonLines, weatherDailyView } from '@flywheel/example-weather';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import {
  DataQualityViolatedSchema,
  FeatureRowsRejectedSchema,
  QualityCheckStage,
} from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import { ExpectationAction } from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, plain, startFeatureStore, v } from './feature-store-harness.ts';

const reject = ExpectationAction.REJECT;
const warn = ExpectationAction.WARN;

/** weather_daily with expectations: temp_max in [-40, 60] (reject), ≤ 25 % null wind (warn), fresh within 1 day (warn). */
function guardedView(name: string, dataset = name) {
  return {
    ...weatherDailyView,
    name,
    source: { kind: { case: 'batch' as const, value: { dataset } } },
    expectations: [
      { feature: 'temp_max', action: reject, kind: { case: 'range' as const, value: { min: -40, max: 60 } } },
      { feature: 'wind', action: warn, kind: { case: 'notNull' as const, value: { maxNullFraction: 0.25 } } },
      { action: warn, kind: { case: 'freshness' as const, value: { maxAge: durationFromMs(86_400_000) } } },
    ],
  };
}

const dayMs = 86_400_000;
/** A row `ageDays` old (the view's TTL is 3 days, its freshness limit 1 day). */
const row = (station: string, ageDays: number, tempMax: number, wind: number | null) => ({
  entityKey: { joinKeys: { station: v.str(station) } },
  eventTime: timestampFromMs(Date.now() - ageDays * dayMs),
  values: { temp_max: v.dbl(tempMax), temp_min: v.dbl(1), wind: wind === null ? v.null() : v.dbl(wind) },
});

describe('data quality expectations of a feature view', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore({ FLYWHEEL_FEATURE_STORE_QUALITY_FLUSH_INTERVAL: '50ms' });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  /** The view's data-quality.violated of `stage` (default: ingest). */
  const violations = (view: string, stage = QualityCheckStage.INGEST) =>
    fs.events(DataQualityViolatedSchema).filter((e) => e.featureViewName === view && e.stage === stage);

  it('refuses expectations it could not enforce, naming the field', async () => {
    const refused = async (expectation: object, field: string) => {
      const error = await fs.client
        .applyFeatureView({
          featureView: { ...weatherDailyView, name: 'refused', expectations: [expectation] },
        })
        .catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(field);
    };
    await refused({ feature: 'temp_max' }, 'feature_view.expectations[0]');
    await refused(
      { feature: 'nope', kind: { case: 'notNull', value: {} } },
      'feature_view.expectations[0].feature',
    );
    await refused(
      { feature: 'temp_max', kind: { case: 'range', value: { min: 5, max: 1 } } },
      'feature_view.expectations[0].range',
    );
    await refused({ feature: 'temp_max', kind: { case: 'range', value: {} } }, 'sets neither min nor max');
    await refused(
      { feature: 'wind', action: reject, kind: { case: 'notNull', value: { maxNullFraction: 0.1 } } },
      'feature_view.expectations[0].not_null.max_null_fraction',
    );
    await refused(
      { feature: 'wind', kind: { case: 'allowedCategories', value: { values: ['a'] } } },
      'feature_view.expectations[0].allowed_categories',
    );
    await refused(
      { feature: 'wind', kind: { case: 'freshness', value: { maxAge: durationFromMs(1000) } } },
      'feature_view.expectations[0].feature',
    );
    await refused(
      { kind: { case: 'freshness', value: {} } },
      'feature_view.expectations[0].freshness.max_age',
    );
    const { featureView } = await fs.client.applyFeatureView({ featureView: guardedView('echoed') });
    expect(featureView?.expectations.map((e) => e.kind.case)).toEqual(['range', 'notNull', 'freshness']);
    expect(featureView?.expectations[0]?.kind.value).toMatchObject({ min: -40, max: 60 });
  });

  it('Ingest writes the rows that pass, refuses the REJECT violations to feature-rows.rejected, one event per expectation', async () => {
    await fs.client.applyFeatureView({ featureView: guardedView('guarded_rpc') });
    const rows = [
      row('a', 2, 10, 1),
      row('b', 2, 99, 2), // above max: refused
      row('c', 2, 11, null),
      row('d', 2, -50, null), // below min: refused
      row('e', 2, 12, null),
      row('f', 2, 13, 3),
      row('g', 2, 14, 4),
      row('h', 2, 15, 5),
    ];
    const response = await fs.client.ingest({ featureViewName: 'guarded_rpc', rows });
    expect(response.rowsWritten).toBe(6n);
    expect(response.rowsRejected).toBe(2n);

    const [rejected, ...more] = fs
      .events(FeatureRowsRejectedSchema)
      .filter((e) => e.featureViewName === 'guarded_rpc');
    expect(more).toHaveLength(0);
    expect(rejected?.batchRejectedCount).toBe(2n);
    expect(rejected?.rows.map((r) => [plain(r.row?.entityKey?.joinKeys.station), r.reasons])).toEqual([
      ['b', ['temp_max: 99 is above max 60']],
      ['d', ['temp_max: -50 is below min -40']],
    ]);

    const events = violations('guarded_rpc');
    expect(events.map((e) => [e.expectationIndex, e.stage])).toEqual([
      [0, QualityCheckStage.INGEST],
      [1, QualityCheckStage.INGEST],
      [2, QualityCheckStage.INGEST],
    ]);
    const [range, nulls, fresh] = events;
    expect(range).toMatchObject({
      feature: 'temp_max',
      checkedCount: 8n,
      violationCount: 2n,
      rejectedCount: 2n,
    });
    expect([range?.observedMin, range?.observedMax]).toEqual([-50, 99]);
    // 3 nulls of 8 (37.5 %) is over the 25 % tolerance; the null rows are still written (warn).
    expect(nulls).toMatchObject({ feature: 'wind', checkedCount: 8n, violationCount: 3n, rejectedCount: 0n });
    expect(nulls?.observedNullFraction).toBeCloseTo(0.375);
    expect(fresh).toMatchObject({ feature: '', checkedCount: 8n, violationCount: 8n });

    const materialized = fs
      .events(FeaturesMaterializedSchema)
      .filter((e) => e.featureViewName === 'guarded_rpc');
    expect(materialized.map((e) => e.rowsWritten)).toEqual([6n]);
    const online = await fs.client.getOnlineFeatures({
      features: ['guarded_rpc:temp_max'],
      entityKeys: ['a', 'b', 'c', 'd'].map((s) => ({ joinKeys: { station: v.str(s) } })),
    });
    expect(online.results.map((r) => r.statuses[0])).toEqual([
      FeatureStatus.PRESENT,
      FeatureStatus.NOT_FOUND,
      FeatureStatus.PRESENT,
      FeatureStatus.NOT_FOUND,
    ]);
  });

  it('a retried Ingest repeats event ids, not new events', async () => {
    await fs.client.applyFeatureView({ featureView: guardedView('guarded_retry') });
    const rows = [row('a', 0, 10, 1), row('b', 0, 99, 2)];
    await fs.client.ingest({ featureViewName: 'guarded_retry', rows });
    await fs.client.ingest({ featureViewName: 'guarded_retry', rows });
    // One range violation per call, published after each write: the same id twice.
    const ids = await waitFor(
      () => {
        const found = fs.bus
          .retained('data-quality.violated')
          .filter((m) => m.key === 'guarded_retry' && m.headers.ce_id?.includes('/dq/'))
          .map((m) => m.headers.ce_id);
        return found.length === 2 && found;
      },
      { what: 'two data-quality.violated of guarded_retry' },
    );
    expect(ids[0]).toBe(ids[1]);
  });

  it('a dataset with refused rows is ingested without them, not dead-lettered', async () => {
    await fs.client.applyFeatureView({ featureView: guardedView('guarded_ds', 'guarded-weather') });
    const lines = toJsonLines([
      { station: 'a', event_time: '2012-01-01T00:00:00Z', temp_max: 10, temp_min: 1, wind: 1 },
      { station: 'b', event_time: '2012-01-01T00:00:00Z', temp_max: 70, temp_min: 1, wind: 1 },
      { station: 'c', event_time: '2012-01-01T00:00:00Z', temp_max: 12, temp_min: 1, wind: 1 },
    ]);
    const uri = await fs.publishDataset('guarded-weather', lines);
    const rejected = await waitFor(
      () => fs.events(FeatureRowsRejectedSchema).find((e) => e.featureViewName === 'guarded_ds'),
      { what: 'feature-rows.rejected of guarded_ds' },
    );
    expect(rejected.datasetUri).toBe(uri);
    expect(rejected.rows.map((r) => plain(r.row?.values.temp_max))).toEqual([70]);
    const materialized = await waitFor(
      () => fs.events(FeaturesMaterializedSchema).find((e) => e.featureViewName === 'guarded_ds'),
      { what: 'features.materialized of guarded_ds' },
    );
    expect(materialized.rowsWritten).toBe(2n);
    expect(violations('guarded_ds').find((e) => e.expectationIndex === 0)?.datasetUri).toBe(uri);
    expect(fs.bus.retained('dataset.arrived.dlq')).toHaveLength(0);
  });

  it('online reads are checked against the view, aggregated into one event per expectation and flush', async () => {
    await fs.client.applyFeatureView({
      featureView: {
        ...guardedView('guarded_online'),
        expectations: [
          { feature: 'temp_max', action: warn, kind: { case: 'range', value: { max: 30 } } },
          { feature: 'wind', action: warn, kind: { case: 'notNull', value: { maxNullFraction: 0.9 } } },
        ],
      },
    });
    // Written online only, values a training path would never hold: 45 °C.
    await fs.client.ingest({
      featureViewName: 'guarded_online',
      rows: [row('hot', 0, 45, 1), row('ok', 0, 20, 1)],
    });
    await waitFor(() => violations('guarded_online').length === 1, {
      what: "the ingest's own warning of guarded_online",
    });
    for (let i = 0; i < 5; i++) {
      const served = await fs.client.getOnlineFeatures({
        features: ['guarded_online:temp_max', 'guarded_online:wind'],
        entityKeys: [{ joinKeys: { station: v.str('hot') } }, { joinKeys: { station: v.str('ok') } }],
      });
      expect(plain(served.results[0]?.values[0])).toBe(45); // never withheld
    }
    const online = await waitFor(
      () => {
        const found = violations('guarded_online', QualityCheckStage.ONLINE_READ);
        const total = found.reduce((sum, e) => sum + Number(e.violationCount), 0);
        return total >= 5 && found;
      },
      { what: 'online-read data-quality.violated of guarded_online' },
    );
    expect(online.every((e) => e.feature === 'temp_max' && e.observedMax === 45)).toBe(true);
    expect(online.reduce((sum, e) => sum + Number(e.checkedCount), 0)).toBe(10);
    expect(online.length).toBeLessThan(5);
  });

  it('a view no fresh data arrives for is reported stale once per latest event time', async () => {
    await fs.client.applyFeatureView({ featureView: guardedView('guarded_stale') });
    await fs.client.ingest({ featureViewName: 'guarded_stale', rows: [row('a', 2, 10, 1)] });
    const first = await waitFor(() => violations('guarded_stale', QualityCheckStage.VIEW)[0], {
      what: 'the stale view reported',
    });
    expect(first.feature).toBe('');
    expect(first.expectationIndex).toBe(2);
    expect(Number(first.observedMaxAge?.seconds)).toBeGreaterThanOrEqual(2 * 86_400 - 60);
    // Newer data, still stale: reported again, for the new latest time only — the flushes in
    // between (every 50 ms) did not repeat the first report.
    await fs.client.ingest({ featureViewName: 'guarded_stale', rows: [row('a', 1.5, 10, 1)] });
    await waitFor(() => violations('guarded_stale', QualityCheckStage.VIEW).length >= 2, {
      what: 'the stale view reported for its new latest event',
    });
    const reports = violations('guarded_stale', QualityCheckStage.VIEW);
    expect(reports).toHaveLength(2);
    expect(reports[1]!.startTime!.seconds).toBeGreaterThan(reports[0]!.startTime!.seconds);
  });
});
