import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError, type CallOptions } from '@flywheel/core';
import type { ListRunsRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { decodePageToken, encodePageToken } from '@flywheel/rpc';
import type { Doc, Scalar } from '@flywheel/store';
import { runStateName } from '../runs/run-proto.ts';
import type { RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';

/** Page size when the request sets none. */
export const defaultPageSize = 50;
/** Largest page returned. */
export const maxPageSize = 500;
/** How far paging reaches into the newest runs of one filter. */
const maxScanned = 10_000;

export interface RunPage {
  runs: Doc<RunRecord>[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/**
 * ListRuns: runs newest first, filtered by pipeline, state, team and creation time
 * `[start_time, end_time)`. Pages are `page_size` long (default 50, at most 500); `page_token`
 * is the previous page's `next_page_token`, else `invalid_argument`.
 */
export function createListRuns(deps: { runs: RunStore }) {
  return async (request: ListRunsRequest, options: CallOptions = {}): Promise<RunPage> => {
    const pageSize = Math.min(request.pageSize || defaultPageSize, maxPageSize);
    const offset = decodePageToken(request.pageToken, 'number') ?? 0;
    if (offset >= maxScanned)
      throw AppError.invalidArgument('page_token', 'is past the newest runs this list reaches');
    const filter: Record<string, Scalar> = {};
    if (request.pipelineName) filter.pipelineName = request.pipelineName;
    if (request.team) filter.team = request.team;
    const state = runStateName(request.state);
    if (state) filter.state = state;
    const from = request.startTime ? timestampMs(request.startTime) : undefined;
    const until = request.endTime ? timestampMs(request.endTime) : undefined;
    if (from !== undefined && until !== undefined && until <= from) {
      throw AppError.invalidArgument('end_time', 'must be after start_time');
    }
    const timed = from !== undefined || until !== undefined;
    const found = await deps.runs.find(filter, {
      ...options,
      sortBy: 'createTime',
      descending: true,
      limit: timed ? maxScanned : Math.min(maxScanned, offset + pageSize + 1),
    });
    const matching = found.filter((doc) => {
      const created = Date.parse(doc.data.createTime);
      return (from === undefined || created >= from) && (until === undefined || created < until);
    });
    const page = matching.slice(offset, offset + pageSize);
    const more = matching.length > offset + pageSize;
    return { runs: page, nextPageToken: more ? encodePageToken(offset + pageSize) : '' };
  };
}
