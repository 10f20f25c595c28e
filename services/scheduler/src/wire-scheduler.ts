import { delay } from '@flywheel/core';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createEventHandler, createTopicEventHandler } from './api/handle-event.ts';
import { createSchedulerApi } from './api/scheduler-api.ts';
import { schedulerPolicy } from './api/scheduler-policy.ts';
import type { SchedulerConfig } from './config.ts';
import { schedulerConsumedEvents } from './consumed-events.ts';
import { createPipelineUseCase } from './pipelines/create-pipeline.ts';
import { deletePipelineUseCase } from './pipelines/delete-pipeline.ts';
import { pipelineQueries } from './pipelines/pipeline-queries.ts';
import { openPipelineCollections } from './pipelines/pipeline-records.ts';
import { updatePipelineUseCase } from './pipelines/update-pipeline.ts';
import { verifiedCallers } from './records/principals.ts';
import { listRunRequestsUseCase } from './runs/list-run-requests.ts';
import { recordRunFailureUseCase } from './runs/record-run-failure.ts';
import { recordRunRequestUseCase } from './runs/record-run-request.ts';
import { openRunRequests } from './runs/run-request-records.ts';
import { triggerRunUseCase } from './runs/trigger-run.ts';
import { createScheduleUseCase } from './schedules/create-schedule.ts';
import { deleteScheduleUseCase } from './schedules/delete-schedule.ts';
import { fireDueSchedulesUseCase } from './schedules/fire-due-schedules.ts';
import { pauseScheduleUseCase } from './schedules/pause-schedule.ts';
import { releaseScheduleRunUseCase } from './schedules/release-schedule-run.ts';
import { resumeScheduleUseCase } from './schedules/resume-schedule.ts';
import { scheduleQueries } from './schedules/schedule-queries.ts';
import { openSchedules } from './schedules/schedule-records.ts';
import { startTicker } from './schedules/scheduler-ticker.ts';
import { createTriggerRuleUseCase } from './triggers/create-trigger-rule.ts';
import { decideTriggerMatchUseCase } from './triggers/decide-trigger-match.ts';
import { deleteTriggerRuleUseCase } from './triggers/delete-trigger-rule.ts';
import { createEventFilters } from './triggers/event-filter.ts';
import { fireDueDebouncesUseCase } from './triggers/fire-due-debounces.ts';
import { releaseTriggerCooldownUseCase } from './triggers/release-trigger-cooldown.ts';
import { createTopicConsumers } from './triggers/topic-consumers.ts';
import { openTriggerKeys } from './triggers/trigger-key-records.ts';
import { triggerRuleQueries } from './triggers/trigger-rule-queries.ts';
import { openTriggerRules } from './triggers/trigger-rule-records.ts';

/** What tests may replace. */
export interface SchedulerDeps {
  /** The clock, epoch ms: cron ticks, cooldowns, debounce windows and event times follow it. Default `Date.now`. */
  now?: () => number;
}

/**
 * The scheduler service — *when* pipelines run: pipeline definitions, cron schedules, event
 * trigger rules with debounce and per-key cooldown, manual runs and the history of run requests.
 * Consumes every triggerable event type (not `prediction.logged`) plus its own decisions and the
 * ends of runs, and the outside topics rules name (one consumer each), and runs a ticker for due
 * cron ticks and debounced matches. Emits
 * `pipeline.run-requested` and `run.suppressed` through the outbox.
 */
export async function wireScheduler(
  host: ServiceHost,
  config: SchedulerConfig,
  deps: SchedulerDeps = {},
): Promise<ServiceWiring> {
  const { store } = host.infra;
  const now = deps.now ?? Date.now;
  const log = host.log;
  const pipelines = openPipelineCollections(store);
  const schedules = openSchedules(store);
  const triggerRules = openTriggerRules(store);
  const triggerKeys = openTriggerKeys(store);
  const runRequests = openRunRequests(store);
  const filters = createEventFilters();
  const decide = decideTriggerMatchUseCase({ pipelines, triggerKeys, runRequests, now, log });
  // Outside topics rules name: one consumer each, started when a rule names a new one (at once on
  // this replica, within FLYWHEEL_SCHEDULER_TOPIC_RECONCILE on the others) and at start.
  const topicLog = log.child({ component: 'outside-topics' });
  const topicConsumers = createTopicConsumers({
    triggerRules,
    start: (group, topic, handler) =>
      host.consume(
        { group, topics: [topic], records: 'any', concurrency: config.consumerConcurrency },
        handler,
      ),
    handlerFor: (topic) => createTopicEventHandler({ triggerRules, filters, decide, log }, topic),
    log: topicLog,
  });
  const reconcileTopics = (): Promise<unknown> => topicConsumers.reconcile().catch(() => {});
  const createTriggerRule = createTriggerRuleUseCase({
    pipelines,
    triggerRules,
    filters,
    triggerTopics: config.triggerTopics,
    now,
  });
  const deleteTriggerRule = deleteTriggerRuleUseCase({ triggerRules, triggerKeys });

  host.server.add(
    SchedulerService,
    createSchedulerApi(
      {
        createPipeline: createPipelineUseCase({ pipelines, now, executors: config.executors }),
        updatePipeline: updatePipelineUseCase({ pipelines, now, executors: config.executors }),
        deletePipeline: deletePipelineUseCase({ pipelines, schedules, triggerRules, triggerKeys }),
        pipelines: pipelineQueries({ pipelines }),
        createSchedule: createScheduleUseCase({ pipelines, schedules, now }),
        pauseSchedule: pauseScheduleUseCase({ schedules, now }),
        resumeSchedule: resumeScheduleUseCase({ schedules, now }),
        deleteSchedule: deleteScheduleUseCase({ schedules }),
        schedules: scheduleQueries({ schedules }),
        createTriggerRule: async (...args: Parameters<typeof createTriggerRule>) => {
          const record = await createTriggerRule(...args);
          if (record.topic) await reconcileTopics();
          return record;
        },
        deleteTriggerRule: async (...args: Parameters<typeof deleteTriggerRule>) => {
          await deleteTriggerRule(...args);
          await reconcileTopics();
        },
        triggerRules: triggerRuleQueries({ triggerRules }),
        triggerRun: triggerRunUseCase({ pipelines, runRequests, now }),
        listRunRequests: listRunRequestsUseCase({ runRequests }),
      },
      verifiedCallers,
    ),
    schedulerPolicy({ pipelines, schedules, triggerRules }),
  );

  const handler = createEventHandler({
    triggerRules,
    filters,
    decide,
    recordRunRequest: recordRunRequestUseCase({ runRequests }),
    releaseScheduleRun: releaseScheduleRunUseCase({ schedules }),
    releaseTriggerCooldown: releaseTriggerCooldownUseCase({ triggerKeys }),
    recordRunFailure: recordRunFailureUseCase({ runRequests }),
    log,
  });
  // Own decisions are consumed to keep the history. The group starts at the earliest event (the
  // host's only start): starting at the latest lost events published while it was down.
  await host.consume(
    { topics: schedulerConsumedEvents().triggers, concurrency: config.consumerConcurrency },
    handler,
  );

  await reconcileTopics();
  const stopping = new AbortController();
  const signal = AbortSignal.any([host.signal, stopping.signal]);
  const reconciling = (async () => {
    while (!signal.aborted) {
      await delay(config.topicReconcileMs, signal).catch(() => {});
      if (!signal.aborted) await reconcileTopics();
    }
  })();

  const ticker = startTicker({
    intervalMs: config.tickMs,
    signal: host.signal,
    log,
    tasks: {
      schedules: fireDueSchedulesUseCase({ pipelines, schedules, now, log }),
      debounces: fireDueDebouncesUseCase({ pipelines, triggerRules, triggerKeys, now, log }),
    },
  });
  return {
    close: async () => {
      stopping.abort();
      await ticker.close();
      await reconciling;
      await topicConsumers.close();
    },
  };
}
