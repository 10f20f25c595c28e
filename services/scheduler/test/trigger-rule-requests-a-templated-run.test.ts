// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { dlqHeaders } from '@flywheel/bus';
import { RunSource, SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { DriftTestKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hour, retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('a trigger rule turns a matching drift.detected into a run request', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema);
  const suppressed = () => h.events(RunSuppressedSchema).map((e) => e.payload);

  beforeAll(async () => {
    h = await startScheduler();
    await h.client.createPipeline({
      pipeline: { name: 'retrain-weather', team: 'forecast', spec: retrainSpec() },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('rejects what cannot work against the event type, naming the field', async () => {
    const base = {
      name: 'bad',
      eventType: 'drift.detected',
      pipelineName: 'retrain-weather',
      enabled: true,
      parameters: { model_name: '${event.model_name}' },
    };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ eventType: 'drift.detecterd' }, 'trigger_rule.event_type', 'not an event type'],
      [{ eventType: 'prediction.logged' }, 'trigger_rule.event_type', 'not an event type'],
      [{ filter: { match: { model: 'weather' } } }, 'trigger_rule.filter.match[model]', 'no field "model"'],
      [{ filter: { expression: 'event.statistic >' } }, 'trigger_rule.filter.expression', 'does not parse'],
      [{ filter: { expression: 'event.statistc > 0.3' } }, 'trigger_rule.filter.expression', 'statistc'],
      [{ filter: { expression: 'event.model_name' } }, 'trigger_rule.filter.expression', 'boolean'],
      [
        { parameters: { model_name: '${event.model}' } },
        'trigger_rule.parameters.model_name',
        'no field "model"',
      ],
      [
        { parameters: { model_name: 'w', retrain: true } },
        'trigger_rule.parameters.retrain',
        'declares no parameter',
      ],
      [
        { parameters: { model_name: '${params.x}' } },
        'trigger_rule.parameters.model_name',
        'not a reference',
      ],
      [{ key: 'nope' }, 'trigger_rule.key', 'no field "nope"'],
      [{ cooldown: { seconds: -5n } }, 'trigger_rule.cooldown', 'negative'],
    ];
    for (const [change, field, message] of cases) {
      await expect(h.client.createTriggerRule({ triggerRule: { ...base, ...change } })).rejects.toMatchObject(
        {
          code: 'invalid_argument',
          field,
          message: expect.stringContaining(message),
        },
      );
    }
    await expect(
      h.client.createTriggerRule({ triggerRule: { ...base, pipelineName: 'missing' } }),
    ).rejects.toMatchObject({ code: 'not_found', field: 'trigger_rule.pipeline_name' });
  });

  it('requests a run with the templated parameters, the spec snapshot and the trigger', async () => {
    const { triggerRule } = await h.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        filter: {
          match: { model_name: 'weather', test: 'DRIFT_TEST_KIND_PSI' },
          expression: 'event.statistic > 0.2',
        },
        pipelineName: 'retrain-weather',
        parameters: {
          model_name: '${event.model_name}',
          drift_statistic: '${event.statistic}',
          reason: 'drift of ${event.feature} in v${event.model_version} (${event.ce.source})',
        },
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    expect(triggerRule).toMatchObject({ team: 'forecast', cooldown: { seconds: 3600n }, enabled: true });

    // The harness stamps each event with the fake clock's time; the trigger carries it (lead time).
    const detectedAt = h.clock.now();
    // Same key, in order: the first two do not match (statistic, test), the third does.
    const [, , matchingId] = await h.publishDrift(
      { modelName: 'weather', modelVersion: 1n, feature: 'wind', test: DriftTestKind.PSI, statistic: 0.1 },
      { modelName: 'weather', modelVersion: 1n, feature: 'wind', test: DriftTestKind.KS, statistic: 0.9 },
      { modelName: 'weather', modelVersion: 1n, feature: 'wind', test: DriftTestKind.PSI, statistic: 0.42 },
    );
    const [run] = await waitFor(() => runs().length === 1 && runs(), { what: 'pipeline.run-requested' });
    expect(run?.payload).toMatchObject({
      pipelineName: 'retrain-weather',
      pipelineRevision: 1n,
      team: 'forecast',
      parameters: {
        model_name: 'weather',
        drift_statistic: 0.42,
        reason: 'drift of wind in v1 (flywheel/monitoring)',
      },
      trigger: {
        source: RunSource.TRIGGER,
        triggerRuleName: 'retrain-on-drift',
        key: 'weather',
        event: {
          id: matchingId,
          type: 'drift.detected',
          source: 'flywheel/monitoring',
          subject: 'weather',
          time: timestampFromMs(detectedAt),
        },
      },
    });
    expect(run?.payload.spec?.steps.map((s) => s.name)).toEqual([
      'training-set',
      'train',
      'evaluate',
      'register',
      'promote',
    ]);
    expect(run?.payload.spec?.parameters.map((p) => p.name)).toContain('model_name');
    expect(suppressed()).toHaveLength(0);

    const history = await waitFor(async () => {
      const { runRequests } = await h.client.listRunRequests({ triggerRuleName: 'retrain-on-drift' });
      return runRequests.length === 1 && runRequests;
    });
    expect(history[0]).toMatchObject({ runId: run?.payload.runId, status: RunRequestStatus.REQUESTED });
  });

  it('holds the same model back for the cooldown, not other models', async () => {
    await h.publishDrift({ modelName: 'weather', test: DriftTestKind.PSI, statistic: 0.5 });
    const cooled = await waitFor(() => suppressed().length === 1 && suppressed(), { what: 'the cooldown' });
    expect(cooled[0]).toMatchObject({
      reason: SuppressionReason.COOLDOWN,
      pipelineName: 'retrain-weather',
      trigger: { triggerRuleName: 'retrain-on-drift', key: 'weather' },
    });
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'any-model',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
        cooldown: durationFromMs(hour),
        enabled: true,
      },
    });
    await h.publishDrift({ modelName: 'churn', statistic: 1 }, { modelName: 'fraud', statistic: 1 });
    const keys = await waitFor(() => {
      const fromRule = runs().filter((r) => r.payload.trigger?.triggerRuleName === 'any-model');
      return fromRule.length === 2 && fromRule.map((r) => r.payload.trigger?.key).sort();
    });
    expect(keys).toEqual(['churn', 'fraud']);
  });

  it('records the matches of a disabled rule as suppressed (PAUSED)', async () => {
    await h.client.createTriggerRule({
      triggerRule: {
        name: 'disabled',
        eventType: 'drift.detected',
        filter: { match: { model_name: 'paused-model' } },
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
      },
    });
    await h.publishDrift({ modelName: 'paused-model' });
    const paused = await waitFor(() => {
      const found = suppressed().filter((s) => s.trigger?.triggerRuleName === 'disabled');
      return found.length === 1 && found;
    });
    expect(paused[0]).toMatchObject({
      reason: SuppressionReason.PAUSED,
      detail: expect.stringContaining('disabled'),
    });
  });

  it('dead-letters a matching-type event whose payload does not decode, with the reason', async () => {
    await h.bus.publishWire('drift.detected', [
      {
        key: 'weather',
        value: new TextEncoder().encode('{"model_name": 42}'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'garbage-1',
          ce_type: 'drift.detected',
          ce_source: 'test/kcat',
          'content-type': 'application/json',
        },
      },
    ]);
    const [letter] = await waitFor(
      () => h.bus.retained('drift.detected.dlq').length === 1 && h.bus.retained('drift.detected.dlq'),
    );
    expect(letter?.headers[dlqHeaders.reason]).toContain(
      'does not decode as flywheel.events.v1.DriftDetected',
    );
  });

  it('lists rules by pipeline and event type', async () => {
    const { triggerRules } = await h.client.listTriggerRules({ eventType: 'drift.detected' });
    expect(triggerRules.map((r) => r.name)).toEqual(['any-model', 'disabled', 'retrain-on-drift']);
    const none = await h.client.listTriggerRules({ eventType: 'dataset.arrived' });
    expect(none.triggerRules).toHaveLength(0);
    await h.client.deleteTriggerRule({ triggerRuleName: 'disabled' });
    await expect(h.client.getTriggerRule({ triggerRuleName: 'disabled' })).rejects.toMatchObject({
      code: 'not_found',
      field: 'trigger_rule_name',
    });
  });
});
