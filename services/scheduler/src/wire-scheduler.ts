import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { SchedulerConfig } from './config.ts';
import { createPipelineUseCase } from './create-pipeline.ts';
import { createScheduleUseCase } from './create-schedule.ts';
import { createTriggerRuleUseCase } from './create-trigger-rule.ts';
import { decideTriggerMatchUseCase } from './decide-trigger-match.ts';
import { deletePipelineUseCase } from './delete-pipeline.ts';
import { deleteScheduleUseCase } from './delete-schedule.ts';
import { deleteTriggerRuleUseCase } from './delete-trigger-rule.ts';
import { createEventFilters } from './event-filter.ts';
import { fireDueDebouncesUseCase } from './fire-due-debounces.ts';
import { fireDueSchedulesUseCase } from './fire-due-schedules.ts';
import { createEventHandler } from './handle-event.ts';
import { listRunRequestsUseCase } from './list-run-requests.ts';
import { pauseScheduleUseCase } from './pause-schedule.ts';
import { pipelineQueries } from './pipeline-queries.ts';
import { openPipelineCollections } from './pipeline-records.ts';
import { localCallers } from './principals.ts';
import { recordRunRequestUseCase } from './record-run-request.ts';
import { releaseScheduleRunUseCase, runEndedTypes } from './release-schedule-run.ts';
import { resumeScheduleUseCase } from './resume-schedule.ts';
import { openRunRequests } from './run-request-records.ts';
import { scheduleQueries } from './schedule-queries.ts';
import { openSchedules } from './schedule-records.ts';
import { createSchedulerApi } from './scheduler-api.ts';
import { startTicker } from './scheduler-ticker.ts';
import { openTriggerKeys } from './trigger-key-records.ts';
import { triggerRuleQueries } from './trigger-rule-queries.ts';
import { openTriggerRules } from './trigger-rule-records.ts';
import { triggerRunUseCase } from './trigger-run.ts';
import { triggerableEventTypes } from './triggerable-event-types.ts';
import { updatePipelineUseCase } from './update-pipeline.ts';

/** What tests may replace. */
export interface SchedulerDeps {
  /** The clock, epoch ms: cron ticks, cooldowns, debounce windows and event times follow it. Default `Date.now`. */
  now?: () => number;
}

/**
 * The scheduler service — *when* pipelines run: pipeline definitions, cron schedules, event
 * trigger rules with debounce and per-key cooldown, manual runs and the history of run requests.
 * Consumes every triggerable event type (not `prediction.logged`) plus its own decisions and the
 * ends of runs, and runs a ticker for due cron ticks and debounced matches. Emits
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

  host.server.add(
    SchedulerService,
    createSchedulerApi(
      {
        createPipeline: createPipelineUseCase({ pipelines, now }),
        updatePipeline: updatePipelineUseCase({ pipelines, now }),
        deletePipeline: deletePipelineUseCase({ pipelines, schedules, triggerRules, triggerKeys }),
        pipelines: pipelineQueries({ pipelines }),
        createSchedule: createScheduleUseCase({ pipelines, schedules, now }),
        pauseSchedule: pauseScheduleUseCase({ schedules, now }),
        resumeSchedule: resumeScheduleUseCase({ schedules, now }),
        deleteSchedule: deleteScheduleUseCase({ schedules }),
        schedules: scheduleQueries({ schedules }),
        createTriggerRule: createTriggerRuleUseCase({ pipelines, triggerRules, filters, now }),
        deleteTriggerRule: deleteTriggerRuleUseCase({ triggerRules, triggerKeys }),
        triggerRules: triggerRuleQueries({ triggerRules }),
        triggerRun: triggerRunUseCase({ pipelines, runRequests, now }),
        listRunRequests: listRunRequestsUseCase({ runRequests }),
      },
      localCallers(config.host.localTeam),
    ),
  );

  const handler = createEventHandler({
    triggerRules,
    filters,
    decide: decideTriggerMatchUseCase({ pipelines, triggerKeys, runRequests, now, log }),
    recordRunRequest: recordRunRequestUseCase({ runRequests }),
    releaseScheduleRun: releaseScheduleRunUseCase({ schedules }),
    log,
  });
  // Own decisions are consumed to keep the history; new consumers start at the end of the log:
  // a rule reacts to what happens after it exists.
  const topics = [
    ...new Set([...triggerableEventTypes(), ...runEndedTypes, 'pipeline.run-requested', 'run.suppressed']),
  ];
  await host.consume({ topics, concurrency: config.consumerConcurrency, fromBeginning: false }, handler);

  const ticker = startTicker({
    intervalMs: config.tickMs,
    signal: host.signal,
    log,
    tasks: {
      schedules: fireDueSchedulesUseCase({ pipelines, schedules, now, log }),
      debounces: fireDueDebouncesUseCase({ pipelines, triggerRules, triggerKeys, now, log }),
    },
  });
  return { close: () => ticker.close() };
}
