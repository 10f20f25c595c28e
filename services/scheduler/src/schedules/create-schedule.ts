import type { JsonObject } from '@bufbuild/protobuf';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { checkParameterNames, checkReferences } from '@flywheel/pipelines';
import type { Schedule } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection } from '@flywheel/store';
import { loadPipeline } from '../pipelines/load-pipeline.ts';
import { type PipelineCollections, specOf } from '../pipelines/pipeline-records.ts';
import type { PrincipalRecord } from '../records/principals.ts';
import { parseCron } from './cron-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

export interface CreateScheduleDeps {
  pipelines: PipelineCollections;
  schedules: Collection<ScheduleRecord>;
  now: () => number;
}

/** References a schedule's parameters may use. */
export const scheduleTemplateRoots = ['schedule', 'run'] as const;

/**
 * Creates a cron schedule; an empty team means the pipeline's. Its first tick is the first one
 * after now. Throws `invalid_argument` naming `schedule.cron`, `schedule.timezone` or
 * `schedule.parameters.<name>` (undeclared parameter, unknown template), `not_found` naming
 * `schedule.pipeline_name`, `already_exists` when the name is taken.
 */
export function createScheduleUseCase(deps: CreateScheduleDeps) {
  return async (
    schedule: Schedule,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<ScheduleRecord> => {
    const cron = parseCron(schedule.cron, schedule.timezone, {
      cron: 'schedule.cron',
      timezone: 'schedule.timezone',
    });
    const parameters: JsonObject = schedule.parameters ?? {};
    checkReferences(parameters, 'schedule.parameters', scheduleTemplateRoots, checkScheduleReference);
    const pipeline = await loadPipeline(deps.pipelines, schedule.pipelineName, 0, {
      ...options,
      field: 'schedule.pipeline_name',
    });
    checkParameterNames(specOf(pipeline), parameters, 'schedule.parameters');
    const now = deps.now();
    const record: ScheduleRecord = {
      name: schedule.name,
      uid: crypto.randomUUID(),
      team: schedule.team || pipeline.team,
      pipelineName: pipeline.name,
      cron: cron.expression,
      timezone: schedule.timezone,
      parameters,
      skipIfRunning: schedule.skipIfRunning,
      paused: false,
      pauseReason: '',
      active: true,
      nextRunAt: cron.next(now),
      lastRunAt: 0,
      activeRunId: '',
      createTime: now,
      updateTime: now,
      createdBy: caller,
      updatedBy: caller,
    };
    try {
      await deps.schedules.put(record.name, record, { ...options, expectedVersion: 0 });
    } catch (error) {
      if (isAppError(error, 'already_exists')) {
        throw new AppError('already_exists', `schedule.name: schedule "${record.name}" already exists`, {
          field: 'schedule.name',
        });
      }
      throw error;
    }
    return record;
  };
}

function checkScheduleReference(reference: string, field: string, shifted: boolean): void {
  if (shifted && reference !== 'schedule.tick_time') {
    throw AppError.invalidArgument(
      field,
      `\${${reference}} is not a time: only \${schedule.tick_time} can be shifted by a duration`,
    );
  }
  if (['schedule.tick_time', 'run.id', 'run.pipeline_name'].includes(reference)) return;
  throw AppError.invalidArgument(
    field,
    `\${${reference}} is not known (\${schedule.tick_time}, \${run.id}, \${run.pipeline_name})`,
  );
}
