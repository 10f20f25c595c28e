import { weatherDataset } from '@flywheel/example-weather';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// A training set built from a feature-store feature service carries the service's name and
// version through the register step into the registry's model version lineage.
const window = { start_time: '2012-01-01T00:00:00Z', end_time: '2013-01-01T00:00:00Z' };
const features = ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'];

let harness: BuiltinStepsHarness;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ codeVersion: 'git:0123abc' });
  const seattle = (await weatherDataset()).filter(
    (row) => row.station === 'seattle' && row.event_time < window.end_time,
  );
  await harness.ingestWeather(seattle);
  await harness.featureStore.createFeatureService({ featureService: { name: 'rain_model', features } });
  await harness.featureStore.createFeatureService({
    featureService: { name: 'rain_model', features, description: 'the weather model inputs' },
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('feature service lineage', () => {
  it('records the feature service version from the training set to the registered version', async () => {
    const runId = 'run-feature-service';
    const trainingSet = await harness.run(
      'training-set',
      { feature_service: 'rain_model', label_view: 'weather_labels', ...window },
      { runId },
    );
    expect(trainingSet).toMatchObject({ feature_service: 'rain_model', feature_service_version: 2 });
    expect(trainingSet.columns).toEqual(expect.arrayContaining(features));
    const pinned = await harness.run(
      'training-set',
      { feature_service: 'rain_model', feature_service_version: 1, label_view: 'weather_labels', ...window },
      { runId, stepName: 'training-set-v1' },
    );
    expect(pinned).toMatchObject({ feature_service_version: 1 });

    const candidate = await harness.run(
      'train',
      {
        training_set_uri: trainingSet.uri,
        label: 'weather_labels:rained',
        features: ['temp_max', 'temp_min', 'wind'],
      },
      { runId },
    );
    const registered = await harness.run(
      'register',
      {
        model_name: 'weather_fs',
        artifact_sha256: candidate.artifact_sha256,
        training_set_id: trainingSet.training_set_id,
        feature_service: trainingSet.feature_service,
        feature_service_version: trainingSet.feature_service_version,
      },
      { runId },
    );
    const { version } = await harness.registry.getVersion({
      modelName: 'weather_fs',
      modelVersion: BigInt(registered.model_version as number),
    });
    expect(version?.lineage).toMatchObject({
      trainingSetRef: trainingSet.training_set_id,
      featureService: 'rain_model',
      featureServiceVersion: 2n,
    });
    // A manual run (the harness's default) was started by no event.
    expect(version?.lineage?.triggerEvent).toBeUndefined();
    const { trainingSet: stored } = await harness.featureStore.getTrainingSet({
      trainingSetId: trainingSet.training_set_id as string,
    });
    expect(stored?.featureService).toMatchObject({ name: 'rain_model', version: 2n });
  });

  it('refuses a feature service together with features, naming it', async () => {
    await expect(
      harness.run(
        'training-set',
        { features, feature_service: 'rain_model', label_view: 'weather_labels' },
        {
          runId: 'run-bad',
        },
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'parameters.feature_service' });
  });
});
