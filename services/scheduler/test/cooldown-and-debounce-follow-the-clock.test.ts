// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hour, minute, retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('cooldown and debounce windows follow the scheduler clock', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);
  const suppressed = () => h.events(RunSuppressedSchema).map((e) => e.payload);

  beforeEach(async () => {
    h = await startScheduler();
    await h.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a match after the cooldown has expired starts the next run', async () => {
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    await h.publishDrift({ modelName: 'weather', statistic: 0.4 });
    await waitFor(() => runs().length === 1, { what: 'the first run' });

    h.clock.advance(30 * minute);
    await h.publishDrift({ modelName: 'weather', statistic: 0.5 });
    const [held] = await waitFor(() => suppressed().length === 1 && suppressed(), { what: 'the cooldown' });
    expect(held).toMatchObject({
      reason: SuppressionReason.COOLDOWN,
      detail: expect.stringContaining('T01:00:00.000Z'),
    });

    h.clock.advance(31 * minute);
    const [secondId] = await h.publishDrift({ modelName: 'weather', statistic: 0.6 });
    const all = await waitFor(() => runs().length === 2 && runs(), { what: 'the run after the cooldown' });
    expect(all[1]?.trigger?.event?.id).toBe(secondId);
    expect(all[0]?.runId).not.toBe(all[1]?.runId);
    expect(suppressed()).toHaveLength(1);
  });

  it('a debounced rule waits for a quiet period and runs the last match', async () => {
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'settle-then-retrain',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}', drift_statistic: '${event.statistic}' },
        debounce: durationFromMs(5 * minute),
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    await h.publishDrift(
      { modelName: 'weather', statistic: 0.31 },
      { modelName: 'weather', statistic: 0.32 },
    );
    await waitFor(() => suppressed().length === 1, { what: 'the first match replaced' });
    h.clock.advance(4 * minute); // still within the window of the second match
    const [lastId] = await h.publishDrift({ modelName: 'weather', statistic: 0.33 });
    const replaced = await waitFor(() => suppressed().length === 2 && suppressed(), {
      what: 'the second match replaced',
    });
    expect(replaced.map((s) => s.reason)).toEqual([SuppressionReason.DEBOUNCED, SuppressionReason.DEBOUNCED]);
    const pending = await waitFor(
      async () => {
        const { runRequests } = await h.client.listRunRequests({ status: RunRequestStatus.PENDING });
        const [only] = runRequests;
        return runRequests.length === 1 && only?.parameters?.drift_statistic === 0.33 && only;
      },
      { what: 'the last match pending' },
    );
    expect(pending).toMatchObject({ runId: '', parameters: { drift_statistic: 0.33 } });
    expect(runs()).toHaveLength(0);

    h.clock.advance(5 * minute + 1);
    const [run] = await waitFor(() => runs().length === 1 && runs(), { what: 'the debounced run' });
    expect(run).toMatchObject({
      runRequestId: pending.id,
      parameters: { model_name: 'weather', drift_statistic: 0.33 },
      trigger: { triggerRuleName: 'settle-then-retrain', key: 'weather', event: { id: lastId } },
    });
    const settled = await waitFor(async () => {
      const { runRequests } = await h.client.listRunRequests({ triggerRuleName: 'settle-then-retrain' });
      return runRequests.every((r) => r.status !== RunRequestStatus.PENDING) && runRequests;
    });
    expect(settled.map((r) => r.status).sort()).toEqual([
      RunRequestStatus.REQUESTED,
      RunRequestStatus.SUPPRESSED,
      RunRequestStatus.SUPPRESSED,
    ]);
    expect(settled.find((r) => r.status === RunRequestStatus.REQUESTED)?.runId).toBe(run?.runId);

    // The cooldown starts when the run is requested.
    await h.publishDrift({ modelName: 'weather', statistic: 0.9 });
    const cooled = await waitFor(() => suppressed().length === 3 && suppressed());
    expect(cooled[2]?.reason).toBe(SuppressionReason.COOLDOWN);
  });
});
