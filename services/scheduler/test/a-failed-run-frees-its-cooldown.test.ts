// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { newEvent } from '@flywheel/events';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunFailedSchema,
  PipelineRunRequestedSchema,
  PipelineRunSucceededSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hour, minute, retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

// Issue 9, D3: a retrain that failed (a registry outage) kept its trigger key's 10-minute cooldown,
// which suppressed the next 9 drift alerts. A failed run frees the cooldown it took; a run that
// succeeded keeps it; and `pipeline.run-failed` is an event a rule can react to.
describe('a run that fails does not burn the cooldown of the condition still true', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);
  const suppressed = () => h.events(RunSuppressedSchema).map((e) => e.payload);

  const publishRunEnd = async (runId: string, outcome: 'failed' | 'succeeded', pipelineName: string) => {
    const at = { source: 'flywheel/orchestrator', time: new Date(h.clock.now()) };
    await h.bus.publish([
      outcome === 'failed'
        ? newEvent(
            PipelineRunFailedSchema,
            {
              runId,
              pipelineName,
              failure: {
                kind: FailureKind.STEP_FAILED,
                stepName: 'promote',
                message: 'registry unavailable: connection refused',
              },
            },
            at,
          )
        : newEvent(PipelineRunSucceededSchema, { runId, pipelineName }, at),
    ]);
  };

  beforeEach(async () => {
    h = await startScheduler();
    await h.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
        cooldown: durationFromMs(10 * minute),
        enabled: true,
      },
    });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('the next match after a failed run starts a retry run, and the request records why it failed', async () => {
    await h.publishDrift({ modelName: 'weather', statistic: 0.4 });
    const [first] = await waitFor(() => runs().length === 1 && runs(), { what: 'the first run' });
    h.clock.advance(minute);
    await publishRunEnd(first!.runId, 'failed', 'retrain-weather');
    const failed = await waitFor(
      async () => {
        const { runRequests } = await h.client.listRunRequests({ triggerRuleName: 'retrain-on-drift' });
        const request = runRequests.find((r) => r.runId === first!.runId);
        return request?.detail.includes('failed') && request;
      },
      { what: 'the run request to record the failure' },
    );
    expect(failed).toMatchObject({
      status: RunRequestStatus.REQUESTED,
      detail: expect.stringContaining('registry unavailable: connection refused'),
    });
    expect(failed.detail).toContain('promote');

    h.clock.advance(minute); // still inside the 10 minutes the first run took
    const [retryEventId] = await h.publishDrift({ modelName: 'weather', statistic: 0.5 });
    const both = await waitFor(() => runs().length === 2 && runs(), { what: 'the retry run' });
    expect(both[1]?.trigger?.event?.id).toBe(retryEventId);
    expect(suppressed()).toHaveLength(0);

    // The retry run took the cooldown again: a third match inside it is suppressed.
    await h.publishDrift({ modelName: 'weather', statistic: 0.6 });
    const [held] = await waitFor(() => suppressed().length === 1 && suppressed(), { what: 'the cooldown' });
    expect(held).toMatchObject({ reason: SuppressionReason.COOLDOWN });
  });

  it('a run that succeeded keeps its cooldown', async () => {
    await h.publishDrift({ modelName: 'weather', statistic: 0.4 });
    const [first] = await waitFor(() => runs().length === 1 && runs(), { what: 'the first run' });
    await publishRunEnd(first!.runId, 'succeeded', 'retrain-weather');
    // A failure of some other run (not this key's) changes nothing either.
    await publishRunEnd('run_not-from-this-key', 'failed', 'retrain-weather');
    h.clock.advance(minute);
    await h.publishDrift({ modelName: 'weather', statistic: 0.5 });
    const [held] = await waitFor(() => suppressed().length === 1 && suppressed(), { what: 'the cooldown' });
    expect(held).toMatchObject({ reason: SuppressionReason.COOLDOWN });
    expect(runs()).toHaveLength(1);
  });

  it('a rule can react to pipeline.run-failed, filtered on the pipeline name and the failure', async () => {
    await h.client.createPipeline({ pipeline: { name: 'alert-on-failure', spec: retrainSpec() } });
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'on-failed-retrain',
        eventType: 'pipeline.run-failed',
        filter: {
          match: { pipeline_name: 'retrain-weather' },
          expression: 'event.failure.step_name == "promote" && event.failure.message.contains("unavailable")',
        },
        pipelineName: 'alert-on-failure',
        parameters: {
          model_name: 'weather',
          reason: 'retrain ${event.run_id} failed: ${event.failure.message}',
        },
        key: 'pipeline_name',
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    await publishRunEnd('run_other-pipeline', 'failed', 'some-other-pipeline');
    await publishRunEnd('run_failed-retrain', 'failed', 'retrain-weather');
    const fromRule = await waitFor(
      () => {
        const found = runs().filter((r) => r.trigger?.triggerRuleName === 'on-failed-retrain');
        return found.length === 1 && found;
      },
      { what: `the run the failed retrain requests ${JSON.stringify(suppressed().map((s) => s.detail))}` },
    );
    expect(fromRule[0]).toMatchObject({
      pipelineName: 'alert-on-failure',
      parameters: {
        model_name: 'weather',
        reason: 'retrain run_failed-retrain failed: registry unavailable: connection refused',
      },
      trigger: { key: 'retrain-weather', event: { type: 'pipeline.run-failed' } },
    });
  });
});
