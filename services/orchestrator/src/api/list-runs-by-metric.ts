import { AppError, type CallOptions } from '@flywheel/core';
import { decodePageToken, encodePageToken } from '@flywheel/rpc';
import type { Doc, FieldCondition } from '@flywheel/store';
import { loggedMetrics } from '../runs/run-experiment.ts';
import type { RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { RunOrder } from './run-order.ts';

/** Most runs of one experiment a metric sort covers. */
export const maxRunsSortedByMetric = 5_000;

export interface MetricPageQuery {
  filter: Record<string, FieldCondition>;
  from: number | undefined;
  until: number | undefined;
  order: Extract<RunOrder, { kind: 'metric' }>;
  pageSize: number;
  pageToken: string;
}

/**
 * A page of runs sorted by one metric (Run.metrics, derived from the steps' outputs, so no store
 * index can sort by it): the experiment's runs matching the filters are read (at most
 * {@link maxRunsSortedByMetric}, else `invalid_argument`) and sorted in memory; runs without the
 * metric come last, ties newest first. The page token is an offset into that order.
 */
export async function pageByMetric(
  runs: RunStore,
  query: MetricPageQuery,
  options: CallOptions,
): Promise<{ runs: Doc<RunRecord>[]; nextPageToken: string }> {
  const { filter, from, until, order } = query;
  if (filter.experiment === undefined) {
    throw AppError.invalidArgument(
      'order_by',
      'sorting by a metric needs `experiment` set: it sorts one experiment',
    );
  }
  const key = JSON.stringify(['runs-by-metric', filter, from, until, order]);
  const offset = query.pageToken === '' ? 0 : Number(decodePageToken(query.pageToken, 'string', key));
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw AppError.invalidArgument(
      'page_token',
      'is not a token returned by this query; start again without it',
    );
  }
  const found = await runs.find(filter, {
    ...options,
    sortBy: 'createTime',
    descending: true,
    limit: maxRunsSortedByMetric + 1,
  });
  if (found.length > maxRunsSortedByMetric) {
    throw AppError.invalidArgument(
      'order_by',
      `sorting by a metric covers at most ${maxRunsSortedByMetric} runs; narrow it with tag, state or start_time/end_time`,
    );
  }
  const inWindow = (doc: Doc<RunRecord>): boolean => {
    const created = Date.parse(doc.data.createTime);
    return (from === undefined || created >= from) && (until === undefined || created < until);
  };
  const direction = order.descending ? -1 : 1;
  // The store's order (newest first) breaks ties: Array.prototype.sort is stable.
  const ranked = found
    .filter(inWindow)
    .map((doc) => ({ doc, value: loggedMetrics(doc.data)[order.metric] }))
    .sort((a, b) => {
      if (a.value === undefined || b.value === undefined) {
        return (a.value === undefined ? 1 : 0) - (b.value === undefined ? 1 : 0);
      }
      return direction * (a.value - b.value);
    });
  const page = ranked.slice(offset, offset + query.pageSize).map((entry) => entry.doc);
  const next = offset + page.length;
  return { runs: page, nextPageToken: next < ranked.length ? encodePageToken(String(next), key) : '' };
}
