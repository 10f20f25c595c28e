import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { DeploymentState, RolloutState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { parsePrometheusText, sampleSum, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { versionsServing } from './rollout-harness.ts';
import {
  championDeployment,
  type Stack,
  startStack,
  v1Model,
  v2Model,
  weatherModel,
} from './serving-harness.ts';

/** Resolves once deployment `weather` answers ModelMetadata with `version` only. */
async function serves(stack: Stack, version: string): Promise<void> {
  await waitFor(
    async () => (await stack.inference.modelMetadata({ name: 'weather' })).versions.join() === version,
    { what: `ModelMetadata versions == ["${version}"]`, timeoutMs: 60_000 },
  );
}

/** The lineage of a retrain that the drift event detected at `detectedAt` (its CloudEvent time) started. */
function driftTrigger(model: string, detectedAt: number) {
  return {
    pipelineRunId: 'run-after-drift',
    triggerEvent: {
      id: 'drift-1',
      type: 'drift.detected',
      source: 'flywheel/monitoring',
      subject: model,
      time: timestampFromMs(detectedAt),
    },
  };
}

/** flywheel_loop_lead_time_seconds' count and sum for `model`'s drift-triggered versions. */
async function observed(stack: Stack, model: string): Promise<{ count: number; seconds: number }> {
  const samples = parsePrometheusText(await (await fetch(`${stack.http}/metrics`)).text());
  const labels = { model, trigger_event: 'drift.detected', service: 'serving' };
  return {
    count: sampleSum(samples, 'flywheel_loop_lead_time_seconds_count', labels),
    seconds: sampleSum(samples, 'flywheel_loop_lead_time_seconds_sum', labels),
  };
}

/** A rollout policy of one 50 % canary step (a short bake), promoted automatically or not. */
function canaryPolicy(autoPromote: boolean) {
  return {
    rolloutPolicy: {
      canary: {
        stepPercents: [50],
        bakeDuration: durationFromMs(150),
        minRequests: 10,
        autoPromote,
        slo: { maxLatencyP99: durationFromMs(10_000), maxErrorRate: 0.5 },
      },
    },
  };
}

/** Keeps sending traffic (so the canary is judged) until the rollout reaches `state`. */
async function driveUntil(stack: Stack, state: RolloutState): Promise<void> {
  await waitFor(
    async () => {
      await versionsServing(stack, 'weather', 32);
      const { rollout } = await stack.serving.getRolloutStatus({ deploymentName: 'weather' });
      return rollout?.state === state;
    },
    { what: `rollout state ${RolloutState[state]}`, timeoutMs: 60_000 },
  );
}

describe('the loop lead time', () => {
  it('observes drift → serving once, when a version a drift-triggered run produced goes live, and nothing for others', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    await serves(stack, '1');

    // Monitoring detected the drift 90 s ago (the event's CloudEvent time); the retrain registered v2.
    const detectedAt = Date.now() - 90_000;
    await stack.register(model, v2Model, driftTrigger(model, detectedAt));
    const aliasMovedAt = Date.now();
    await stack.setAlias(model, 'champion', 2n);
    await serves(stack, '2');
    const seenServingAt = Date.now();

    // A version no trigger produced (registered by hand) is not a loop: no observation.
    await stack.register(model, weatherModel([-0.5, 0.2, 0.4], 0.1));
    await stack.setAlias(model, 'champion', 3n);
    await serves(stack, '3');

    const samples = parsePrometheusText(await (await fetch(`${stack.http}/metrics`)).text());
    const labels = { model, trigger_event: 'drift.detected', service: 'serving' };
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_count')).toBe(1);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_count', labels)).toBe(1);
    // Swapped in after the alias moved and before ModelMetadata showed it: the value lies in between.
    const seconds = sampleSum(samples, 'flywheel_loop_lead_time_seconds_sum', labels);
    expect(seconds).toBeGreaterThanOrEqual((aliasMovedAt - detectedAt) / 1000);
    expect(seconds).toBeLessThanOrEqual((seenServingAt - detectedAt) / 1000);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_bucket', { ...labels, le: '60' })).toBe(0);
    expect(sampleSum(samples, 'flywheel_loop_lead_time_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
  });

  it('under a canary rollout policy, observes when the candidate is promoted automatically, not when its canary starts', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, canaryPolicy(true)),
    });
    await serves(stack, '1');

    const detectedAt = Date.now() - 90_000;
    await stack.register(model, v2Model, driftTrigger(model, detectedAt));
    const aliasMovedAt = Date.now();
    await stack.setAlias(model, 'champion', 2n);
    await waitFor(
      async () =>
        (await stack.serving.getDeployment({ deploymentName: 'weather' })).deployment?.state ===
        DeploymentState.ROLLING_OUT,
      { what: 'the canary started', timeoutMs: 60_000 },
    );
    // A canary taking part of the traffic is not the version live yet.
    expect((await observed(stack, model)).count).toBe(0);

    await driveUntil(stack, RolloutState.SUCCEEDED);
    const promotedSeenAt = Date.now();
    const { count, seconds } = await observed(stack, model);
    expect(count).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual((aliasMovedAt - detectedAt) / 1000);
    expect(seconds).toBeLessThanOrEqual((promotedSeenAt - detectedAt) / 1000);
  });

  it('observes a paused canary promoted by PromoteRollout at the promotion, once', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, canaryPolicy(false)),
    });
    await serves(stack, '1');

    const detectedAt = Date.now() - 90_000;
    await stack.register(model, v2Model, driftTrigger(model, detectedAt));
    await stack.setAlias(model, 'champion', 2n);
    // With auto_promote off it waits after its last step, for a person.
    await driveUntil(stack, RolloutState.PAUSED);
    expect((await observed(stack, model)).count).toBe(0);

    const promoteAskedAt = Date.now();
    const promoted = await stack.serving.promoteRollout({ deploymentName: 'weather', reason: 'looks good' });
    const promoteAnsweredAt = Date.now();
    expect(promoted.deployment?.stableVersion).toBe(2n);
    const { count, seconds } = await observed(stack, model);
    expect(count).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual((promoteAskedAt - detectedAt) / 1000);
    expect(seconds).toBeLessThanOrEqual((promoteAnsweredAt - detectedAt) / 1000);
    await serves(stack, '2');
    expect((await observed(stack, model)).count).toBe(1);
  });
});
