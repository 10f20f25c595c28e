import { pageOf, type TeamCondition } from '@flywheel/rpc';
import type { FieldCondition } from '@flywheel/store';
import {
  type AlertRecord,
  type AlertSeverityName,
  type AlertStateName,
  severityRank,
} from '../records/alert-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';

export interface ListAlertsQuery {
  modelName: string;
  team: TeamCondition;
  state: AlertStateName | undefined;
  minSeverity: AlertSeverityName | undefined;
  pageSize: number;
  pageToken: string;
}

/** Alerts, newest first, filtered, a page at a time. Throws `invalid_argument` for a foreign page token. */
export function createListAlerts(deps: { collections: MonitoringCollections }) {
  return async function listAlerts(
    query: ListAlertsQuery,
    signal: AbortSignal,
  ): Promise<{ alerts: AlertRecord[]; nextPageToken: string }> {
    const filter: Record<string, FieldCondition> = {};
    if (query.modelName) filter.modelName = query.modelName;
    if (query.team !== '') filter.team = query.team;
    if (query.state) filter.state = query.state;
    const docs = await deps.collections.alerts.find(filter, {
      sortBy: 'raiseTime',
      descending: true,
      limit: maxFind,
      signal,
    });
    const min = query.minSeverity ? severityRank[query.minSeverity] : 0;
    const alerts = docs.map((d) => d.data).filter((a) => severityRank[a.severity] >= min);
    const { page, nextPageToken: next } = pageOf(alerts, query, { maxPageSize: 500 });
    return { alerts: page, nextPageToken: next };
  };
}
