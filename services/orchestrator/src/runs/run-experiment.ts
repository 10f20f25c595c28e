import type { JsonObject } from '@bufbuild/protobuf';
import type { RunRecord, StepRecord } from './run-records.ts';

/** The run's experiment: the one it was submitted with, else (runs stored before experiments) its pipeline's name. */
export function experimentOf(record: Pick<RunRecord, 'experiment' | 'pipelineName'>): string {
  return record.experiment || record.pipelineName;
}

/**
 * The final values of the metrics a run's steps logged: each succeeded step's outputs `metrics`
 * object (the file contract of `log_metrics`), finite numbers only, merged in definition order so
 * a later step's value of the same name wins. Derived on read: nothing extra is stored.
 */
export function loggedMetrics(record: Pick<RunRecord, 'steps'>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const step of record.steps) Object.assign(metrics, stepMetrics(step));
  return metrics;
}

/**
 * The final metrics one succeeded step (or iteration) logged: its outputs `metrics` object,
 * finite numbers only. A `for_each` step's own outputs hold lists, so it has none here: its
 * iterations' metrics stay on the iterations (StepRun.iterations[].metrics), out of Run.metrics.
 */
export function stepMetrics(step: Pick<StepRecord, 'state' | 'outputs'>): Record<string, number> {
  const metrics: Record<string, number> = {};
  if (step.state !== 'succeeded') return metrics;
  const logged = step.outputs?.metrics;
  if (!isObject(logged)) return metrics;
  for (const [name, value] of Object.entries(logged)) {
    if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  }
  return metrics;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One logged point of a metric's series. */
export interface MetricPointRecord {
  stepName: string;
  step: number;
  value: number;
}

/**
 * A metric's time series in a run: each succeeded step's outputs `metric_history.<metric>`, a list
 * of `[step index, value]` pairs (what `log_metrics(step=…)` appends), in definition order; pairs
 * that are not an integer index and a finite number are left out.
 */
export function metricHistory(record: Pick<RunRecord, 'steps'>, metric: string): MetricPointRecord[] {
  const points: MetricPointRecord[] = [];
  for (const step of record.steps) {
    if (step.state !== 'succeeded') continue;
    const history = step.outputs?.metric_history;
    if (!isObject(history)) continue;
    const series = history[metric];
    if (!Array.isArray(series)) continue;
    for (const pair of series) {
      if (!Array.isArray(pair) || pair.length !== 2) continue;
      const [index, value] = pair;
      if (!Number.isSafeInteger(index) || typeof value !== 'number' || !Number.isFinite(value)) continue;
      points.push({ stepName: step.name, step: index as number, value });
    }
  }
  return points;
}
