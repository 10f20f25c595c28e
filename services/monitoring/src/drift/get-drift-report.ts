import type { Scalar } from '@flywheel/store';
import type {
  DriftResultRecord,
  EvaluationRecord,
  SkippedFeatureRecord,
} from '../records/evaluation-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';

export interface DriftReport {
  modelName: string;
  /** The version reported on; 0 when the model has no results yet. */
  modelVersion: number;
  /** The latest result per (monitor, segment, feature), with the evaluation it belongs to. */
  results: Array<{ evaluation: EvaluationRecord; result: DriftResultRecord }>;
  /** Share of the whole-population results that drifted, 0 to 1 (0 when there are none). */
  driftedShare: number;
  /** What the latest evaluation of each monitor could not test. */
  untested: Array<SkippedFeatureRecord & { monitorName: string }>;
}

/**
 * The latest drift result of every monitored feature (and segment) of a model version — of `modelVersion`, or
 * when 0 of the version whose window ended last — optionally of one monitor. An empty report
 * when nothing was evaluated yet.
 */
export function createGetDriftReport(deps: { collections: MonitoringCollections }) {
  return async function getDriftReport(
    query: { modelName: string; modelVersion: number; monitorName: string },
    signal: AbortSignal,
  ): Promise<DriftReport> {
    const filter: Record<string, Scalar> = { modelName: query.modelName };
    if (query.modelVersion > 0) filter.modelVersion = query.modelVersion;
    if (query.monitorName) filter.monitorName = query.monitorName;
    const evaluations = await deps.collections.evaluations.find(filter, {
      sortBy: 'windowEndTime',
      descending: true,
      limit: maxFind,
      signal,
    });
    const version = query.modelVersion || evaluations[0]?.data.modelVersion || 0;
    const latest = new Map<string, { evaluation: EvaluationRecord; result: DriftResultRecord }>();
    const untested: DriftReport['untested'] = [];
    const monitorsSeen = new Set<string>();
    for (const { data: evaluation } of evaluations) {
      if (evaluation.modelVersion !== version) continue;
      if (!monitorsSeen.has(evaluation.monitorName)) {
        monitorsSeen.add(evaluation.monitorName);
        for (const skip of evaluation.skipped ?? [])
          untested.push({ ...skip, monitorName: evaluation.monitorName });
      }
      for (const result of evaluation.results) {
        const key = `${evaluation.monitorName}\u0000${result.segment ?? ''}\u0000${result.feature}`;
        if (!latest.has(key)) latest.set(key, { evaluation, result });
      }
    }
    const results = [...latest.values()];
    const whole = results.filter((r) => !r.result.segment);
    const drifted = whole.filter((r) => r.result.drifted).length;
    return {
      modelName: query.modelName,
      modelVersion: version,
      results,
      driftedShare: whole.length === 0 ? 0 : drifted / whole.length,
      untested,
    };
  };
}
