import { AppError } from '@flywheel/core';
import { pageOf } from '@flywheel/rpc';
import type { Scalar } from '@flywheel/store';
import type { DriftResultRecord, EvaluationRecord } from '../records/evaluation-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';

export interface ListDriftResultsQuery {
  modelName: string;
  /** 0 = every version. */
  modelVersion: number;
  /** '' = every feature. */
  feature: string;
  /** Windows ending within [startTime, endTime), epoch ms; undefined = unbounded. */
  startTime: number | undefined;
  endTime: number | undefined;
  driftedOnly: boolean;
  /** undefined = every segment; '' = the whole population only. */
  segment: string | undefined;
  pageSize: number;
  pageToken: string;
}

/**
 * A model's drift results, newest window first (results of one window in the monitor's feature
 * order), filtered, a page at a time. Reads the latest 10 000 evaluations of the model. Throws
 * `invalid_argument` for an inverted time range or a foreign page token.
 */
export function createListDriftResults(deps: { collections: MonitoringCollections }) {
  return async function listDriftResults(
    query: ListDriftResultsQuery,
    signal: AbortSignal,
  ): Promise<{
    results: Array<{ evaluation: EvaluationRecord; result: DriftResultRecord }>;
    nextPageToken: string;
  }> {
    if (query.startTime !== undefined && query.endTime !== undefined && query.startTime >= query.endTime) {
      throw AppError.invalidArgument('start_time', 'must be before end_time');
    }
    const filter: Record<string, Scalar> = { modelName: query.modelName };
    if (query.modelVersion > 0) filter.modelVersion = query.modelVersion;
    const evaluations = await deps.collections.evaluations.find(filter, {
      sortBy: 'windowEndTime',
      descending: true,
      limit: maxFind,
      signal,
    });
    const matching = evaluations
      .map((d) => d.data)
      .filter(
        (e) =>
          (query.startTime === undefined || e.windowEndTime >= query.startTime) &&
          (query.endTime === undefined || e.windowEndTime < query.endTime),
      )
      .flatMap((evaluation) =>
        evaluation.results
          .filter(
            (r) =>
              (query.feature === '' || r.feature === query.feature) &&
              (!query.driftedOnly || r.drifted) &&
              (query.segment === undefined || (r.segment ?? '') === query.segment),
          )
          .map((result) => ({ evaluation, result })),
      );
    const { page, nextPageToken: next } = pageOf(matching, query, { maxPageSize: 500 });
    return { results: page, nextPageToken: next };
  };
}
