import type { CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import { loadSchedule } from './change-schedule.ts';
import type { ScheduleRecord } from './schedule-records.ts';

/** Deletes a schedule; runs it already requested are not affected. Throws `not_found` naming `schedule_name`. */
export function deleteScheduleUseCase(deps: { schedules: Collection<ScheduleRecord> }) {
  return async (name: string, options: CallOptions = {}): Promise<void> => {
    await loadSchedule(deps.schedules, name, options);
    await deps.schedules.delete(name, options);
  };
}
