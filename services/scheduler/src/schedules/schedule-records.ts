import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AuditSchema } from '@flywheel/proto/flywheel/common/v1/resource_pb.js';
import { type Schedule, ScheduleSchema } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection, DocumentStore } from '@flywheel/store';
import { type PrincipalRecord, toPrincipalMessage } from '../records/principals.ts';

/** A cron schedule, as stored (id = name). Times are epoch ms. */
export interface ScheduleRecord {
  name: string;
  /** Distinguishes this schedule from an earlier one of the same name (run request ids derive from it). */
  uid: string;
  team: string;
  pipelineName: string;
  cron: string;
  timezone: string;
  parameters: JsonObject;
  skipIfRunning: boolean;
  paused: boolean;
  pauseReason: string;
  /** `!paused`, indexed: the ticker looks for active schedules by `nextRunAt`. */
  active: boolean;
  /** The next tick to fire. A tick is fired by the write that moves this forward. */
  nextRunAt: number;
  /** When the last tick was fired (requested or suppressed); 0 before the first. */
  lastRunAt: number;
  /** With `skipIfRunning`: the run this schedule requested that has not ended yet; '' when none. */
  activeRunId: string;
  createTime: number;
  updateTime: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}

export function openSchedules(store: DocumentStore): Collection<ScheduleRecord> {
  return store.collection<ScheduleRecord>('schedules', {
    indexes: ['pipelineName', 'active', 'nextRunAt', 'activeRunId', 'team'],
  });
}

export function toScheduleMessage(record: ScheduleRecord): Schedule {
  return create(ScheduleSchema, {
    name: record.name,
    team: record.team,
    pipelineName: record.pipelineName,
    cron: record.cron,
    timezone: record.timezone,
    parameters: record.parameters,
    skipIfRunning: record.skipIfRunning,
    paused: record.paused,
    pauseReason: record.pauseReason,
    ...(record.paused ? {} : { nextRunTime: timestampFromMs(record.nextRunAt) }),
    ...(record.lastRunAt > 0 ? { lastRunTime: timestampFromMs(record.lastRunAt) } : {}),
    audit: create(AuditSchema, {
      createTime: timestampFromMs(record.createTime),
      updateTime: timestampFromMs(record.updateTime),
      createdBy: toPrincipalMessage(record.createdBy),
      updatedBy: toPrincipalMessage(record.updatedBy),
    }),
  });
}
