import { type CallOptions, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import {
  PipelineRunFailedSchema,
  PipelineRunSucceededSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import type { Collection } from '@flywheel/store';
import type { ScheduleRecord } from './schedule-records.ts';

/** The run-end event types that free a `skip_if_running` schedule. */
export const runEndedTypes: readonly string[] = ['pipeline.run-succeeded', 'pipeline.run-failed'];

/**
 * On `pipeline.run-succeeded` / `pipeline.run-failed` (failed, timed out or cancelled): a
 * `skip_if_running` schedule whose run this was may request runs again. Compare-and-set, so it
 * never clears a newer run's claim. Safe to run twice.
 */
export function releaseScheduleRunUseCase(deps: { schedules: Collection<ScheduleRecord> }) {
  return async (event: CloudEvent, options: CallOptions = {}): Promise<void> => {
    const { runId } =
      event.type === 'pipeline.run-succeeded'
        ? decodeEvent(PipelineRunSucceededSchema, event)
        : decodeEvent(PipelineRunFailedSchema, event);
    if (!runId) return;
    for (const doc of await deps.schedules.find({ activeRunId: runId }, { ...options, limit: 100 })) {
      try {
        await deps.schedules.put(
          doc.id,
          { ...doc.data, activeRunId: '' },
          { ...options, expectedVersion: doc.version },
        );
      } catch (error) {
        // A tick or a command wrote meanwhile: look once more; a second conflict throws `aborted`,
        // which is retriable, so the event comes again.
        if (!isAppError(error, 'aborted') && !isAppError(error, 'not_found')) throw error;
        const again = await deps.schedules.get(doc.id, options);
        if (again?.data.activeRunId === runId) {
          await deps.schedules.put(
            doc.id,
            { ...again.data, activeRunId: '' },
            { ...options, expectedVersion: again.version },
          );
        }
      }
    }
  };
}
