// Issue 9: two serving replicas of one deployment on one MongoDB-wire store and one Kafka bus. A
// canary has ONE judge (a lease on the stored rollout): one set of traffic steps and one
// deployment.rolled-out per canary, not one per replica; the other replica follows what the judge
// stored (its steps, the promotion), and takes the judging over when the judge goes away.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { createFsBlobs } from '@flywheel/blobs';
import { createKafkaBus } from '@flywheel/bus';
import type { Env } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import {
  DeploymentRolledBackSchema,
  DeploymentRolledOutSchema,
  DeploymentTrafficChangedSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { RolloutState, ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadServingConfig, wireServing } from '../src/index.ts';
import { championDeployment, contentsRequest, v1Model, v2Model } from './serving-harness.ts';

const servers = realServers();

/** Registry + two serving replicas on real Kafka and MongoDB, and an observer of the rollout events. */
async function startReplicas(run: string) {
  const topicPrefix = `${run}.`;
  const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-judge-blobs-')) });
  onTestFinished(() => blobs.close());
  const kafka: Env = {
    FLYWHEEL_BUS: 'kafka',
    FLYWHEEL_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    FLYWHEEL_TOPIC_PREFIX: topicPrefix,
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
  const registry = createRpcClient(RegistryService, {
    address: registryService.address,
    defaultTimeoutMs: 20_000,
  });
  onTestFinished(() => registry.close());

  const bus = createKafkaBus({ brokers: servers.kafkaBrokers, topicPrefix, clientId: `${run}-test` });
  onTestFinished(() => bus.close());
  const seen = new Map<string, CloudEvent>();
  const observer = bus.subscribe({
    topics: ['deployment.traffic-changed', 'deployment.rolled-out', 'deployment.rolled-back'],
    group: `${run}-observer`,
    concurrency: 16,
  });
  onTestFinished(() => observer.close());
  void (async () => {
    for await (const delivery of observer) {
      // Once per event id: two relays may publish one outbox entry (at-least-once, same id).
      seen.set(delivery.event.id, delivery.event);
      await delivery.ack();
    }
  })();
  await observer.ready({ timeoutMs: 60_000 });

  const replica = async (name: string) => {
    const service = await startInProcess('serving', {
      load: loadServingConfig,
      wire: wireServing,
      shared: { blobs },
      env: {
        ...kafka,
        FLYWHEEL_STORE: 'mongo',
        FLYWHEEL_MONGO_URL: servers.mongoUrl,
        FLYWHEEL_MONGO_DATABASE: `${run}-serving`,
        FLYWHEEL_INSTANCE_ID: `${run}/serving-${name}`,
        FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
        FLYWHEEL_SERVING_LOAD_RETRY_BASE: '50ms',
        FLYWHEEL_SERVING_LOAD_RETRY_MAX: '500ms',
        FLYWHEEL_SERVING_ROLLOUT_LEASE: '1s',
      },
    });
    started.push(service);
    const inference = createRpcClient(GRPCInferenceService, {
      address: service.address,
      defaultTimeoutMs: 20_000,
    });
    const serving = createRpcClient(ServingService, { address: service.address, defaultTimeoutMs: 20_000 });
    onTestFinished(() => {
      inference.close();
      serving.close();
    });
    /** Sends `count` requests; the version that answered each (or "error"). */
    const versions = async (count: number): Promise<string[]> =>
      Promise.all(
        Array.from({ length: count }, () =>
          inference.modelInfer(contentsRequest('weather')).then(
            (response) => response.modelVersion,
            () => 'error',
          ),
        ),
      );
    return { service, inference, serving, versions };
  };

  const model = `weather-${run}`.toLowerCase();
  const register = async (weights: typeof v1Model) => {
    const { version } = await registry.registerVersion({
      requestId: crypto.randomUUID(),
      modelName: model,
      artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
      format: ArtifactFormat.ONNX,
    });
    return version!.version;
  };
  await register(v1Model);
  await register(v2Model);
  await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: 1n });

  const events = <
    S extends
      | typeof DeploymentTrafficChangedSchema
      | typeof DeploymentRolledOutSchema
      | typeof DeploymentRolledBackSchema,
  >(
    schema: S,
    type: string,
  ) => [...seen.values()].filter((e) => e.type === type).map((e) => decodeEvent(schema, e));
  return {
    registry,
    model,
    replica,
    trafficChanged: () => events(DeploymentTrafficChangedSchema, 'deployment.traffic-changed'),
    rolledOut: () => events(DeploymentRolledOutSchema, 'deployment.rolled-out'),
    rolledBack: () => events(DeploymentRolledBackSchema, 'deployment.rolled-back'),
  };
}

type Replica = Awaited<ReturnType<Awaited<ReturnType<typeof startReplicas>>['replica']>>;

/** Sends traffic to every replica until the rollout is in `state`; resolves its status. */
function driveUntil(replicas: readonly Replica[], state: RolloutState, what: string) {
  return waitFor(
    async () => {
      for (const replica of replicas) await replica.versions(24);
      const { rollout } = await replicas[0]!.serving.getRolloutStatus({ deploymentName: 'weather' });
      return rollout?.state === state ? rollout : undefined;
    },
    { timeoutMs: 90_000, what },
  );
}

const canary = {
  stepPercents: [30, 60],
  bakeDuration: durationFromMs(400),
  minRequests: 10,
  autoPromote: true,
  slo: { maxLatencyP99: durationFromMs(10_000), maxErrorRate: 0.5 },
};

describe('two serving replicas judging canaries (real Kafka and MongoDB)', () => {
  it('a canary the rollout policy starts is judged once: one set of steps, one rolled-out, both replicas on the new version', {
    timeout: 240_000,
  }, async () => {
    const stack = await startReplicas(uniqueName('judge-policy').replaceAll('.', '-'));
    const a = await stack.replica('a');
    await a.serving.createDeployment({
      deployment: championDeployment('weather', stack.model, { rolloutPolicy: { canary } }),
    });
    const b = await stack.replica('b');
    await waitFor(async () => (await b.inference.serverReady({})).ready, {
      timeoutMs: 60_000,
      what: 'b ready',
    });

    await stack.registry.setAlias({ modelName: stack.model, alias: 'champion', modelVersion: 2n });
    const done = await driveUntil([a, b], RolloutState.SUCCEEDED, 'the canary promoted');
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const steps = stack.trafficChanged().filter((e) => e.rolloutId === done.rolloutId);
    expect(steps.map((e) => e.routes.map((r) => [Number(r.modelVersion), r.percent]))).toEqual([
      [
        [1, 70],
        [2, 30],
      ],
      [
        [1, 40],
        [2, 60],
      ],
    ]);
    // The first rollout event is v1's, when the deployment was created; then one for the canary.
    expect(stack.rolledOut().map((e) => [e.rolloutId, e.modelVersion])).toEqual([
      ['', 1n],
      [done.rolloutId, 2n],
    ]);
    expect(stack.rolledBack()).toEqual([]);
    for (const [name, replica] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await waitFor(async () => new Set(await replica.versions(40)).size === 1, {
        timeoutMs: 10_000,
        what: `replica ${name} on one version`,
      }).catch(() => undefined);
      expect({ replica: name, versions: new Set(await replica.versions(40)) }).toEqual({
        replica: name,
        versions: new Set(['2']),
      });
    }
  });

  it('a canary started through one replica is followed by the other, which judges it to the end once the first stops', {
    timeout: 240_000,
  }, async () => {
    const stack = await startReplicas(uniqueName('judge-takeover').replaceAll('.', '-'));
    const a = await stack.replica('a');
    await a.serving.createDeployment({ deployment: championDeployment('weather', stack.model) });
    const b = await stack.replica('b');
    await waitFor(async () => (await b.inference.serverReady({})).ready, {
      timeoutMs: 60_000,
      what: 'b ready',
    });

    const { rollout } = await a.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'canary',
          // Step 1 bakes long enough for the test to see b follow it; the test stops a meanwhile.
          value: {
            ...canary,
            candidateVersion: 2n,
            stepPercents: [30, 60],
            bakeDuration: durationFromMs(3000),
          },
        },
      },
    });
    // b sends the candidate its share too: it follows the stored rollout.
    await waitFor(async () => (await b.versions(40)).includes('2'), {
      timeoutMs: 30_000,
      what: 'replica b routing to the canary',
    });
    await a.service.stop();

    const done = await driveUntil([b], RolloutState.SUCCEEDED, 'b promoting the canary');
    expect(done.rolloutId).toBe(rollout?.rolloutId);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const steps = stack.trafficChanged().filter((e) => e.rolloutId === done.rolloutId);
    expect(steps.map((e) => e.routes.map((r) => [Number(r.modelVersion), r.percent]))).toEqual([
      [
        [1, 70],
        [2, 30],
      ],
      [
        [1, 40],
        [2, 60],
      ],
    ]);
    // The first rollout event is v1's, when the deployment was created; then one for the canary.
    expect(stack.rolledOut().map((e) => [e.rolloutId, e.modelVersion])).toEqual([
      ['', 1n],
      [done.rolloutId, 2n],
    ]);
    expect(stack.rolledBack()).toEqual([]);
    expect(new Set(await b.versions(40))).toEqual(new Set(['2']));
  });
});
