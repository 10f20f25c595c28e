// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { DriftTestKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hour, retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('a storm of 100 drift alerts for one model within a second', () => {
  let h: SchedulerHarness;

  beforeAll(async () => {
    h = await startScheduler();
    await h.client.createPipeline({ pipeline: { name: 'retrain-weather', spec: retrainSpec() } });
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        filter: { match: { model_name: 'weather' } },
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}', drift_statistic: '${event.statistic}' },
        cooldown: durationFromMs(6 * hour),
        enabled: true,
      },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('starts exactly one run; the other 99 are suppressed for the cooldown', async () => {
    const alerts = Array.from({ length: 100 }, (_, i) => ({
      modelName: 'weather',
      modelVersion: 1n,
      feature: ['temp_max', 'temp_min', 'wind'][i % 3] ?? 'wind',
      test: DriftTestKind.PSI,
      statistic: 0.3 + i / 1000,
    }));
    const ids = await h.publishDrift(...alerts);

    const suppressed = await waitFor(
      () => {
        const found = h.events(RunSuppressedSchema);
        return found.length >= 99 && found;
      },
      { what: '99 run.suppressed' },
    );
    const runs = h.events(PipelineRunRequestedSchema);
    expect(runs).toHaveLength(1);
    expect(suppressed).toHaveLength(99);

    const run = runs[0]!.payload;
    const cooldownEnd = h.clock.now() + 6 * hour;
    for (const { payload } of suppressed) {
      expect(payload).toMatchObject({
        reason: SuppressionReason.COOLDOWN,
        pipelineName: 'retrain-weather',
        trigger: { triggerRuleName: 'retrain-on-drift', key: 'weather', event: { type: 'drift.detected' } },
        detail: expect.stringContaining('cooldown for key "weather" until'),
      });
      expect(timestampMs(payload.suppressedUntil!)).toBe(cooldownEnd);
    }
    // Every alert was decided once: the granted one plus the 99 suppressed are the 100 events.
    const decided = [run.trigger?.event?.id, ...suppressed.map((s) => s.payload.trigger?.event?.id)];
    expect(new Set(decided)).toEqual(new Set(ids));

    const history = await waitFor(
      async () => {
        const { runRequests } = await h.client.listRunRequests({
          pipelineName: 'retrain-weather',
          pageSize: 1000,
        });
        return runRequests.length === 100 && runRequests;
      },
      { what: 'the history of 100 decisions' },
    );
    expect(history.filter((r) => r.status === RunRequestStatus.REQUESTED).map((r) => r.runId)).toEqual([
      run.runId,
    ]);
    expect(history.filter((r) => r.suppressionReason === SuppressionReason.COOLDOWN)).toHaveLength(99);
    const onlySuppressed = await h.client.listRunRequests({
      status: RunRequestStatus.SUPPRESSED,
      pageSize: 10,
    });
    expect(onlySuppressed.runRequests).toHaveLength(10);
    expect(onlySuppressed.nextPageToken).not.toBe('');
  });
});
