import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus } from '@flywheel/bus';
import { weatherDailyView, weatherDataset } from '@flywheel/example-weather';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { startInProcess } from '@flywheel/runtime/testing';
import { uniqueName } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  championDeployment,
  expectProbabilities,
  features,
  float32sOf,
  rejection,
  startStack,
  v1Model,
} from './serving-harness.ts';

/** The REAL feature store in this process, the weather_daily view applied, each station's last day online. */
async function weatherFeatureStore() {
  const service = await startInProcess('feature-store', {
    load: loadFeatureStoreConfig,
    wire: wireFeatureStore,
    shared: {
      bus: createMemoryBus(),
      blobs: createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-fs-')) }),
    },
  });
  const client = createRpcClient(FeatureStoreService, { address: service.address });
  onTestFinished(async () => {
    client.close();
    await service.stop();
  });
  await client.applyFeatureView({ featureView: weatherDailyView });
  const days = await weatherDataset();
  const last = new Map(days.map((day) => [day.station, day]));
  // Observed an hour ago, so within the view's 3-day TTL.
  const eventTime = timestampFromMs(Date.now() - 3_600_000);
  await client.ingest({
    featureViewName: weatherDailyView.name,
    rows: [...last.values()].map((day) => ({
      entityKey: { joinKeys: { station: { kind: { case: 'stringValue', value: day.station } } } },
      eventTime,
      values: Object.fromEntries(
        features.map((f) => [f, { kind: { case: 'doubleValue' as const, value: day[f] } }]),
      ),
    })),
  });
  const row = (station: string) => features.map((f) => last.get(station)![f]);
  return { address: service.address, row, client };
}

const enrichment = {
  entityKey: 'station',
  features: Object.fromEntries(features.map((f) => [f, `weather_daily:${f}`])),
};

const stationInput = (stations: string[]) => ({
  name: 'station',
  datatype: 'BYTES',
  shape: [BigInt(stations.length)],
  contents: { bytesContents: stations.map((s) => new TextEncoder().encode(s)) },
});

describe('online feature enrichment', () => {
  it('completes inputs given as station ids from the feature store before inference', async () => {
    const store = await weatherFeatureStore();
    const stack = await startStack({ env: { FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: store.address } });
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, { featureEnrichment: enrichment }),
    });
    const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment?.featureEnrichment?.features).toEqual(enrichment.features);

    // One row per station, from a BYTES input.
    const both = await stack.inference.modelInfer({
      modelName: 'weather',
      inputs: [stationInput(['seattle', 'new-york'])],
    });
    expectProbabilities(both.outputs[0]!.contents!.fp32Contents, v1Model, [
      store.row('seattle'),
      store.row('new-york'),
    ]);

    // One row from the request parameter, raw contents like tritonclient sends.
    const one = await stack.inference.modelInfer({
      modelName: 'weather',
      inputs: [{ name: 'temp_max', datatype: 'FP32', shape: [1n, 1n] }],
      rawInputContents: [new Uint8Array(Float32Array.from([30]).buffer)],
      parameters: { station: { parameterChoice: { case: 'stringParam', value: 'seattle' } } },
    });
    // temp_max as given; the rest from the feature store.
    const [, tempMin, wind] = store.row('seattle');
    expectProbabilities(float32sOf(one.rawOutputContents[0]!), v1Model, [[30, tempMin!, wind!]]);
  });

  it('answers INVALID_ARGUMENT for an unknown entity or a request naming none', async () => {
    const store = await weatherFeatureStore();
    const stack = await startStack({ env: { FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: store.address } });
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, { featureEnrichment: enrichment }),
    });
    const unknown = await rejection(
      stack.inference.modelInfer({ modelName: 'weather', inputs: [stationInput(['seattle', 'atlantis'])] }),
      'invalid_argument',
    );
    expect(unknown.field).toBe('inputs.station');
    expect(unknown.message).toContain('"atlantis"');
    const none = await rejection(
      stack.inference.modelInfer({ modelName: 'weather', inputs: [] }),
      'invalid_argument',
    );
    expect(none.message).toContain('"station"');
    // The server is unharmed.
    const ok = await stack.inference.modelInfer({
      modelName: 'weather',
      inputs: [stationInput(['new-york'])],
    });
    expectProbabilities(ok.outputs[0]!.contents!.fp32Contents, v1Model, [store.row('new-york')]);
  });

  it('computes on-demand features with the request parameters as request data', async () => {
    const store = await weatherFeatureStore();
    await store.client.applyOnDemandFeatureView({
      onDemandFeatureView: {
        name: 'weather_adjusted',
        requestSchema: [{ name: 'offset', valueType: ValueType.DOUBLE }],
        features: [
          {
            name: 'temp_max_adj',
            valueType: ValueType.DOUBLE,
            expression: 'weather_daily.temp_max + request.offset',
          },
        ],
      },
    });
    const stack = await startStack({ env: { FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: store.address } });
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, {
        featureEnrichment: {
          entityKey: 'station',
          features: { ...enrichment.features, temp_max: 'weather_adjusted:temp_max_adj' },
        },
      }),
    });
    const answer = await stack.inference.modelInfer({
      modelName: 'weather',
      inputs: [stationInput(['seattle', 'new-york'])],
      parameters: { offset: { parameterChoice: { case: 'doubleParam', value: 2.5 } } },
    });
    const adjusted = (station: string) => {
      const [tempMax, tempMin, wind] = store.row(station);
      return [tempMax! + 2.5, tempMin!, wind!];
    };
    expectProbabilities(answer.outputs[0]!.contents!.fp32Contents, v1Model, [
      adjusted('seattle'),
      adjusted('new-york'),
    ]);
    const missing = await rejection(
      stack.inference.modelInfer({ modelName: 'weather', inputs: [stationInput(['seattle'])] }),
      'invalid_argument',
    );
    expect(missing.message).toContain('request_data[0].values.offset');
  });
});
