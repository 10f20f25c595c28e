import type { Logger } from '@flywheel/core';
import { AppError } from '@flywheel/core';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';

/**
 * Deletes a monitor and its open windows; its drift results and alerts stay as history.
 * `not_found` when there is no such monitor.
 */
export function createDeleteMonitor(deps: { collections: MonitoringCollections; log: Logger }) {
  const { collections } = deps;
  return async function deleteMonitor(name: string, signal: AbortSignal): Promise<void> {
    const deleted = await collections.monitors.delete(name, { signal });
    if (!deleted)
      throw new AppError('not_found', `monitor "${name}" does not exist`, { field: 'monitor_name' });
    const windows = await collections.windows.find({ monitorName: name }, { limit: maxFind, signal });
    for (const window of windows) await collections.windows.delete(window.id, { signal });
    deps.log.info('monitor deleted', { monitor: name, windows: windows.length });
  };
}
