import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureStoreHarness, startFeatureStore, v } from './feature-store-harness.ts';

const limit = 4096;
const note = (id: number) => ({ joinKeys: { note_id: v.str(`n${id}`) } });

describe('answers over the gRPC message limit', () => {
  let fs: FeatureStoreHarness;
  beforeAll(async () => {
    fs = await startFeatureStore({ FLYWHEEL_MAX_MESSAGE_BYTES: String(limit) });
    const view = (name: string, feature: ValueType) => ({
      featureView: {
        name,
        entity: { name: 'note', joinKeys: [{ name: 'note_id', valueType: ValueType.STRING }] },
        features: [{ name: 'body', valueType: feature }],
        online: true,
      },
    });
    await fs.client.applyFeatureView(view('notes', ValueType.STRING));
    await fs.client.applyFeatureView(view('ticks', ValueType.INT64));
    const at = timestampFromMs(Date.now() - 3600_000);
    // Each request stays under the limit; the answers about all of them do not.
    for (let batch = 0; batch < 3; batch++) {
      await fs.client.ingest({
        featureViewName: 'notes',
        rows: Array.from({ length: 10 }, (_, i) => ({
          entityKey: note(batch * 10 + i),
          eventTime: at,
          values: { body: v.str('x'.repeat(200)) },
        })),
      });
    }
    for (let batch = 0; batch < 16; batch++) {
      await fs.client.ingest({
        featureViewName: 'ticks',
        rows: Array.from({ length: 50 }, (_, i) => ({
          entityKey: note(batch * 50 + i),
          eventTime: at,
          values: { body: v.i64(BigInt(i)) },
        })),
      });
    }
  });
  afterAll(async () => {
    await fs?.stop();
  });

  it('refuses GetOnlineFeatures naming entity_keys and the limit, and answers a smaller ask', async () => {
    const ask = (n: number) =>
      fs.client.getOnlineFeatures({
        features: ['notes:body'],
        entityKeys: Array.from({ length: n }, (_, i) => note(i)),
      });
    await expect(ask(30)).rejects.toMatchObject({
      code: 'resource_exhausted',
      field: 'entity_keys',
      message: expect.stringContaining(`over the ${limit}-byte message limit`),
    });
    expect((await ask(10)).results).toHaveLength(10);
  });

  it('refuses GetHistoricalFeatures naming entity_dataframe, before the join when the rows alone are too many', async () => {
    // 25 inline rows (a small request) whose answer carries 25 × 200 bytes of notes.
    const inline = fs.client.getHistoricalFeatures({
      features: ['notes:body'],
      entityDataframe: {
        source: {
          case: 'rows',
          value: {
            rows: Array.from({ length: 25 }, (_, i) => ({
              entityKey: note(i),
              eventTime: timestampFromMs(Date.now()),
            })),
          },
        },
      },
    });
    await expect(inline).rejects.toMatchObject({
      code: 'resource_exhausted',
      field: 'entity_dataframe',
      message: expect.stringMatching(
        new RegExp(
          `would be (at least )?\\d+ bytes, over the ${limit}-byte message limit.*StreamHistoricalFeatures.*CreateTrainingSet`,
        ),
      ),
    });
    // The 800 rows of ticks' history as the entity dataframe: refused by count, before any join.
    const many = fs.client.getHistoricalFeatures({
      features: ['notes:body'],
      entityDataframe: { source: { case: 'viewHistory', value: { featureViewName: 'ticks' } } },
    });
    await expect(many).rejects.toMatchObject({
      code: 'resource_exhausted',
      field: 'entity_dataframe',
      message: expect.stringMatching(/would be at least \d+ bytes.*its 800 rows/),
    });
  });
});
