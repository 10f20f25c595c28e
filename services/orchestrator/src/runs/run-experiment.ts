import type { JsonObject } from '@bufbuild/protobuf';
import type { RunRecord } from './run-records.ts';

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
  for (const step of record.steps) {
    if (step.state !== 'succeeded') continue;
    const logged = step.outputs?.metrics;
    if (!isObject(logged)) continue;
    for (const [name, value] of Object.entries(logged)) {
      if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
    }
  }
  return metrics;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
