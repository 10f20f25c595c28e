import { parseBlobUri } from '@flywheel/blobs';
import {
  toJsonLines,
  type WeatherRow,
  weatherDailyView,
  weatherDataset,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, startFeatureStore, ts, v } from './feature-store-harness.ts';

describe('the weather example: dataset.arrived → both views → a training set', () => {
  let fs: FeatureStoreHarness;
  let rows: WeatherRow[];
  let uri: string;
  beforeAll(async () => {
    fs = await startFeatureStore();
    rows = await weatherDataset();
    await fs.client.applyFeatureView({ featureView: weatherDailyView });
    await fs.client.applyFeatureView({ featureView: weatherLabelsView });
    uri = await fs.publishDataset(weatherDatasetName, toJsonLines(rows));
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('reads the NOAA weather of vega-datasets', () => {
    expect(rows).toHaveLength(2922);
    expect(rows.filter((r) => r.station === 'seattle')).toHaveLength(1461);
    expect(rows.filter((r) => r.station === 'new-york')).toHaveLength(1461);
    expect(rows[1]).toEqual({
      station: 'seattle',
      event_time: '2012-01-02T00:00:00Z',
      temp_max: 10.6,
      temp_min: 2.8,
      wind: 4.5,
      rained: 1,
    });
  });

  it('ingests the arrived file into both views and announces each', async () => {
    const events = await waitFor(
      () => {
        const seen = fs.events(FeaturesMaterializedSchema).filter((e) => e.dataset === weatherDatasetName);
        return seen.length >= 2 && seen;
      },
      { what: 'features.materialized for both weather views' },
    );
    expect(events.map((e) => e.featureViewName).sort()).toEqual(['weather_daily', 'weather_labels']);
    for (const event of events) {
      expect(event.rowsWritten).toBe(2922n);
      expect(event.datasetUri).toBe(uri);
      expect(event.entityName).toBe('station');
      expect(event.startTime).toEqual(ts('2012-01-01T00:00:00Z'));
      expect(event.endTime).toEqual(ts('2015-12-31T00:00:00.001Z'));
    }
    // Online, the latest day of each station is held — and long past its 3-day TTL today.
    const online = await fs.client.getOnlineFeatures({
      features: ['weather_daily:*'],
      entityKeys: [{ joinKeys: { station: v.str('seattle') } }, { joinKeys: { station: v.str('new-york') } }],
      includeEventTimes: true,
    });
    expect(online.featureNames).toEqual([
      'weather_daily:temp_max',
      'weather_daily:temp_min',
      'weather_daily:wind',
    ]);
    for (const result of online.results) {
      expect(result.statuses).toEqual([FeatureStatus.EXPIRED, FeatureStatus.EXPIRED, FeatureStatus.EXPIRED]);
      expect(result.eventTimes[0]).toEqual(ts('2015-12-31T00:00:00Z'));
    }
  });

  it('builds a point-in-time training set from the label history of a window', async () => {
    const request = {
      features: ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'],
      entityDataframe: {
        source: {
          case: 'viewHistory' as const,
          value: {
            featureViewName: 'weather_labels',
            startTime: ts('2012-01-01T00:00:00Z'),
            endTime: ts('2014-01-01T00:00:00Z'),
          },
        },
      },
      name: 'weather-2012-2013',
      requestId: 'retrain-weather/run-1/training-set',
    };
    const { trainingSet } = await fs.client.createTrainingSet(request);
    const columns = [
      'station',
      'event_time',
      'weather_labels:rained',
      'weather_daily:temp_max',
      'weather_daily:temp_min',
      'weather_daily:wind',
    ];
    expect(trainingSet?.columns).toEqual(columns);
    const inWindow = rows.filter((r) => r.event_time >= '2012-01-01' && r.event_time < '2014-01-01');
    expect(inWindow).toHaveLength(2 * 731);
    expect(trainingSet?.rowCount).toBe(BigInt(inWindow.length));
    expect(trainingSet?.minEventTime).toEqual(ts('2012-01-01T00:00:00Z'));
    expect(trainingSet?.maxEventTime).toEqual(ts('2013-12-31T00:00:00Z'));
    expect(trainingSet?.featureViewRevisions).toEqual({ weather_daily: 1n, weather_labels: 1n });

    const text = new TextDecoder().decode(await fs.blobs.getBytes(parseBlobUri(trainingSet!.blob!.uri)));
    const written = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Each label row joined with the same day's observations of its station (same event time: ≤ holds).
    const expectedRows = [...inWindow]
      .sort((a, b) =>
        a.event_time < b.event_time ? -1 : a.event_time > b.event_time ? 1 : a.station < b.station ? -1 : 1,
      )
      .map((r) => ({
        station: r.station,
        event_time: new Date(r.event_time).toISOString(),
        'weather_labels:rained': r.rained,
        'weather_daily:temp_max': r.temp_max,
        'weather_daily:temp_min': r.temp_min,
        'weather_daily:wind': r.wind,
      }));
    expect(written).toEqual(expectedRows);
    expect(Object.keys(written[0]!)).toEqual(columns);

    const again = await fs.client.createTrainingSet(request);
    expect(again.trainingSet).toEqual(trainingSet);
    expect((await fs.client.getTrainingSet({ trainingSetId: trainingSet!.id })).trainingSet).toEqual(
      trainingSet,
    );
  });

  it('treats the same file arriving again as a no-op', async () => {
    const before = fs.events(FeaturesMaterializedSchema).length;
    await fs.publishDataset(weatherDatasetName, toJsonLines(rows));
    // A file that differs lands after it: once it is ingested, the repeat has been handled.
    const extra = {
      station: 'seattle',
      event_time: '2016-01-01T00:00:00Z',
      temp_max: 8,
      temp_min: 2,
      wind: 3,
      rained: 0,
    };
    await fs.publishDataset(weatherDatasetName, toJsonLines([extra]));
    const events = await waitFor(
      () => {
        const seen = fs.events(FeaturesMaterializedSchema).slice(before);
        return seen.length >= 2 && seen;
      },
      { what: 'the extra day ingested' },
    );
    expect(events.map((e) => e.rowsWritten)).toEqual([1n, 1n]);
    const history = await fs.client.createTrainingSet({
      features: ['weather_daily:wind'],
      entityDataframe: { source: { case: 'viewHistory', value: { featureViewName: 'weather_labels' } } },
    });
    expect(history.trainingSet?.rowCount).toBe(2923n);
  });

  it('names a view history that cannot key the requested features', async () => {
    await fs.client.applyFeatureView({
      featureView: {
        name: 'city_stats',
        entity: { name: 'city', joinKeys: [{ name: 'city', valueType: ValueType.STRING }] },
        features: [{ name: 'population', valueType: ValueType.INT64 }],
      },
    });
    await expect(
      fs.client.createTrainingSet({
        features: ['city_stats:population'],
        entityDataframe: { source: { case: 'viewHistory', value: { featureViewName: 'weather_labels' } } },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'entity_dataframe.view_history.feature_view_name',
    });
    await expect(
      fs.client.createTrainingSet({
        features: ['weather_daily:wind'],
        entityDataframe: {
          source: {
            case: 'viewHistory',
            value: {
              featureViewName: 'weather_labels',
              startTime: ts('2014-01-01T00:00:00Z'),
              endTime: ts('2013-01-01T00:00:00Z'),
            },
          },
        },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'entity_dataframe.view_history.end_time' });
    await expect(
      fs.client.createTrainingSet({
        features: ['weather_daily:wind'],
        entityDataframe: { source: { case: 'viewHistory', value: { featureViewName: '' } } },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'entity_dataframe.view_history.feature_view_name',
    });
  });
});
