import { counterOf, gaugeOf, type MetricsRegistry } from '@flywheel/metrics';
import type { EvaluationRecord } from '../records/evaluation-records.ts';

/** What the evaluation reports of each window it evaluated. */
export interface DriftMetrics {
  /** An evaluation just written, with the number of `drift.detected` events it announced. */
  evaluated(evaluation: EvaluationRecord, announced: number): void;
}

/**
 * `flywheel_drift_statistic{monitor,feature,statistic}`: the last window's statistic of each
 * feature (whole population) per test (`statistic` is the test: psi, ks, chi_square…), and
 * `flywheel_drift_detected_total{monitor}`: the `drift.detected` events announced.
 */
export function driftMetricsOf(registry: MetricsRegistry): DriftMetrics {
  const statistic = gaugeOf(registry, {
    name: 'flywheel_drift_statistic',
    help: "The drift statistic of a monitored feature in the monitor's last evaluated window, per test.",
    labelNames: ['monitor', 'feature', 'statistic'],
  });
  const detected = counterOf(registry, {
    name: 'flywheel_drift_detected_total',
    help: 'drift.detected events announced (one per drifted feature and test, outside the alert cooldown).',
    labelNames: ['monitor'],
  });
  return {
    evaluated: (evaluation, announced) => {
      for (const result of evaluation.results) {
        if (result.segment) continue;
        for (const test of result.tests)
          statistic.set(
            { monitor: evaluation.monitorName, feature: result.feature, statistic: test.kind },
            test.statistic,
          );
      }
      detected.inc({ monitor: evaluation.monitorName }, announced);
    },
  };
}
