// Issue 9: two serving replicas of one deployment on one MongoDB-wire store and one Kafka bus. A
// canary has ONE judge (a lease on the stored rollout): one set of traffic steps and one
// deployment.rolled-out per canary, not one per replica; the other replica follows what the judge
// stored (its steps, the promotion), and takes the judging over when the judge goes away.
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@flywheel/events';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import {
  DeploymentRolledBackSchema,
  DeploymentRolledOutSchema,
  DeploymentTrafficChangedSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { RolloutState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { parsePrometheusText, realServers, sampleSum, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  startServingReplicas,
  v1Model,
  v2Model,
} from './serving-harness.ts';

const servers = realServers();

/** Registry + two serving replicas on real Kafka and MongoDB, and an observer of the rollout events. */
async function startReplicas(run: string) {
  const {
    stack,
    registry,
    replica: startReplica,
  } = await startServingReplicas({
    run,
    servers,
    env: { FLYWHEEL_SERVING_ROLLOUT_LEASE: '1s' },
  });
  const seen = await stack.observe([
    'deployment.traffic-changed',
    'deployment.rolled-out',
    'deployment.rolled-back',
  ]);

  const replica = async (name: string) => {
    const { service, inference, serving } = await startReplica(name);
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
  const register = async (
    weights: typeof v1Model,
    lineage?: { pipelineRunId: string; triggerEvent: object },
  ) => {
    const { version } = await registry.registerVersion({
      requestId: crypto.randomUUID(),
      modelName: model,
      artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
      format: ArtifactFormat.ONNX,
      ...(lineage ? { lineage } : {}),
    });
    return version!.version;
  };
  await register(v1Model);
  // v2 as a retrain that a drift event started a minute ago: its rollout is the loop's lead time.
  await register(v2Model, {
    pipelineRunId: 'run-after-drift',
    triggerEvent: {
      id: 'drift-1',
      type: 'drift.detected',
      subject: model,
      time: timestampFromMs(Date.now() - 60_000),
    },
  });
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
    // The loop's lead time is observed once, by the replica that promoted the canary.
    const leadTimes = await Promise.all(
      [a, b].map(async ({ service }) => {
        const samples = parsePrometheusText(await (await fetch(service.metricsUrl!)).text());
        return sampleSum(samples, 'flywheel_loop_lead_time_seconds_count', { model: stack.model });
      }),
    );
    expect(leadTimes.reduce((sum, count) => sum + count, 0)).toBe(1);
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
