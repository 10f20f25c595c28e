import type { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { type OwnedBy, ownedBy, resourceNotFound, type ServicePolicy } from '@flywheel/rpc';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';

/** Most monitors of one model whose teams a model-keyed call checks. */
const maxMonitorsPerModel = 100;

/**
 * Who may call each MonitoringService method when auth is on. A monitor (and its alerts) belongs
 * to its stored team. The monitoring service does not hold models: a model's reference profiles,
 * drift results and performance metrics belong to the teams of the model's monitors (one indexed
 * query), and a call needs the role on every one of them; before its first monitor, a model's
 * data is for platform admins only. Reads need viewer; creating a monitor and setting a profile
 * editor; deleting a monitor admin.
 */
export function monitoringPolicy(
  collections: MonitoringCollections,
): ServicePolicy<typeof MonitoringService.method> {
  const monitor = async (name: string, signal: AbortSignal): Promise<OwnedBy> => {
    const resource = `monitor "${name}"`;
    const found = await collections.monitors.get(name, { signal });
    if (!found) throw resourceNotFound(resource);
    return ownedBy(resource, found.data.team);
  };
  const model = async (req: { modelName: string }, signal: AbortSignal): Promise<OwnedBy[]> => {
    const resource = `monitored model "${req.modelName}"`;
    const monitors = await collections.monitors.find(
      { modelName: req.modelName },
      { limit: maxMonitorsPerModel, signal },
    );
    if (monitors.length === 0) throw resourceNotFound(resource);
    return [...new Set(monitors.map((m) => m.data.team))].map((team) => ownedBy(resource, team));
  };
  return {
    createMonitor: { action: 'edit', team: (req) => req.monitor?.team ?? '' },
    getMonitor: { action: 'view', team: (req, signal) => monitor(req.monitorName, signal) },
    listMonitors: {
      action: 'view',
      list: true,
      team: async (req, signal) => [
        ...(req.modelName ? await model(req, signal) : []),
        ...(req.team ? [req.team] : []),
      ],
    },
    // Deletes its windows and results with it.
    deleteMonitor: { action: 'admin', team: (req, signal) => monitor(req.monitorName, signal) },
    setReferenceProfile: { action: 'edit', team: model },
    getReferenceProfile: { action: 'view', team: model },
    getDriftReport: {
      action: 'view',
      team: async (req, signal) => [
        ...(await model(req, signal)),
        ...(req.monitorName ? [await monitor(req.monitorName, signal)] : []),
      ],
    },
    listDriftResults: { action: 'view', list: true, team: model },
    getPerformanceMetrics: { action: 'view', team: model },
    listAlerts: {
      action: 'view',
      list: true,
      team: async (req, signal) => [
        ...(req.modelName ? await model(req, signal) : []),
        ...(req.team ? [req.team] : []),
      ],
    },
  };
}
