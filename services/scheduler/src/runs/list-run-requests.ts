import type { CallOptions } from '@flywheel/core';
import type { TeamCondition } from '@flywheel/rpc';
import type { Collection, FieldCondition } from '@flywheel/store';
import { keysetPage } from '../records/paging.ts';
import type { RunRequestRecord } from './run-request-records.ts';

export interface RunRequestQuery {
  pipelineName: string;
  /** A RunSource; 0 = any. */
  source: number;
  /** A RunRequestStatus; 0 = any. */
  status: number;
  scheduleName: string;
  triggerRuleName: string;
  /** The teams the caller may view (see listedTeams). */
  team?: TeamCondition;
  /** Epoch ms; requests made within [startTime, endTime). 0 = unbounded. */
  startTime: number;
  endTime: number;
  pageSize: number;
  pageToken: string;
}

/**
 * Run requests, granted, pending and suppressed, newest first, filtered by every criterion given.
 * A page is one keyset query of `page_size + 1` requests (by request time, then id): `end_time`
 * starts the cursor, `start_time` ends the page early. Throws `invalid_argument` naming
 * `page_token` for a token it did not issue (or issued for another filter).
 */
export function listRunRequestsUseCase(deps: { runRequests: Collection<RunRequestRecord> }) {
  return async (query: RunRequestQuery, options: CallOptions = {}) => {
    const filter: Record<string, FieldCondition> = {};
    if (query.team !== undefined && query.team !== '') filter.team = query.team;
    if (query.pipelineName) filter.pipelineName = query.pipelineName;
    if (query.source) filter.source = query.source;
    if (query.status) filter.status = query.status;
    if (query.scheduleName) filter.scheduleName = query.scheduleName;
    if (query.triggerRuleName) filter.triggerRuleName = query.triggerRuleName;
    const tag = JSON.stringify(['run-requests', filter, query.startTime, query.endTime]);
    return keysetPage(deps.runRequests, filter, query, {
      ...options,
      query: tag,
      sortBy: 'requestTime',
      descending: true,
      // Newest first: strictly before the end time ('' sorts before every id), down to the start.
      ...(query.endTime === 0 ? {} : { start: { value: query.endTime, id: '' } }),
      ...(query.startTime === 0 ? {} : { beyond: (record) => record.requestTime < query.startTime }),
    });
  };
}
