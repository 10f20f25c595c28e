import { AppError, isAppError } from '@flywheel/core';
import type { Monitor } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { currentAuditPrincipal } from '@flywheel/rpc';
import type { MonitorRecord } from '../records/monitor-records.ts';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';
import { checkMonitorColumns, type ModelColumnsLookup } from './model-columns.ts';
import { monitorFromMessage } from './monitor-messages.ts';

export interface CreateMonitorDeps {
  collections: MonitoringCollections;
  maxWindowSamples: number;
  defaultTeam: string;
  /** The model's registered input/output names; absent: the names are checked when the reference is set. */
  modelColumns?: ModelColumnsLookup;
  now?: () => Date;
}

/**
 * Creates a monitor under its unique name. Throws `invalid_argument` naming the field for a
 * monitor that cannot work (see monitorFromMessage) or that names a column no registered version
 * of its model has (see checkMonitorColumns), `already_exists` when the name is taken.
 */
export function createCreateMonitor(deps: CreateMonitorDeps) {
  const now = deps.now ?? (() => new Date());
  return async function createMonitor(message: Monitor, signal: AbortSignal): Promise<MonitorRecord> {
    const by = currentAuditPrincipal();
    const record: MonitorRecord = {
      ...monitorFromMessage(message, {
        maxWindowSamples: deps.maxWindowSamples,
        defaultTeam: deps.defaultTeam,
        now: now(),
      }),
      createdBy: by,
      updatedBy: by,
    };
    const columns = await deps.modelColumns?.(record.modelName, signal);
    if (columns) checkMonitorColumns(record, columns);
    try {
      await deps.collections.monitors.put(record.name, record, { expectedVersion: 0, signal });
    } catch (error) {
      if (isAppError(error, 'already_exists')) {
        throw new AppError('already_exists', `monitor "${record.name}" already exists`, {
          field: 'monitor.name',
        });
      }
      throw error;
    }
    return record;
  };
}
