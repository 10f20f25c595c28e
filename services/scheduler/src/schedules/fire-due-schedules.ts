import { create, type JsonValue } from '@bufbuild/protobuf';
import { AppError, type CallOptions, isAppError, type Logger } from '@flywheel/core';
import { renderObject, resolveRunParameters } from '@flywheel/pipelines';
import {
  RunSource,
  RunTriggerSchema,
  SuppressionReason,
} from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';
import { type PipelineCollections, specOf } from '../pipelines/pipeline-records.ts';
import { schedulerPrincipal } from '../records/principals.ts';
import { runRequestedEntry, runSuppressedEntry } from '../runs/run-request-events.ts';
import { newRunId, runRequestIdFor } from '../runs/run-request-records.ts';
import { parseCron } from './cron-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

export interface FireDueSchedulesDeps {
  pipelines: PipelineCollections;
  schedules: Collection<ScheduleRecord>;
  now: () => number;
  log: Logger;
}

/** Due schedules looked at per pass; the rest wait for the next pass. */
const batchSize = 100;

/**
 * Fires every active schedule whose next tick has come. Firing a tick is one compare-and-set
 * write of the schedule that moves `nextRunAt` past now and carries the tick's event
 * (`pipeline.run-requested`, or `run.suppressed` when the previous run is still going under
 * `skip_if_running`, or the pipeline or its parameters are unusable) — so of two replicas, or a
 * tick and a pause, exactly one wins and a tick never fires twice.
 *
 * Catch-up: after downtime, however many ticks were missed, a schedule fires once, for the
 * latest missed tick (`${schedule.tick_time}`), then goes on from the first tick after now.
 * Resolves with the number of ticks fired; errors of one schedule are logged, not thrown.
 */
export function fireDueSchedulesUseCase(deps: FireDueSchedulesDeps) {
  const fire = async (doc: Doc<ScheduleRecord>, now: number, options: CallOptions): Promise<boolean> => {
    const schedule = doc.data;
    const cron = parseCron(schedule.cron, schedule.timezone, { cron: 'cron', timezone: 'timezone' });
    const tickTime = Math.max(schedule.nextRunAt, cron.latestAtOrBefore(now));
    const runRequestId = runRequestIdFor('schedule', schedule.uid, String(tickTime));
    const trigger = create(RunTriggerSchema, { source: RunSource.SCHEDULE, scheduleName: schedule.name });
    const principal = schedulerPrincipal(schedule.team);
    const next: ScheduleRecord = { ...schedule, nextRunAt: cron.next(now), lastRunAt: now };
    const suppressed = (reason: SuppressionReason, detail: string): OutboxEntry =>
      runSuppressedEntry({
        runRequestId,
        pipelineName: schedule.pipelineName,
        team: schedule.team,
        trigger,
        reason,
        detail,
        suppressedUntil: 0,
        principal,
        requestTime: now,
      });

    let entry: OutboxEntry;
    if (schedule.skipIfRunning && schedule.activeRunId) {
      // No reason says "still running"; COOLDOWN is the nearest: not ready to run again yet.
      entry = suppressed(
        SuppressionReason.COOLDOWN,
        `run ${schedule.activeRunId} of this schedule is still in progress (skip_if_running)`,
      );
    } else {
      const runId = newRunId();
      try {
        const head = await deps.pipelines.heads.get(schedule.pipelineName, options);
        if (!head)
          throw new AppError('failed_precondition', `pipeline "${schedule.pipelineName}" does not exist`);
        const resolve = (reference: string): JsonValue | undefined => {
          if (reference === 'schedule.tick_time') return new Date(tickTime).toISOString();
          if (reference === 'run.id') return runId;
          if (reference === 'run.pipeline_name') return schedule.pipelineName;
          return undefined;
        };
        const parameters = resolveRunParameters(
          specOf(head.data),
          renderObject(schedule.parameters, resolve, 'parameters'),
          'parameters',
        );
        entry = runRequestedEntry({
          runRequestId,
          runId,
          pipeline: head.data,
          parameters,
          team: schedule.team,
          trigger,
          principal,
          requestTime: now,
        });
        if (schedule.skipIfRunning) next.activeRunId = runId;
      } catch (error) {
        if (!isAppError(error, 'invalid_argument') && !isAppError(error, 'failed_precondition')) throw error;
        entry = suppressed(SuppressionReason.INVALID, error.message);
      }
    }
    try {
      await deps.schedules.put(schedule.name, next, {
        ...options,
        expectedVersion: doc.version,
        outbox: [entry],
      });
      return true;
    } catch (error) {
      if (isAppError(error, 'aborted') || isAppError(error, 'not_found')) return false; // another replica fired it, or it was paused/deleted
      throw error;
    }
  };

  return async (options: CallOptions = {}): Promise<number> => {
    const now = deps.now();
    const candidates = await deps.schedules.find(
      { active: true },
      { ...options, sortBy: 'nextRunAt', limit: batchSize },
    );
    let fired = 0;
    for (const doc of candidates) {
      if (doc.data.nextRunAt > now) break;
      try {
        if (await fire(doc, now, options)) fired += 1;
      } catch (error) {
        deps.log.warn('could not fire a schedule tick; trying again next pass', {
          schedule: doc.id,
          error: AppError.from(error).message,
        });
      }
    }
    return fired;
  };
}
