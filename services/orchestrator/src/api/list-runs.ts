import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError, type CallOptions } from '@flywheel/core';
import type { ListRunsRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { decodePageToken, encodePageToken, type TeamCondition } from '@flywheel/rpc';
import type { Doc, FieldCondition } from '@flywheel/store';
import { runStateName } from '../runs/run-proto.ts';
import type { RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import { pageByMetric } from './list-runs-by-metric.ts';
import { parseRunOrder } from './run-order.ts';

/** Page size when the request sets none. */
export const defaultPageSize = 50;
/** Largest page returned. */
export const maxPageSize = 500;
export interface RunPage {
  runs: Doc<RunRecord>[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The token of the page after `last`: its sort position (createTime, id). */
function tokenAfter(last: Doc<RunRecord>, query: string): string {
  return encodePageToken(JSON.stringify([last.data.createTime, last.id]), query);
}

function cursorOf(token: string, query: string): { value: string; id: string } | undefined {
  const text = decodePageToken(token, 'string', query);
  if (text === undefined) return undefined;
  let position: unknown;
  try {
    position = JSON.parse(text);
  } catch {
    position = undefined;
  }
  if (
    !Array.isArray(position) ||
    position.length !== 2 ||
    typeof position[0] !== 'string' ||
    typeof position[1] !== 'string'
  ) {
    throw AppError.invalidArgument(
      'page_token',
      'is not a token returned by this query; start again without it',
    );
  }
  return { value: position[0], id: position[1] };
}

/**
 * ListRuns: runs newest first (or by a metric: see list-runs-by-metric.ts), filtered by pipeline,
 * state, team, experiment, tag and creation time `[start_time, end_time)`. Pages are `page_size` long (default 50, at most 500); `page_token`
 * is the previous page's `next_page_token` (the last run's createTime and id), else
 * `invalid_argument`. A page is one keyset query of `page_size + 1` runs from the store, however
 * many runs there are: `end_time` starts the cursor, `start_time` ends the page early.
 */
export function createListRuns(deps: { runs: RunStore }) {
  /** `team`: the request's, or the teams the caller may view (see listedTeams). */
  return async (
    request: ListRunsRequest,
    options: CallOptions = {},
    team: TeamCondition = request.team,
  ): Promise<RunPage> => {
    const pageSize = Math.min(request.pageSize || defaultPageSize, maxPageSize);
    const filter: Record<string, FieldCondition> = {};
    if (request.pipelineName) filter.pipelineName = request.pipelineName;
    if (team !== '') filter.team = team;
    const state = runStateName(request.state);
    if (state) filter.state = state;
    if (request.experiment) filter.experiment = request.experiment;
    if (request.tag) filter.tags = request.tag;
    const from = request.startTime ? timestampMs(request.startTime) : undefined;
    const until = request.endTime ? timestampMs(request.endTime) : undefined;
    if (from !== undefined && until !== undefined && until <= from) {
      throw AppError.invalidArgument('end_time', 'must be after start_time');
    }
    const order = parseRunOrder(request.orderBy);
    if (order.kind === 'metric') {
      return pageByMetric(
        deps.runs,
        { filter, from, until, order, pageSize, pageToken: request.pageToken },
        options,
      );
    }
    // A token belongs to its filter: elsewhere its position would mean nothing.
    const query = JSON.stringify([
      'runs',
      filter.pipelineName,
      filter.team,
      filter.state,
      from,
      until,
      // Appended only when set, so tokens issued before these filters existed stay valid.
      ...(filter.experiment !== undefined || filter.tags !== undefined
        ? [filter.experiment, filter.tags]
        : []),
    ]);
    const cursor = cursorOf(request.pageToken, query);
    // createTime is an ISO 8601 UTC string, so its order is time order; ('' sorts before any id).
    const after =
      cursor ?? (until === undefined ? undefined : { value: new Date(until).toISOString(), id: '' });
    const found = await deps.runs.find(filter, {
      ...options,
      sortBy: 'createTime',
      descending: true,
      limit: pageSize + 1,
      ...(after ? { after } : {}),
    });
    const inWindow = (doc: Doc<RunRecord>): boolean => {
      const created = Date.parse(doc.data.createTime);
      return (from === undefined || created >= from) && (until === undefined || created < until);
    };
    // Newest first: the first run older than start_time ends the list.
    const outside = found.findIndex((doc) => !inWindow(doc));
    const matching = outside < 0 ? found : found.slice(0, outside);
    const page = matching.slice(0, pageSize);
    const more = matching.length > pageSize;
    return { runs: page, nextPageToken: more ? tokenAfter(page.at(-1)!, query) : '' };
  };
}
