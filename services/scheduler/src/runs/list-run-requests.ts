import type { CallOptions } from '@flywheel/core';
import { pageOf } from '@flywheel/rpc';
import type { Collection, Scalar } from '@flywheel/store';
import { maxListed } from '../records/paging.ts';
import type { RunRequestRecord } from './run-request-records.ts';

export interface RunRequestQuery {
  pipelineName: string;
  /** A RunSource; 0 = any. */
  source: number;
  /** A RunRequestStatus; 0 = any. */
  status: number;
  scheduleName: string;
  triggerRuleName: string;
  /** Epoch ms; requests made within [startTime, endTime). 0 = unbounded. */
  startTime: number;
  endTime: number;
  pageSize: number;
  pageToken: string;
}

/**
 * Run requests, granted, pending and suppressed, newest first, filtered by every criterion given.
 * Looks at the newest {@link maxListed} requests matching the equality filters. Throws
 * `invalid_argument` naming `page_token` for a token it did not issue.
 */
export function listRunRequestsUseCase(deps: { runRequests: Collection<RunRequestRecord> }) {
  return async (query: RunRequestQuery, options: CallOptions = {}) => {
    const filter: Record<string, Scalar> = {};
    if (query.pipelineName) filter.pipelineName = query.pipelineName;
    if (query.source) filter.source = query.source;
    if (query.status) filter.status = query.status;
    if (query.scheduleName) filter.scheduleName = query.scheduleName;
    if (query.triggerRuleName) filter.triggerRuleName = query.triggerRuleName;
    const docs = await deps.runRequests.find(filter, {
      ...options,
      sortBy: 'requestTime',
      descending: true,
      limit: maxListed,
    });
    const within = docs
      .map((doc) => doc.data)
      .filter(
        (record) =>
          (query.startTime === 0 || record.requestTime >= query.startTime) &&
          (query.endTime === 0 || record.requestTime < query.endTime),
      );
    return pageOf(within, query);
  };
}
