import { AppError } from '@flywheel/core';
import type { MonitorRecord } from '../records/monitor-records.ts';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';

/** The monitor named `name`; `not_found` when there is none. */
export function createGetMonitor(deps: { collections: MonitoringCollections }) {
  return async function getMonitor(name: string, signal: AbortSignal): Promise<MonitorRecord> {
    const doc = await deps.collections.monitors.get(name, { signal });
    if (!doc) throw new AppError('not_found', `monitor "${name}" does not exist`, { field: 'monitor_name' });
    return doc.data;
  };
}
