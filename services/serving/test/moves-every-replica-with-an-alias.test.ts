// Two serving replicas of one deployment, as production runs them: one MongoDB-wire store and one
// Kafka bus shared, distinct instance ids. An alias change must reach each replica (a consumer
// group per replica), not one per group.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import type { Env } from '@flywheel/core';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadServingConfig, wireServing } from '../src/index.ts';
import { championDeployment, contentsRequest, v1Model, v2Model } from './serving-harness.ts';

const servers = realServers();

describe('serving replicas sharing one store and bus (real Kafka and MongoDB)', () => {
  it('moves every replica to the version an alias moves to, and serves a new deployment on each', {
    timeout: 240_000,
  }, async () => {
    const run = uniqueName('replicas').replaceAll('.', '-');
    const model = `weather-${run}`.toLowerCase();
    const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-replicas-blobs-')) });
    onTestFinished(() => blobs.close());
    const kafka: Env = {
      FLYWHEEL_BUS: 'kafka',
      FLYWHEEL_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
      // Groups of their own: other tests' services on the shared broker are not disturbed.
      FLYWHEEL_CONSUMER_GROUP_PREFIX: `${run}-`,
    };
    const started: InProcessService[] = [];
    onTestFinished(async () => {
      for (const service of started.reverse()) await service.stop();
    });
    const registryService = await startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      shared: { blobs },
      env: { ...kafka, FLYWHEEL_INSTANCE_ID: `${run}/registry` },
    });
    started.push(registryService);
    const startReplica = async (replica: string) => {
      const service = await startInProcess('serving', {
        load: loadServingConfig,
        wire: wireServing,
        shared: { blobs },
        env: {
          ...kafka,
          FLYWHEEL_STORE: 'mongo',
          FLYWHEEL_MONGO_URL: servers.mongoUrl,
          FLYWHEEL_MONGO_DATABASE: `${run}-serving`,
          FLYWHEEL_INSTANCE_ID: `${run}/serving-${replica}`,
          FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
          FLYWHEEL_SERVING_LOAD_RETRY_BASE: '50ms',
          FLYWHEEL_SERVING_LOAD_RETRY_MAX: '500ms',
        },
      });
      started.push(service);
      const inference = createRpcClient(GRPCInferenceService, {
        address: service.address,
        defaultTimeoutMs: 20_000,
      });
      onTestFinished(() => inference.close());
      return { service, inference };
    };
    const registry = createRpcClient(RegistryService, {
      address: registryService.address,
      defaultTimeoutMs: 20_000,
    });
    onTestFinished(() => registry.close());
    const register = async (weights: typeof v1Model) => {
      const { version } = await registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: model,
        artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
        format: ArtifactFormat.ONNX,
      });
      return version!.version;
    };
    const v1 = await register(v1Model);
    const v2 = await register(v2Model);
    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: v1 });

    const a = await startReplica('a');
    const serving = createRpcClient(ServingService, { address: a.service.address, defaultTimeoutMs: 20_000 });
    onTestFinished(() => serving.close());
    await serving.createDeployment({ deployment: championDeployment('weather', model) });
    // The second replica finds the deployment in the shared store when it starts.
    const b = await startReplica('b');
    const replicas = [a, b];
    const versionOn = async (replica: (typeof replicas)[number]) =>
      (await replica.inference.modelInfer(contentsRequest('weather'))).modelVersion;
    await waitFor(async () => (await b.inference.serverReady({})).ready, {
      timeoutMs: 60_000,
      what: 'replica b ready',
    });
    for (const replica of replicas) expect(await versionOn(replica)).toBe(String(v1));

    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: v2 });
    for (const [i, replica] of replicas.entries()) {
      await waitFor(async () => (await versionOn(replica)) === String(v2), {
        timeoutMs: 60_000,
        what: `replica ${'ab'[i]} serving v${v2}`,
      });
    }
    const { deployment } = await serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment?.stableVersion).toBe(v2);

    // A deployment created through one replica is served by the other too.
    await serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: v1 } },
      },
    });
    await waitFor(
      async () => {
        try {
          return (await b.inference.modelInfer(contentsRequest('pinned'))).modelVersion === String(v1);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 60_000, what: 'replica b serving the deployment created through replica a' },
    );
  });
});
