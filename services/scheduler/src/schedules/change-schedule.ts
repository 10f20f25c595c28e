import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import type { Collection, Doc } from '@flywheel/store';
import type { ScheduleRecord } from './schedule-records.ts';

/** The schedule named `name`, or `not_found` naming `schedule_name`. */
export async function loadSchedule(
  schedules: Collection<ScheduleRecord>,
  name: string,
  options: CallOptions = {},
): Promise<Doc<ScheduleRecord>> {
  const doc = await schedules.get(name, options);
  if (!doc)
    throw new AppError('not_found', `schedule_name: schedule "${name}" does not exist`, {
      field: 'schedule_name',
    });
  return doc;
}

/**
 * Applies `update` to a schedule with compare-and-set, re-reading on a conflict, so a command never
 * races a tick: a tick fired concurrently happened before the change or not at all.
 */
export async function changeSchedule(
  schedules: Collection<ScheduleRecord>,
  name: string,
  update: (current: ScheduleRecord) => ScheduleRecord,
  options: CallOptions = {},
): Promise<ScheduleRecord> {
  for (let attempt = 1; ; attempt++) {
    const doc = await loadSchedule(schedules, name, options);
    const next = update(doc.data);
    try {
      await schedules.put(name, next, { ...options, expectedVersion: doc.version });
      return next;
    } catch (error) {
      if (!isAppError(error, 'aborted') || attempt >= 10) throw error;
    }
  }
}
