// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { silentLogger } from '@flywheel/core';
import { newEvent } from '@flywheel/events';
import { DriftDetectedSchema } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import {
  PipelineSchema,
  ScheduleSchema,
  TriggerRuleSchema,
} from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createEmbeddedStore, type DocumentStore } from '@flywheel/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPipelineUseCase } from '../src/pipelines/create-pipeline.ts';
import { openPipelineCollections } from '../src/pipelines/pipeline-records.ts';
import { openRunRequests } from '../src/runs/run-request-records.ts';
import { createScheduleUseCase } from '../src/schedules/create-schedule.ts';
import { parseTriggerTopics, type TriggerTopics } from '../src/triggers/trigger-topics.ts';

const anyTopic = parseTriggerTopics('') as TriggerTopics;

import { fireDueSchedulesUseCase } from '../src/schedules/fire-due-schedules.ts';
import { openSchedules } from '../src/schedules/schedule-records.ts';
import { createTriggerRuleUseCase } from '../src/triggers/create-trigger-rule.ts';
import { decideTriggerMatchUseCase } from '../src/triggers/decide-trigger-match.ts';
import { createEventFilters } from '../src/triggers/event-filter.ts';
import { viewOf } from '../src/triggers/event-view.ts';
import { openTriggerKeys } from '../src/triggers/trigger-key-records.ts';
import { openTriggerRules } from '../src/triggers/trigger-rule-records.ts';
import { hour, minute, retrainSpec } from './scheduler-harness.ts';

// Straight on the document store, without the bus: the bus delivers one model's alerts one at a
// time, so here the decisions race for real — as on two scheduler replicas sharing a database.

const caller = { subject: 'local', team: 'default' };

describe('decisions made at the same time agree through compare-and-set', () => {
  let store: DocumentStore;
  let now = Date.parse('2024-05-20T10:00:00Z');
  const clock = () => now;

  beforeEach(async () => {
    store = await createEmbeddedStore({ dir: mkdtempSync(join(tmpdir(), 'scheduler-cas-')), fsync: false });
    await createPipelineUseCase({ pipelines: openPipelineCollections(store), now: clock })(
      create(PipelineSchema, { name: 'retrain-weather', spec: retrainSpec() }),
      caller,
    );
  });
  afterEach(async () => {
    await store.close();
  });

  const topicsInOutbox = async () => (await store.pendingOutbox({ limit: 1000 })).map((p) => p.entry.topic);
  const decider = () =>
    decideTriggerMatchUseCase({
      pipelines: openPipelineCollections(store),
      triggerKeys: openTriggerKeys(store),
      runRequests: openRunRequests(store),
      now: clock,
      log: silentLogger,
    });
  const rule = (cooldownMs: number) =>
    createTriggerRuleUseCase({
      pipelines: openPipelineCollections(store),
      triggerRules: openTriggerRules(store),
      filters: createEventFilters(),
      triggerTopics: anyTopic,
      now: clock,
    })(
      create(TriggerRuleSchema, {
        name: 'retrain-on-drift',
        eventType: 'drift.detected',
        pipelineName: 'retrain-weather',
        parameters: { model_name: '${event.model_name}' },
        ...(cooldownMs > 0 ? { cooldown: durationFromMs(cooldownMs) } : {}),
        enabled: true,
      }),
      caller,
    );
  const drift = () =>
    viewOf(newEvent(DriftDetectedSchema, { modelName: 'weather', statistic: 0.5 }, { source: 'test' }));

  it('100 alerts decided concurrently start exactly one run', async () => {
    const retrain = await rule(hour);
    const decisions = await Promise.all(Array.from({ length: 100 }, () => decider()(retrain, drift())));
    expect(decisions.filter((d) => d === 'requested')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'suppressed')).toHaveLength(99);
    const topics = await topicsInOutbox();
    expect(topics.filter((t) => t === 'pipeline.run-requested')).toHaveLength(1);
    expect(topics.filter((t) => t === 'run.suppressed')).toHaveLength(99);
  });

  it('an event decided before is never decided again, even without a cooldown', async () => {
    const retrain = await rule(0);
    const event = drift();
    const first = await Promise.all([decider()(retrain, event), decider()(retrain, event)]);
    expect(first.sort()).toEqual(['already-decided', 'requested']);
    expect(await decider()(retrain, event)).toBe('already-decided');
    expect(await decider()(retrain, drift())).toBe('requested');
    expect((await topicsInOutbox()).filter((t) => t === 'pipeline.run-requested')).toHaveLength(2);
  });

  it('two replicas never both fire one cron tick', async () => {
    const pipelines = openPipelineCollections(store);
    await createScheduleUseCase({ pipelines, schedules: openSchedules(store), now: clock })(
      create(ScheduleSchema, {
        name: 'hourly',
        pipelineName: 'retrain-weather',
        cron: '0 * * * *',
        parameters: { model_name: 'w' },
      }),
      caller,
    );
    now += hour + minute;
    const replica = () =>
      fireDueSchedulesUseCase({ pipelines, schedules: openSchedules(store), now: clock, log: silentLogger });
    const fired = await Promise.all([replica()(), replica()(), replica()()]);
    expect(fired.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await topicsInOutbox()).toEqual(['pipeline.run-requested']);
    expect(await replica()()).toBe(0);
  });
});
