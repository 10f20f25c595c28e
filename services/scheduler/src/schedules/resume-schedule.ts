import type { CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { PrincipalRecord } from '../records/principals.ts';
import { changeSchedule } from './change-schedule.ts';
import { parseCron } from './cron-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

/**
 * Resumes a paused schedule from its first tick after now: ticks missed while paused are not run.
 * Resuming an active schedule changes nothing. Throws `not_found` naming `schedule_name`.
 */
export function resumeScheduleUseCase(deps: { schedules: Collection<ScheduleRecord>; now: () => number }) {
  return (name: string, caller: PrincipalRecord, options: CallOptions = {}): Promise<ScheduleRecord> =>
    changeSchedule(
      deps.schedules,
      name,
      (current) => {
        if (!current.paused) return current;
        const now = deps.now();
        const cron = parseCron(current.cron, current.timezone, { cron: 'cron', timezone: 'timezone' });
        return {
          ...current,
          paused: false,
          active: true,
          pauseReason: '',
          nextRunAt: cron.next(now),
          updateTime: now,
          updatedBy: caller,
        };
      },
      options,
    );
}
