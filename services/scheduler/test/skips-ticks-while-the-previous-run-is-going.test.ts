import { newEvent } from '@flywheel/events';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  PipelineRunSucceededSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minute, retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('a skip_if_running schedule', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);
  const suppressed = () => h.events(RunSuppressedSchema).map((e) => e.payload);

  beforeAll(async () => {
    h = await startScheduler();
    await h.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
    await h.client.createSchedule({
      schedule: {
        name: 'every-minute',
        pipelineName: 'retrain-weather',
        cron: '* * * * *',
        parameters: { model_name: 'weather' },
        skipIfRunning: true,
      },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('records ticks as suppressed while its run is going, and runs again once it ended', async () => {
    h.clock.advance(minute);
    const [first] = await waitFor(() => runs().length === 1 && runs(), { what: 'the first run' });

    h.clock.advance(minute);
    const [skipped] = await waitFor(() => suppressed().length === 1 && suppressed(), {
      what: 'a skipped tick',
    });
    expect(skipped).toMatchObject({
      reason: SuppressionReason.COOLDOWN,
      detail: expect.stringContaining(`${first?.runId} of this schedule is still in progress`),
      trigger: { scheduleName: 'every-minute' },
    });

    await h.bus.publish([
      newEvent(
        PipelineRunSucceededSchema,
        { runId: first!.runId, pipelineName: 'retrain-weather' },
        { source: 'flywheel/orchestrator' },
      ),
    ]);
    // Each minute is one more tick: skipped until the run's end is seen, then a run.
    const second = await waitFor(
      () => {
        if (runs().length === 2) return runs()[1];
        h.clock.advance(minute);
        return undefined;
      },
      { what: 'a run after the first ended', intervalMs: 50 },
    );
    expect(second?.runId).not.toBe(first?.runId);
  });
});
