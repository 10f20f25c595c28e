import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { newEvent } from '@flywheel/events';
import {
  DeploymentRolledBackSchema,
  DeploymentRolledOutSchema,
  DeploymentTrafficChangedSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { DeploymentState, RolloutState, RouteRole } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { brokenModel, deployTwoVersions, shareOf, versionsServing } from './rollout-harness.ts';
import { contentsRequest, eventsOf, rejection, type Stack, startStack } from './serving-harness.ts';

/** Keeps sending traffic until the deployment's rollout reaches `state`. */
async function driveUntil(stack: Stack, name: string, state: RolloutState) {
  return waitFor(
    async () => {
      await versionsServing(stack, name, 32);
      const { rollout } = await stack.serving.getRolloutStatus({ deploymentName: name });
      return rollout?.state === state ? rollout : undefined;
    },
    { timeoutMs: 30_000, what: `rollout state ${RolloutState[state]}` },
  );
}

describe('canary rollouts', () => {
  it('sends the canary its percentage of traffic, and a manual Rollback takes it all back', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    const { deployment, rollout } = await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      reason: 'try v2',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: { candidateVersion: 2n, stepPercents: [25], bakeDuration: durationFromMs(3_600_000) },
        },
      },
    });
    expect(deployment?.state).toBe(DeploymentState.ROLLING_OUT);
    expect(rollout?.state).toBe(RolloutState.PROGRESSING);
    expect(deployment?.routes.map((r) => [Number(r.modelVersion), r.role, r.percent])).toEqual([
      [1, RouteRole.STABLE, 75],
      [2, RouteRole.CANARY, 25],
    ]);

    const versions = await versionsServing(stack, 'weather', 600);
    // 600 draws at p = 0.25: sd ≈ 0.018; ± 0.08 is over 4 sd.
    expect(shareOf(versions, '2')).toBeGreaterThan(0.17);
    expect(shareOf(versions, '2')).toBeLessThan(0.33);
    expect(shareOf(versions, '1') + shareOf(versions, '2')).toBe(1);
    const started = eventsOf(stack.bus, DeploymentTrafficChangedSchema);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      deploymentName: 'weather',
      rolloutId: rollout?.rolloutId,
      reason: 'try v2',
    });

    const rolledBack = await stack.serving.rollback({ deploymentName: 'weather', reason: 'changed my mind' });
    expect(rolledBack.deployment?.state).toBe(DeploymentState.READY);
    expect(new Set(await versionsServing(stack, 'weather', 50))).toEqual(new Set(['1']));
    const events = eventsOf(stack.bus, DeploymentRolledBackSchema);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      modelVersion: 1n,
      fromVersion: 2n,
      automatic: false,
      reason: 'changed my mind',
      rolloutId: rollout?.rolloutId,
    });
    const status = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
    expect(status.rollout?.state).toBe(RolloutState.ROLLED_BACK);
    await rejection(stack.serving.rollback({ deploymentName: 'weather' }), 'failed_precondition');
  });

  it('rolls a moved alias out step by step under the rollout policy, each step an event, then promotes it', async () => {
    const stack = await startStack();
    const model = await deployTwoVersions(stack, 'weather', {
      extra: {
        rolloutPolicy: {
          canary: {
            stepPercents: [20, 60],
            bakeDuration: durationFromMs(150),
            minRequests: 10,
            autoPromote: true,
            slo: { maxLatencyP99: durationFromMs(10_000), maxErrorRate: 0.5 },
          },
        },
      },
    });
    await stack.setAlias(model, 'champion', 2n);
    await waitFor(async () => {
      const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
      return deployment?.state === DeploymentState.ROLLING_OUT;
    });
    const done = await driveUntil(stack, 'weather', RolloutState.SUCCEEDED);
    expect(done.candidateVersion).toBe(2n);

    const steps = eventsOf(stack.bus, DeploymentTrafficChangedSchema).filter(
      (e) => e.rolloutId === done.rolloutId,
    );
    expect(steps.map((e) => e.routes.map((r) => [Number(r.modelVersion), r.percent]))).toEqual([
      [
        [1, 80],
        [2, 20],
      ],
      [
        [1, 40],
        [2, 60],
      ],
    ]);
    const rolledOut = eventsOf(stack.bus, DeploymentRolledOutSchema).filter(
      (e) => e.rolloutId === done.rolloutId,
    );
    expect(rolledOut).toHaveLength(1);
    expect(rolledOut[0]).toMatchObject({ modelVersion: 2n, previousVersion: 1n });
    expect(rolledOut[0]!.checks.map((c) => [c.name, c.passed])).toEqual([
      ['latency_p99', true],
      ['error_rate', true],
    ]);
    const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment).toMatchObject({ stableVersion: 2n, state: DeploymentState.READY });
    expect(new Set(await versionsServing(stack, 'weather', 40))).toEqual(new Set(['2']));
  });

  it('PromoteRollout makes a paused canary stable at once, and refuses when no canary runs', async () => {
    const stack = await startStack();
    const model = await deployTwoVersions(stack, 'weather');
    await rejection(stack.serving.promoteRollout({ deploymentName: 'weather' }), 'failed_precondition');
    await rejection(stack.serving.promoteRollout({ deploymentName: 'nowhere' }), 'not_found');
    const { rollout } = await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      reason: 'try v2',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: {
            candidateVersion: 2n,
            stepPercents: [30],
            bakeDuration: durationFromMs(300),
            autoPromote: false,
          },
        },
      },
    });
    // With auto_promote off it waits after its last step, for a person.
    await driveUntil(stack, 'weather', RolloutState.PAUSED);
    // Pinning another target under the running canary is refused, not half applied.
    const refused = await rejection(
      stack.serving.updateDeployment({
        deployment: {
          name: 'weather',
          target: { modelName: model, selector: { case: 'modelVersion', value: 2n } },
        },
      }),
      'failed_precondition',
    );
    expect(refused.field).toBe('deployment.target');
    const promoted = await stack.serving.promoteRollout({ deploymentName: 'weather', reason: 'looks good' });
    expect(promoted.deployment).toMatchObject({ stableVersion: 2n, state: DeploymentState.READY });
    expect(promoted.rollout).toMatchObject({
      rolloutId: rollout?.rolloutId,
      state: RolloutState.SUCCEEDED,
      message: 'looks good',
    });
    expect(new Set(await versionsServing(stack, 'weather', 40))).toEqual(new Set(['2']));
    // The promotion's own event (deployTwoVersions' deploys announced theirs).
    const rolledOut = eventsOf(stack.bus, DeploymentRolledOutSchema).filter(
      (e) => e.rolloutId === rollout?.rolloutId,
    );
    expect(rolledOut).toHaveLength(1);
    expect(rolledOut[0]).toMatchObject({ modelVersion: 2n, previousVersion: 1n });
    expect(eventsOf(stack.bus, DeploymentRolledBackSchema)).toHaveLength(0);
    // Ended: nothing left to promote.
    await rejection(stack.serving.promoteRollout({ deploymentName: 'weather' }), 'failed_precondition');
  });

  it('rolls back on its own when the canary breaks its error-rate SLO', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather', { candidate: brokenModel });
    const { rollout } = await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: {
            candidateVersion: 2n,
            stepPercents: [50],
            bakeDuration: durationFromMs(3_600_000),
            slo: { maxErrorRate: 0.1 },
          },
        },
      },
    });
    const status = await driveUntil(stack, 'weather', RolloutState.ROLLED_BACK);
    expect(status.message).toContain('error_rate');
    const events = eventsOf(stack.bus, DeploymentRolledBackSchema);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      automatic: true,
      modelVersion: 1n,
      fromVersion: 2n,
      rolloutId: rollout?.rolloutId,
    });
    expect(events[0]!.failedChecks.map((c) => [c.name, c.passed])).toEqual([['error_rate', false]]);
    expect(events[0]!.failedChecks[0]!.observed).toBeGreaterThan(0.1);
    expect(new Set(await versionsServing(stack, 'weather', 40))).toEqual(new Set(['1']));
  });

  it('rolls back on its own when the canary breaks its p99 latency SLO', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: {
            candidateVersion: 2n,
            stepPercents: [50],
            bakeDuration: durationFromMs(3_600_000),
            // No real request answers within 1 µs: a breach, injected.
            slo: { maxLatencyP99: { seconds: 0n, nanos: 1000 } },
          },
        },
      },
    });
    await driveUntil(stack, 'weather', RolloutState.ROLLED_BACK);
    const [event] = eventsOf(stack.bus, DeploymentRolledBackSchema);
    expect(event?.automatic).toBe(true);
    expect(event?.failedChecks.map((c) => c.name)).toEqual(['latency_p99']);
    const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment).toMatchObject({ stableVersion: 1n, state: DeploymentState.READY });
  });

  it('rolls back on its own when the canary accuracy on ground truth falls below its gate', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: {
            candidateVersion: 2n,
            stepPercents: [50],
            bakeDuration: durationFromMs(3_600_000),
            slo: { metricGates: [{ metric: 'accuracy', bound: { case: 'min', value: 0.9 } }] },
          },
        },
      },
    });
    // The truth disagrees with every candidate answer and agrees with every stable one.
    await waitFor(
      async () => {
        const responses = await Promise.all(
          Array.from({ length: 20 }, () => stack.inference.modelInfer(contentsRequest('weather'))),
        );
        const labels = responses.flatMap((response) => {
          const predicted = response.outputs[1]!.contents!.int64Contents;
          return predicted.map((label, rowIndex) => ({
            requestId: response.id,
            rowIndex,
            label: {
              kind: {
                case: 'int64Value' as const,
                value: response.modelVersion === '2' ? 1n - label : label,
              },
            },
          }));
        });
        await stack.bus.publish([
          newEvent(GroundTruthReceivedSchema, { modelName: 'weather', labels }, { source: 'test' }),
        ]);
        const { rollout } = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
        return rollout?.state === RolloutState.ROLLED_BACK;
      },
      { timeoutMs: 30_000, what: 'an automatic rollback on accuracy' },
    );
    const [event] = eventsOf(stack.bus, DeploymentRolledBackSchema);
    expect(event?.automatic).toBe(true);
    expect(event?.failedChecks.map((c) => [c.name, c.observed])).toEqual([['accuracy', 0]]);
  });

  it('resumes a canary left in progress by a restart at its step, then promotes it', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    const { rollout } = await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'canary',
          value: {
            candidateVersion: 2n,
            stepPercents: [30, 60],
            bakeDuration: durationFromMs(150),
            // More than one round of driving sends the candidate, so the second step waits for traffic.
            minRequests: 40,
            autoPromote: true,
            slo: { maxErrorRate: 0.5 },
          },
        },
      },
    });
    await waitFor(
      async () => {
        await versionsServing(stack, 'weather', 32);
        const status = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
        return status.rollout?.stepIndex === 1;
      },
      { timeoutMs: 30_000, what: 'the canary at its second step' },
    );
    await stack.restartServing();
    const resumed = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
    expect(resumed.rollout).toMatchObject({
      rolloutId: rollout?.rolloutId,
      state: RolloutState.PROGRESSING,
      stepIndex: 1,
    });
    expect(resumed.rollout?.routes.map((r) => [Number(r.modelVersion), r.percent])).toEqual([
      [1, 40],
      [2, 60],
    ]);
    await waitFor(async () => (await stack.inference.serverReady({})).ready, { what: 'serving ready again' });
    expect(new Set(await versionsServing(stack, 'weather', 60))).toEqual(new Set(['1', '2']));
    const done = await driveUntil(stack, 'weather', RolloutState.SUCCEEDED);
    expect(done.rolloutId).toBe(rollout?.rolloutId);
    expect(eventsOf(stack.bus, DeploymentRolledBackSchema)).toEqual([]);
    const steps = eventsOf(stack.bus, DeploymentTrafficChangedSchema).filter(
      (e) => e.rolloutId === rollout?.rolloutId,
    );
    expect(steps).toHaveLength(2);
    expect(new Set(await versionsServing(stack, 'weather', 40))).toEqual(new Set(['2']));
  });

  it('refuses a split naming no candidate, an unknown version or a metric it cannot judge', async () => {
    const stack = await startStack();
    await deployTwoVersions(stack, 'weather');
    const split = (value: Record<string, unknown>) =>
      stack.serving.setTrafficSplit({
        deploymentName: 'weather',
        trafficSplit: { strategy: { case: 'canary', value: { stepPercents: [10], ...value } } },
      });
    expect((await rejection(split({}), 'invalid_argument')).field).toBe(
      'traffic_split.canary.candidate_version',
    );
    await rejection(split({ candidateVersion: 9n }), 'not_found');
    const gate = await rejection(
      split({
        candidateVersion: 2n,
        slo: { metricGates: [{ metric: 'vibes', bound: { case: 'min', value: 1 } }] },
      }),
      'invalid_argument',
    );
    expect(gate.message).toContain('accuracy');
    await rejection(
      stack.serving.setTrafficSplit({
        deploymentName: 'nope',
        trafficSplit: { strategy: { case: 'canary', value: { candidateVersion: 2n, stepPercents: [10] } } },
      }),
      'not_found',
    );
  });
});
