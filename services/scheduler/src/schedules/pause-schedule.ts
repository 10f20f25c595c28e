import type { CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { PrincipalRecord } from '../records/principals.ts';
import { changeSchedule } from './change-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

/**
 * Stops a schedule requesting runs until resumed; pausing a paused schedule only updates the
 * reason. Throws `not_found` naming `schedule_name`.
 */
export function pauseScheduleUseCase(deps: { schedules: Collection<ScheduleRecord>; now: () => number }) {
  return (
    name: string,
    reason: string,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<ScheduleRecord> =>
    changeSchedule(
      deps.schedules,
      name,
      (current) => ({
        ...current,
        paused: true,
        active: false,
        pauseReason: reason,
        updateTime: deps.now(),
        updatedBy: caller,
      }),
      options,
    );
}
