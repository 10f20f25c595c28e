import { AppError } from '@flywheel/core';
import type { BinaryClassificationMetrics } from '@flywheel/ml';

// The steps' and the console's one rule of which way a metric is better.
export { lowerIsBetter } from '@flywheel/ml/metric-direction';

/** Metrics as steps output them (and the registry stores them): snake_case name → number. */
export type MetricsOutput = Record<string, number>;

/**
 * A step's view of {@link BinaryClassificationMetrics}: `count`, `positive_rate`, `log_loss` (nats),
 * `accuracy`, `roc_auc` and `brier_score`.
 */
export function toMetricsOutput(metrics: BinaryClassificationMetrics): MetricsOutput {
  return {
    count: metrics.count,
    positive_rate: metrics.positiveRate,
    log_loss: metrics.logLoss,
    accuracy: metrics.accuracy,
    roc_auc: metrics.rocAuc,
    brier_score: metrics.brierScore,
  };
}

/**
 * `metrics[metric]` as a finite number.
 *
 * @throws AppError invalid_argument naming `field` when it is missing or not a finite number.
 */
export function metricValue(
  metrics: Readonly<Record<string, unknown>>,
  metric: string,
  field: string,
): number {
  const value = metrics[metric];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw AppError.invalidArgument(
      field,
      `has no finite "${metric}" (metrics: ${Object.keys(metrics).join(', ') || 'none'})`,
    );
  }
  return value;
}
