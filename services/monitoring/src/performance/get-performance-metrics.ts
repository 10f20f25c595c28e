import { AppError } from '@flywheel/core';
import type { Scalar } from '@flywheel/store';
import type { PerformanceSpecRecord } from '../records/monitor-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';
import { allSegments } from '../records/segments.ts';
import {
  binaryClassificationMetrics,
  multiclassAccuracy,
  regressionMetrics,
} from '../statistics/performance-metrics.ts';

export interface PerformanceQuery {
  modelName: string;
  /** 0 = every version. */
  modelVersion: number;
  /** Epoch ms; undefined start = 24 h before the end, undefined end = now. */
  startTime: number | undefined;
  endTime: number | undefined;
  /** Bucket length, ms; undefined = one bucket for the range. */
  bucketMs: number | undefined;
  /** undefined = the whole population and every segment; '' = the whole population only. */
  segment: string | undefined;
}

export interface PerformanceBucket {
  modelVersion: number;
  /** '' for the whole population. */
  segment: string;
  startTime: number;
  endTime: number;
  predictionCount: number;
  labelledCount: number;
  metrics: Record<string, number>;
}

const dayMs = 24 * 60 * 60 * 1000;
const maxBuckets = 1000;

/**
 * Performance of a model from its logged predictions (made within the range) joined with ground
 * truth by request id and row index, per version, segment (the whole population '' and each
 * segment of the monitors' slices the prediction fell in when logged) and time bucket, ordered by
 * version, segment ('' first) then time.
 * The task, the prediction output and the decision threshold come from the first monitor of the
 * model (by name) that has a performance spec. Binary classification: accuracy, precision,
 * recall, f1, auc, log_loss on a score output with 0/1 labels; multiclass: accuracy; regression:
 * rmse, mae, r2. Labels that do not fit the task are not counted as labelled. Reads the latest
 * 10 000 prediction batches and label events of the model.
 *
 * Throws `failed_precondition` when no monitor of the model has a performance spec (predictions
 * are only kept for such models), `invalid_argument` for an inverted range or a bucket that cuts
 * it into more than 1000 pieces.
 */
export function createGetPerformanceMetrics(deps: { collections: MonitoringCollections; now?: () => Date }) {
  const { collections } = deps;
  const now = deps.now ?? (() => new Date());
  return async function getPerformanceMetrics(
    query: PerformanceQuery,
    signal: AbortSignal,
  ): Promise<PerformanceBucket[]> {
    const monitors = (
      await collections.monitors.find({ modelName: query.modelName }, { limit: maxFind, signal })
    )
      .map((d) => d.data)
      .filter((m) => m.performance !== null)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const spec = monitors[0]?.performance;
    if (!spec) {
      throw new AppError(
        'failed_precondition',
        `no monitor of model "${query.modelName}" has a performance spec: create one with performance set to log predictions for metrics`,
      );
    }
    const end = query.endTime ?? now().getTime();
    const start = query.startTime ?? end - dayMs;
    if (start >= end) throw AppError.invalidArgument('start_time', 'must be before end_time');
    const bucketMs = query.bucketMs ?? end - start;
    if (!(bucketMs > 0)) throw AppError.invalidArgument('bucket', 'must be positive');
    if ((end - start) / bucketMs > maxBuckets) {
      throw AppError.invalidArgument('bucket', `cuts the range into more than ${maxBuckets} buckets`);
    }

    const labels = new Map<string, Scalar | null>();
    const truth = await collections.groundTruth.find(
      { modelName: query.modelName },
      { sortBy: 'receiveTime', descending: true, limit: maxFind, signal },
    );
    // Newest first: the first label seen for a prediction is the latest one.
    for (const { data } of truth) {
      for (const label of data.labels) {
        const key = `${label.requestId}\u0000${label.rowIndex}`;
        if (!labels.has(key)) labels.set(key, label.label);
      }
    }

    const filter: Record<string, Scalar> = { modelName: query.modelName };
    if (query.modelVersion > 0) filter.modelVersion = query.modelVersion;
    const logs = await collections.predictionLogs.find(filter, {
      sortBy: 'minTime',
      descending: true,
      limit: maxFind,
      signal,
    });
    const buckets = new Map<
      string,
      { version: number; segment: string; index: number; count: number; pairs: Array<[Scalar, Scalar]> }
    >();
    // The segments a query can ask for: those of the monitors' slices (a segment logged by a
    // deleted slice is not reported).
    const known = new Set(monitors.flatMap((m) => allSegments(m.slices)));
    if (query.segment !== undefined && query.segment !== '' && !known.has(query.segment)) {
      throw AppError.invalidArgument(
        'segment',
        `no monitor of model "${query.modelName}" slices into "${query.segment}"${known.size ? ` (segments: ${[...known].join(', ')})` : ''}`,
      );
    }
    const seen = new Set<string>();
    for (const { data: log } of logs) {
      for (const prediction of log.predictions) {
        if (prediction.time < start || prediction.time >= end) continue;
        const key = `${prediction.requestId}\u0000${prediction.rowIndex}`;
        // A prediction logged twice (a redelivered batch from a retrying producer) counts once.
        if (seen.has(`${log.modelVersion}\u0000${key}`)) continue;
        seen.add(`${log.modelVersion}\u0000${key}`);
        const index = Math.floor((prediction.time - start) / bucketMs);
        const segments = ['', ...(prediction.segments ?? []).filter((s) => known.has(s))].filter(
          (s) => query.segment === undefined || s === query.segment,
        );
        const label = labels.get(key);
        const predicted = prediction.outputs[spec.predictionOutput];
        for (const segment of segments) {
          const bucketKey = `${log.modelVersion}\u0000${segment}\u0000${index}`;
          let bucket = buckets.get(bucketKey);
          if (!bucket) {
            bucket = { version: log.modelVersion, segment, index, count: 0, pairs: [] };
            buckets.set(bucketKey, bucket);
          }
          bucket.count++;
          if (label !== undefined && label !== null && predicted !== undefined && predicted !== null) {
            bucket.pairs.push([label, predicted]);
          }
        }
      }
    }
    return [...buckets.values()]
      .sort(
        (a, b) =>
          a.version - b.version ||
          (a.segment === b.segment
            ? 0
            : a.segment === ''
              ? -1
              : b.segment === ''
                ? 1
                : a.segment < b.segment
                  ? -1
                  : 1) ||
          a.index - b.index,
      )
      .map((bucket) => {
        const { labelled, metrics } = metricsOf(spec, bucket.pairs);
        const bucketStart = start + bucket.index * bucketMs;
        return {
          modelVersion: bucket.version,
          segment: bucket.segment,
          startTime: bucketStart,
          endTime: Math.min(bucketStart + bucketMs, end),
          predictionCount: bucket.count,
          labelledCount: labelled,
          metrics,
        };
      });
  };
}

function metricsOf(
  spec: PerformanceSpecRecord,
  pairs: ReadonlyArray<[Scalar, Scalar]>,
): { labelled: number; metrics: Record<string, number> } {
  if (spec.task === 'multiclass_classification') {
    const labels = pairs.map(([label]) => String(label));
    const predictions = pairs.map(([, predicted]) => String(predicted));
    return { labelled: pairs.length, metrics: pairs.length ? multiclassAccuracy(labels, predictions) : {} };
  }
  const numeric = pairs
    .map(([label, predicted]) => [toNumber(label), toNumber(predicted)] as const)
    .filter((pair): pair is readonly [number, number] => pair[0] !== undefined && pair[1] !== undefined);
  if (spec.task === 'regression') {
    return {
      labelled: numeric.length,
      metrics: numeric.length
        ? regressionMetrics(
            numeric.map((p) => p[0]),
            numeric.map((p) => p[1]),
          )
        : {},
    };
  }
  const binary = numeric.filter(([label]) => label === 0 || label === 1);
  return {
    labelled: binary.length,
    metrics: binary.length
      ? binaryClassificationMetrics(
          binary.map((p) => p[0]),
          binary.map((p) => p[1]),
          spec.decisionThreshold || 0.5,
        )
      : {},
  };
}

function toNumber(value: Scalar): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
