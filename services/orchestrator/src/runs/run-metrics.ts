import { counterOf, histogramOf, longSecondsBuckets, type MetricsRegistry } from '@flywheel/metrics';
import type { RunRecord } from './run-records.ts';

/** What the engine reports of the runs it ends. */
export interface RunMetrics {
  /** A run this process just ended (its final write is done): counts it, its duration and its steps'. */
  ended(record: RunRecord): void;
}

/**
 * `flywheel_pipeline_runs_total{pipeline,state}`, `flywheel_pipeline_run_duration_seconds
 * {pipeline,state}` (start, or creation when it never started, to end) and
 * `flywheel_pipeline_step_duration_seconds{pipeline,step,state}` (each step that started).
 */
export function runMetricsOf(registry: MetricsRegistry): RunMetrics {
  const runs = counterOf(registry, {
    name: 'flywheel_pipeline_runs_total',
    help: 'Pipeline runs ended by this orchestrator, by final state (succeeded, failed, cancelled).',
    labelNames: ['pipeline', 'state'],
  });
  const runSeconds = histogramOf(registry, {
    name: 'flywheel_pipeline_run_duration_seconds',
    help: 'How long pipeline runs took, from start to end, by final state.',
    labelNames: ['pipeline', 'state'],
    buckets: longSecondsBuckets,
  });
  const stepSeconds = histogramOf(registry, {
    name: 'flywheel_pipeline_step_duration_seconds',
    help: 'How long the steps of ended runs took, from their start to their end, by final state.',
    labelNames: ['pipeline', 'step', 'state'],
    buckets: longSecondsBuckets,
  });
  const seconds = (from: string, to: string): number =>
    Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return {
    ended: (record) => {
      const labels = { pipeline: record.pipelineName, state: record.state };
      runs.inc(labels);
      if (record.endTime)
        runSeconds.observe(labels, seconds(record.startTime ?? record.createTime, record.endTime));
      for (const step of record.steps) {
        if (!step.startTime || !step.endTime) continue;
        stepSeconds.observe(
          { pipeline: record.pipelineName, step: step.name, state: step.state },
          seconds(step.startTime, step.endTime),
        );
      }
    },
  };
}
