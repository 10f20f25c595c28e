import { timestampDate } from '@bufbuild/protobuf/wkt';
import { parseBlobUri } from '@flywheel/blobs';
import { weatherDataset } from '@flywheel/example-weather';
import { logLoss } from '@flywheel/ml';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// Issue 16, continual learning: the new-data retrain starts from the champion's weights and fits
// the rows that arrived after the champion's training set, through the REAL feature store and
// registry on real Seattle weather.
const features = ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'];
const label = 'weather_labels:rained';
const modelInputs = ['temp_max', 'temp_min', 'wind'];
const modelName = 'weather-continual';
const champion = `models:/${modelName}@champion`;

let harness: BuiltinStepsHarness;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness();
  const seattle = (await weatherDataset()).filter((row) => row.station === 'seattle');
  await harness.ingestWeather(seattle);
});

afterAll(async () => {
  await harness?.close();
});

/** The champion's log loss, by onnxruntime on its registered artifact, on the earliest `count` rows of a training set. */
async function championLossOn(
  trainingSetUri: string,
  count: number,
  artifactSha256: string,
): Promise<number> {
  const text = new TextDecoder().decode(await harness.blobs.getBytes(parseBlobUri(trainingSetUri)));
  const rows = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number | string>)
    .sort((a, b) => Date.parse(String(a.event_time)) - Date.parse(String(b.event_time)))
    .slice(0, count);
  const session = await ort.InferenceSession.create(await harness.blobs.getBytes(artifactSha256));
  const column = (name: string) =>
    new ort.Tensor('float32', Float32Array.from(rows.map((row) => Number(row[`weather_daily:${name}`]))), [
      rows.length,
      1,
    ]);
  const result = await session.run(Object.fromEntries(modelInputs.map((name) => [name, column(name)])));
  await session.release();
  const probabilities = Array.from(result.probability?.data as Float32Array, Number);
  return logLoss(
    rows.map((row) => Number(row[label])),
    probabilities,
  );
}

describe('an incremental retrain from the champion', () => {
  let v1: { trainingSet: Record<string, unknown>; candidate: Record<string, unknown> };

  it('falls back to training from scratch, recorded, while there is no champion', async () => {
    const trainingSet = await harness.run(
      'training-set',
      {
        features,
        label_view: 'weather_labels',
        start_time: '2012-01-01T00:00:00Z',
        end_time: '2014-01-01T00:00:00Z',
        since_model: champion,
      },
      { runId: 'run-v1' },
    );
    expect(trainingSet).toMatchObject({
      row_count: 366 + 365,
      start_time: '2012-01-01T00:00:00.000Z',
      since_model_version: '',
    });
    const candidate = await harness.run(
      'train',
      { training_set_uri: trainingSet.uri, label, features: modelInputs, warm_start_from: champion },
      { runId: 'run-v1' },
    );
    expect(candidate.warm_start_from).toBe('');
    expect((candidate.loss_history as number[])[0]).toBeCloseTo(Math.LN2, 12);
    expect((candidate.parameters as Record<string, string>).warm_start_from).toBe(
      `none: ${champion} names no version`,
    );
    const registered = await harness.run(
      'register',
      {
        model_name: modelName,
        artifact_sha256: candidate.artifact_sha256,
        training_set_id: trainingSet.training_set_id,
        parameters: candidate.parameters,
        parent_version: candidate.warm_start_from,
      },
      { runId: 'run-v1' },
    );
    expect(registered.model_version).toBe(1);
    await harness.registry.setAlias({ modelName, alias: 'champion', modelVersion: 1n });
    v1 = { trainingSet, candidate };
  });

  it("trains on the rows after the champion's training set, starting at the champion's loss on them", async () => {
    const trainingSet = await harness.run(
      'training-set',
      {
        features,
        label_view: 'weather_labels',
        start_time: '2012-01-01T00:00:00Z',
        end_time: '2016-01-01T00:00:00Z',
        since_model: champion,
      },
      { runId: 'run-v2' },
    );
    // v1's set ends with 2013-12-31: the new window is 2014 and 2015 only.
    expect(trainingSet).toMatchObject({
      row_count: 365 + 365,
      start_time: '2013-12-31T00:00:00.001Z',
      since_model_version: `models:/${modelName}/1`,
    });
    const { trainingSet: stored } = await harness.featureStore.getTrainingSet({
      trainingSetId: trainingSet.training_set_id as string,
    });
    expect(timestampDate(stored!.minEventTime!).toISOString()).toBe('2014-01-01T00:00:00.000Z');

    const warm = await harness.run(
      'train',
      { training_set_uri: trainingSet.uri, label, features: modelInputs, warm_start_from: champion },
      { runId: 'run-v2' },
    );
    expect(warm.warm_start_from).toBe(`models:/${modelName}/1`);
    expect((warm.parameters as Record<string, string>).warm_start_from).toBe(`models:/${modelName}/1`);
    const history = warm.loss_history as number[];
    const championLoss = await championLossOn(
      trainingSet.uri as string,
      warm.train_rows as number,
      v1.candidate.artifact_sha256 as string,
    );
    expect(Math.abs(history[0]! - championLoss)).toBeLessThan(1e-5);
    expect(history[0]!).toBeLessThan(Math.LN2 - 0.1);
    expect(history.at(-1)!).toBeLessThanOrEqual(history[0]!);

    // The same window from scratch starts at ln 2 and needs at least as many Newton steps.
    const cold = await harness.run(
      'train',
      { training_set_uri: trainingSet.uri, label, features: modelInputs },
      { runId: 'run-v2-cold' },
    );
    expect((cold.loss_history as number[])[0]).toBeCloseTo(Math.LN2, 12);
    expect(Number((warm.parameters as Record<string, string>).iterations)).toBeLessThanOrEqual(
      Number((cold.parameters as Record<string, string>).iterations),
    );

    const registered = await harness.run(
      'register',
      {
        model_name: modelName,
        artifact_sha256: warm.artifact_sha256,
        training_set_id: trainingSet.training_set_id,
        parameters: warm.parameters,
        parent_version: warm.warm_start_from,
      },
      { runId: 'run-v2' },
    );
    const { version } = await harness.registry.getVersion({
      modelName,
      modelVersion: BigInt(registered.model_version as number),
    });
    expect(version?.lineage?.parentVersions.map((p) => [p.modelName, Number(p.modelVersion)])).toEqual([
      [modelName, 1],
    ]);
    expect(version?.parameters.warm_start_from).toBe(`models:/${modelName}/1`);
  });

  it('refuses what is not a model URI, naming the parameter', async () => {
    const error = await harness
      .run('train', {
        training_set_uri: v1.trainingSet.uri,
        label,
        features: modelInputs,
        warm_start_from: 'champion',
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.warm_start_from' });
  });
});
