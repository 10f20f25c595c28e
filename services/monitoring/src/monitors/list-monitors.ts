import { pageOf, type TeamCondition } from '@flywheel/rpc';
import type { FieldCondition } from '@flywheel/store';
import type { MonitorRecord } from '../records/monitor-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';

export interface ListMonitorsQuery {
  modelName: string;
  team: TeamCondition;
  pageSize: number;
  pageToken: string;
}

/** Monitors by name, optionally of one model and/or team, a page at a time. Throws `invalid_argument` for a foreign page token. */
export function createListMonitors(deps: { collections: MonitoringCollections }) {
  return async function listMonitors(
    query: ListMonitorsQuery,
    signal: AbortSignal,
  ): Promise<{ monitors: MonitorRecord[]; nextPageToken: string }> {
    const filter: Record<string, FieldCondition> = {};
    if (query.modelName) filter.modelName = query.modelName;
    if (query.team !== '') filter.team = query.team;
    const docs = await deps.collections.monitors.find(filter, { limit: maxFind, signal });
    const { page, nextPageToken: next } = pageOf(
      docs.map((d) => d.data),
      query,
      { maxPageSize: 500 },
    );
    return { monitors: page, nextPageToken: next };
  };
}
