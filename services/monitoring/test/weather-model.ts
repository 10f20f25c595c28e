// What the output-drift tests share: the weather feature store with a 2012–2013 training set
// (Seattle and New York, as the retrain pipeline asks for it) and a rain model trained on it,
// exported to ONNX as the train step does.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type BlobStore, blobUri } from '@flywheel/blobs';
import type { EventBus, MemoryBus } from '@flywheel/bus';
import { newEvent } from '@flywheel/events';
import {
  toJsonLines,
  weatherDailyView,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import {
  createOnnxScorer,
  exportLogisticRegressionOnnx,
  toFeatureMatrix,
  trainLogisticRegression,
} from '@flywheel/ml';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import { type WeatherDay, weatherDays } from './weather-data.ts';

export const weatherFeatures = ['temp_max', 'temp_min', 'wind'] as const;

/** The days of the training set: both stations, 2012–2013. */
export function trainingPeriodDays(): WeatherDay[] {
  return weatherDays().filter((d) => d.event_time < '2014');
}

/** A feature store on `bus` (memory) with the weather views materialized, and the id of the 2012–2013 training set. */
export async function startWeatherFeatureStore(
  bus: MemoryBus,
  blobs: BlobStore,
): Promise<{ featureStore: InProcessService; trainingSetId: string }> {
  const featureStore = await startInProcess('feature-store', {
    load: loadFeatureStoreConfig,
    wire: wireFeatureStore,
    shared: { bus, blobs },
  });
  const fs = createRpcClient(FeatureStoreService, { address: featureStore.address });
  try {
    await fs.applyFeatureView({ featureView: weatherDailyView });
    await fs.applyFeatureView({ featureView: weatherLabelsView });
    const file = await blobs.put(toJsonLines(weatherDays()));
    await bus.publish([
      newEvent(
        DatasetArrivedSchema,
        {
          dataset: weatherDatasetName,
          uri: blobUri(file.sha256),
          format: DatasetFormat.JSONL,
          sha256: file.sha256,
        },
        { source: 'test/data-pipeline' },
      ),
    ]);
    await waitFor(
      () =>
        bus
          .retained('features.materialized')
          .filter((m) => m.key === 'weather_daily' || m.key === 'weather_labels').length >= 2,
      { what: 'both weather views materialized', timeoutMs: 60_000 },
    );
    const { trainingSet } = await fs.createTrainingSet({
      features: weatherFeatures.map((f) => `weather_daily:${f}`),
      entityDataframe: {
        source: {
          case: 'viewHistory',
          value: {
            featureViewName: 'weather_labels',
            startTime: timestampFromMs(Date.parse('2012-01-01T00:00:00Z')),
            endTime: timestampFromMs(Date.parse('2014-01-01T00:00:00Z')),
          },
        },
      },
      requestId: 'retrain-weather/run-1/training-set',
    });
    return { featureStore, trainingSetId: trainingSet!.id };
  } finally {
    fs.close();
  }
}

function featureRowOf(d: WeatherDay): Record<string, number> {
  return { temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind };
}

/** The rain model trained on the training period, as ONNX (outputs `probability` FP32 and `label` INT64). */
export function trainWeatherModel(): Uint8Array {
  const days = trainingPeriodDays();
  const model = trainLogisticRegression({
    featureNames: weatherFeatures,
    features: toFeatureMatrix(days.map(featureRowOf), weatherFeatures),
    labels: days.map((d) => d.rained),
  });
  return exportLogisticRegressionOnnx(model);
}

/** P(rain) of each day by the model, as serving would log it. */
export async function probabilitiesOf(onnx: Uint8Array, days: readonly WeatherDay[]): Promise<number[]> {
  const scorer = await createOnnxScorer(onnx);
  try {
    return await scorer.score(days.map(featureRowOf));
  } finally {
    await scorer.close();
  }
}

/** Publishes `model.version-registered` for weather `version` with its artifact and training set. */
export async function registerWeatherVersion(
  bus: EventBus,
  options: { modelName?: string; version: number; trainingSetRef: string; artifactSha256: string },
): Promise<void> {
  await bus.publish([
    newEvent(
      ModelVersionRegisteredSchema,
      {
        modelName: options.modelName ?? 'weather',
        modelVersion: BigInt(options.version),
        team: 'weather',
        artifact: { uri: blobUri(options.artifactSha256), sha256: options.artifactSha256 },
        signature: {
          inputs: weatherFeatures.map((name) => ({ name, datatype: 'FP32', shape: [-1n, 1n] })),
          outputs: [
            { name: 'probability', datatype: 'FP32', shape: [-1n, 1n] },
            { name: 'label', datatype: 'INT64', shape: [-1n, 1n] },
          ],
        },
        lineage: { trainingSetRef: options.trainingSetRef, pipelineRunId: 'run-1' },
        requestId: `run-1/register-${options.version}`,
      },
      { source: 'flywheel/registry' },
    ),
  ]);
}
