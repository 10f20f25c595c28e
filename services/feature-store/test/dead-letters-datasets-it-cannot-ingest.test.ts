import { dlqHeaders } from '@flywheel/bus';
import { fromWireMessage, newEvent } from '@flywheel/events';
import {
  toJsonLines,
  weatherDailyView,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import {
  DatasetArrivedSchema,
  FeaturesMaterializedSchema,
} from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { FeatureStatus } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, startFeatureStore, ts, v } from './feature-store-harness.ts';

const good = {
  station: 'seattle',
  event_time: '2012-01-01T00:00:00Z',
  temp_max: 12.8,
  temp_min: 5,
  wind: 4.7,
  rained: 0,
};

describe('datasets that cannot be ingested', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore();
    await fs.client.applyFeatureView({ featureView: weatherDailyView });
    await fs.client.applyFeatureView({ featureView: weatherLabelsView });
  });
  afterAll(async () => {
    await fs?.stop();
  });

  /** The DLQ reason of the dataset.arrived event with this id, once it is there. */
  const deadLetterOf = (eventId: string) =>
    waitFor(
      () => {
        const message = fs.bus.retained('dataset.arrived.dlq').find((m) => fromWireMessage(m).id === eventId);
        return message?.headers[dlqHeaders.reason];
      },
      { what: `dataset.arrived ${eventId} in the DLQ` },
    );

  const lastArrivedId = () => fromWireMessage(fs.bus.retained('dataset.arrived').at(-1)!).id;

  it('dead-letters a file with a malformed line, saying which, and writes nothing', async () => {
    const bytes = new TextEncoder().encode(`${JSON.stringify(good)}\n{"station": "seattle", oops\n`);
    const uri = await fs.publishDataset(weatherDatasetName, bytes);
    const reason = await deadLetterOf(lastArrivedId());
    expect(reason).toContain(`dataset "${weatherDatasetName}" (${uri})`);
    expect(reason).toContain('line 2: is not valid JSON');
    const online = await fs.client.getOnlineFeatures({
      features: ['weather_daily:wind'],
      entityKeys: [{ joinKeys: { station: v.str('seattle') } }],
    });
    // The good first line was not written either.
    expect(online.results[0]?.statuses).toEqual([FeatureStatus.NOT_FOUND]);
  });

  it('dead-letters a value of the wrong type, naming the line, the column and the view', async () => {
    await fs.publishDataset(
      weatherDatasetName,
      toJsonLines([good, { ...good, event_time: '2012-01-02T00:00:00Z', wind: 'gusty' }]),
    );
    const reason = await deadLetterOf(lastArrivedId());
    expect(reason).toContain('feature view weather_daily: line 2.wind: expected DOUBLE, got "gusty"');
  });

  it('dead-letters a CSV without the join key column, and a time that is not one', async () => {
    const csv = 'city,event_time,temp_max,temp_min,wind,rained\nseattle,2012-01-01,1,2,3,0\n';
    await fs.publishDataset(weatherDatasetName, new TextEncoder().encode(csv), DatasetFormat.CSV);
    expect(await deadLetterOf(lastArrivedId())).toContain('column station: is missing');

    await fs.publishDataset(weatherDatasetName, toJsonLines([{ ...good, event_time: 'yesterday' }]));
    expect(await deadLetterOf(lastArrivedId())).toContain('line 1.event_time: must be an RFC 3339 time');
  });

  it('dead-letters a file with an event time beyond now + the allowed skew, naming the line', async () => {
    await fs.publishDataset(
      weatherDatasetName,
      toJsonLines([good, { ...good, event_time: '9999-01-01T00:00:00Z' }]),
    );
    expect(await deadLetterOf(lastArrivedId())).toContain(
      'feature view weather_daily: line 2.event_time: 9999-01-01T00:00:00.000Z is later than now + 24h',
    );
  });

  it('dead-letters a location that is not a blob, a digest that does not match, and a payload that does not decode', async () => {
    await fs.bus.publish([
      newEvent(
        DatasetArrivedSchema,
        { dataset: weatherDatasetName, uri: 's3://lake/weather.jsonl' },
        { source: 'test' },
      ),
    ]);
    expect(await deadLetterOf(lastArrivedId())).toContain('uri: must be blob:sha256:');

    await fs.bus.publish([
      newEvent(DatasetArrivedSchema, { dataset: '', uri: 'blob:sha256:x' }, { source: 'test' }),
    ]);
    expect(await deadLetterOf(lastArrivedId())).toContain('dataset: event');

    const ref = await fs.blobs.put(toJsonLines([good]));
    await fs.bus.publish([
      newEvent(
        DatasetArrivedSchema,
        { dataset: weatherDatasetName, uri: `blob:sha256:${ref.sha256}`, sha256: 'f'.repeat(64) },
        { source: 'test' },
      ),
    ]);
    expect(await deadLetterOf(lastArrivedId())).toContain('sha256: is ffff');

    const garbage = {
      ...newEvent(DatasetArrivedSchema, { dataset: weatherDatasetName }, { source: 'test' }),
      data: new Uint8Array([0xff, 0xff, 0xff]),
    };
    await fs.bus.publish([garbage]);
    expect(await deadLetterOf(garbage.id)).toContain('does not decode as flywheel.events.v1.DatasetArrived');

    // None of it reached a view; a good file still does.
    expect(fs.events(FeaturesMaterializedSchema)).toEqual([]);
    await fs.publishDataset(weatherDatasetName, toJsonLines([good]));
    await waitFor(() => fs.events(FeaturesMaterializedSchema).length === 2, {
      what: 'the good file ingested',
    });
    const history = await fs.client.getHistoricalFeatures({
      features: ['weather_daily:wind'],
      entityDataframe: {
        source: {
          case: 'rows',
          value: {
            rows: [
              {
                entityKey: { joinKeys: { station: v.str('seattle') } },
                eventTime: ts('2012-01-01T12:00:00Z'),
              },
            ],
          },
        },
      },
    });
    expect(history.rows[0]?.values[2]?.kind).toEqual({ case: 'doubleValue', value: 4.7 });
  });
});
