// Training/serving skew end to end: serving enriches requests from the feature store and logs
// which features it served; monitoring compares them with the point-in-time values training sets
// are built from, and says skew.detected for the feature whose serving path differs. Embedded
// (one in-process bus) and on the real Kafka and MongoDB-wire servers.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createFsBlobs } from '@flywheel/blobs';
import { createEventBus, createMemoryBus, type EventBus, readBusConfig } from '@flywheel/bus';
import { ConfigReader, type Env } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { loadMonitoringConfig, wireMonitoring } from '@flywheel/monitoring';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { SkewDetectedSchema } from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import {
  FeatureStoreService,
  WriteTarget,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import type { HostConfig, InfraConfig, ServiceName } from '@flywheel/runtime';
import { type InProcessService, type StartInProcessOptions, startInProcess } from '@flywheel/runtime/testing';
import { loadServingConfig, wireServing } from '@flywheel/serving';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const features = ['temp_max', 'temp_min', 'wind'] as const;
const stations = Array.from({ length: 20 }, (_, i) => `station-${i}`);
/** A station's true observation: what the offline store (and so every training set) holds. */
const truth = (i: number) => ({ temp_max: 10 + i * 0.5, temp_min: 2 + i * 0.25, wind: 1 + i * 0.1 });

const model = {
  featureNames: [...features],
  means: [15, 7, 3.2],
  stds: [7, 5, 1.4],
  weights: [-0.8, 0.3, 0.9],
  bias: -0.2,
  l2: 0,
  iterations: 0,
  converged: true,
  loss: 0,
  objective: 0,
};

const view = (name: string) => ({
  name,
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: features.map((f) => ({ name: f, valueType: ValueType.DOUBLE })),
  ttl: { seconds: 3n * 86_400n },
  online: true,
});

type Setup = { env: Env; bus?: EventBus; observer: () => EventBus | Promise<EventBus> };

const kinds: [string, () => Setup][] = [
  [
    'embedded (in-process bus, embedded stores)',
    () => {
      const bus = createMemoryBus();
      return { env: {}, bus, observer: () => bus };
    },
  ],
  [
    'real Kafka and MongoDB-wire',
    () => {
      const servers = realServers();
      const run = uniqueName('skew').replaceAll('_', '-').replaceAll('.', '-');
      const env: Env = {
        FLYWHEEL_BUS: 'kafka',
        ...servers.kafkaEnv,
        // Topics and groups of its own: other tests on the shared broker see nothing of it.
        FLYWHEEL_TOPIC_PREFIX: `${run}.`,
        FLYWHEEL_CONSUMER_GROUP_PREFIX: `${run}-`,
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: servers.mongoUrl,
        FLYWHEEL_MONGO_DATABASE: run,
      };
      return {
        env,
        observer: () => {
          const reader = new ConfigReader(env);
          const config = readBusConfig(reader);
          return createEventBus(config);
        },
      };
    },
  ],
];

describe.each(kinds)('training/serving skew, %s', (_kind, setup) => {
  const started: InProcessService[] = [];
  const closers: (() => unknown)[] = [];
  const skews: ReturnType<typeof decodeEvent<typeof SkewDetectedSchema>>[] = [];
  let infer: (deployment: string) => Promise<void>;

  beforeAll(async () => {
    const { env, bus, observer } = setup();
    const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-skew-blobs-')) });
    closers.push(() => blobs.close());
    const shared = bus ? { bus, blobs } : { blobs };
    const start = async <C extends { host: HostConfig; infra: InfraConfig }>(
      name: ServiceName,
      load: StartInProcessOptions<C>['load'],
      wire: StartInProcessOptions<C>['wire'],
      extra: Env = {},
    ) => {
      const withDb = env.FLYWHEEL_MONGO_DATABASE
        ? { FLYWHEEL_MONGO_DATABASE: `${env.FLYWHEEL_MONGO_DATABASE}-${name}` }
        : {};
      const service = await startInProcess(name, {
        load,
        wire,
        shared,
        env: { ...env, ...withDb, ...extra },
      });
      started.push(service);
      return service;
    };
    const registryService = await start('registry', loadRegistryConfig, wireRegistry);
    const featureStoreService = await start('feature-store', loadFeatureStoreConfig, wireFeatureStore);
    await start('monitoring', loadMonitoringConfig, wireMonitoring, {
      FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStoreService.address,
      FLYWHEEL_MONITORING_SKEW_MIN_SAMPLES: '10',
      FLYWHEEL_MONITORING_SKEW_THRESHOLD: '0.1',
    });
    const servingService = await start('serving', loadServingConfig, wireServing, {
      FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
      FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStoreService.address,
      FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY: '50ms',
      FLYWHEEL_SERVING_LOAD_RETRY_BASE: '50ms',
      FLYWHEEL_SERVING_LOAD_RETRY_MAX: '500ms',
    });

    // The observer: every skew.detected, decoded.
    const events = await observer();
    if (!bus) closers.push(() => events.close());
    const subscription = events.subscribe({ topics: ['skew.detected'], group: 'test-observer' });
    closers.push(() => subscription.close());
    void (async () => {
      for await (const delivery of subscription) {
        skews.push(decodeEvent(SkewDetectedSchema, delivery.event));
        await delivery.ack();
      }
    })();
    await subscription.ready();

    const rpc = { defaultTimeoutMs: 30_000 };
    const fs = createRpcClient(FeatureStoreService, { address: featureStoreService.address, ...rpc });
    const registry = createRpcClient(RegistryService, { address: registryService.address, ...rpc });
    const serving = createRpcClient(ServingService, { address: servingService.address, ...rpc });
    const inference = createRpcClient(GRPCInferenceService, { address: servingService.address, ...rpc });
    closers.push(() => {
      for (const client of [fs, registry, serving, inference]) client.close();
    });

    const eventTime = timestampFromMs(Date.now() - 3_600_000);
    const rows = (transform: (f: (typeof features)[number], value: number) => number) =>
      stations.map((station, i) => ({
        entityKey: { joinKeys: { station: { kind: { case: 'stringValue' as const, value: station } } } },
        eventTime,
        values: Object.fromEntries(
          features.map((f) => [
            f,
            { kind: { case: 'doubleValue' as const, value: transform(f, truth(i)[f]) } },
          ]),
        ),
      }));
    // skewed_weather: the training path (offline) holds °C; the serving path (online) was fed
    // temp_max in °F — the same rows, one feature transformed differently.
    await fs.applyFeatureView({ featureView: view('skewed_weather') });
    await fs.ingest({
      featureViewName: 'skewed_weather',
      rows: rows((_, value) => value),
      target: WriteTarget.OFFLINE,
    });
    await fs.ingest({
      featureViewName: 'skewed_weather',
      rows: rows((f, value) => (f === 'temp_max' ? (value * 9) / 5 + 32 : value)),
      target: WriteTarget.ONLINE,
    });
    // same_weather: one write path for both stores.
    await fs.applyFeatureView({ featureView: view('same_weather') });
    await fs.ingest({ featureViewName: 'same_weather', rows: rows((_, value) => value) });

    const modelName = uniqueName('skew-model').toLowerCase();
    const { version } = await registry.registerVersion({
      requestId: crypto.randomUUID(),
      modelName,
      artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(model) },
      format: ArtifactFormat.ONNX,
    });
    await registry.setAlias({ modelName, alias: 'champion', modelVersion: version!.version });
    for (const viewName of ['skewed_weather', 'same_weather']) {
      await serving.createDeployment({
        deployment: {
          name: viewName.replace('_', '-'),
          target: { modelName, selector: { case: 'alias', value: 'champion' } },
          featureEnrichment: {
            entityKey: 'station',
            features: Object.fromEntries(features.map((f) => [f, `${viewName}:${f}`])),
          },
        },
      });
    }
    infer = async (deployment) => {
      await waitFor(
        async () => (await inference.modelReady({ name: deployment }).catch(() => ({ ready: false }))).ready,
        { what: `deployment ${deployment} ready`, timeoutMs: 60_000 },
      );
      // Every station once: the entity ids as the BYTES input, features from the feature store.
      await inference.modelInfer({
        modelName: deployment,
        inputs: [
          {
            name: 'station',
            datatype: 'BYTES',
            shape: [BigInt(stations.length)],
            contents: { bytesContents: stations.map((s) => new TextEncoder().encode(s)) },
          },
        ],
      });
    };
  }, 180_000);

  afterAll(async () => {
    for (const service of started.reverse()) await service.stop();
    for (const close of closers.reverse()) await close();
  }, 60_000);

  it('a feature served differently from how it was trained → skew.detected naming it, and only it', async () => {
    await infer('skewed-weather');
    const event = await waitFor(() => skews.find((e) => e.deploymentName === 'skewed-weather'), {
      what: 'skew.detected of skewed-weather',
      timeoutMs: 90_000,
    });
    expect(event.feature).toBe('skewed_weather:temp_max');
    expect(event.input).toBe('temp_max');
    expect(event.comparedCount).toBe(20n);
    expect(event.mismatchCount).toBe(20n);
    expect(event.mismatchRate).toBe(1);
    // °F − °C = 0.8·°C + 32: the means say how far apart the paths are.
    expect(event.trainingMean).toBeCloseTo(14.75, 4);
    expect(event.servedMean).toBeCloseTo((14.75 * 9) / 5 + 32, 3);
    expect(event.predictionEventId).not.toBe('');
  }, 150_000);

  it('identical serving and training paths → no skew.detected', async () => {
    await infer('same-weather');
    // prediction.logged is keyed by model and both deployments serve one model, so its batches are
    // judged in the order they were logged: a later batch of the skewed deployment being judged
    // shows the skew check got past this one.
    await infer('skewed-weather');
    await waitFor(() => skews.filter((e) => e.deploymentName === 'skewed-weather').length >= 2, {
      what: 'a second skew.detected of skewed-weather',
      timeoutMs: 90_000,
    });
    expect(skews.filter((e) => e.deploymentName === 'same-weather')).toEqual([]);
    expect(skews.every((e) => e.feature === 'skewed_weather:temp_max')).toBe(true);
  }, 150_000);
});
