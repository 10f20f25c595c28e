import type { CallOptions } from '@flywheel/core';
import type { TeamCondition } from '@flywheel/rpc';
import type { Collection, FieldCondition } from '@flywheel/store';
import { keysetPage } from '../records/paging.ts';
import { loadSchedule } from './change-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

/** Reads schedules: one by name (`not_found` naming `schedule_name`), or a page by name, optionally of one pipeline. */
export function scheduleQueries(deps: { schedules: Collection<ScheduleRecord> }) {
  return {
    get: async (name: string, options: CallOptions = {}): Promise<ScheduleRecord> => {
      return (await loadSchedule(deps.schedules, name, options)).data;
    },

    list: async (
      /** `team`: the teams the caller may view (see listedTeams). */
      query: { pipelineName: string; team?: TeamCondition; pageSize: number; pageToken: string },
      options: CallOptions = {},
    ) => {
      const filter: Record<string, FieldCondition> = {};
      if (query.pipelineName) filter.pipelineName = query.pipelineName;
      if (query.team !== undefined && query.team !== '') filter.team = query.team;
      return keysetPage(deps.schedules, filter, query, {
        ...options,
        query: JSON.stringify(['schedules', query.pipelineName, query.team ?? '']),
      });
    },
  };
}
