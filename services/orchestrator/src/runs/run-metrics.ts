import { counterOf, histogramOf, longSecondsBuckets, type MetricsRegistry } from '@flywheel/metrics';
import type { JobUsageRecord, RunRecord } from './run-records.ts';

/** What the engine reports of the runs it ends. */
export interface RunMetrics {
  /** A run this process just ended (its final write is done): counts it, its duration and its steps'. */
  ended(record: RunRecord): void;
  /** An attempt of `team` that requested `requestedCpu` cores ended having used `usage`. */
  jobUsed?(team: string, requestedCpu: number, usage: JobUsageRecord): void;
}

/**
 * `flywheel_pipeline_runs_total{pipeline,state}`, `flywheel_pipeline_run_duration_seconds
 * {pipeline,state}` (start, or creation when it never started, to end) and
 * `flywheel_pipeline_step_duration_seconds{pipeline,step,state}` (each step that started); per team,
 * summed over the attempts whose usage was measured: `flywheel_pipeline_job_cpu_seconds_total`,
 * `flywheel_pipeline_job_requested_cpu_seconds_total` (requested cores × wall time),
 * `flywheel_pipeline_job_wall_seconds_total` and `flywheel_pipeline_job_peak_memory_bytes` (histogram).
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
  const perTeam = (name: string, help: string) => counterOf(registry, { name, help, labelNames: ['team'] });
  const cpuSeconds = perTeam(
    'flywheel_pipeline_job_cpu_seconds_total',
    'CPU time (user + system) jobs used, by team.',
  );
  const requestedCpuSeconds = perTeam(
    'flywheel_pipeline_job_requested_cpu_seconds_total',
    'CPU jobs requested (resources.cpu cores × wall time), by team.',
  );
  const wallSeconds = perTeam(
    'flywheel_pipeline_job_wall_seconds_total',
    'Wall time of measured jobs, by team.',
  );
  const peakMemory = histogramOf(registry, {
    name: 'flywheel_pipeline_job_peak_memory_bytes',
    help: 'Peak resident memory of each measured job, by team.',
    labelNames: ['team'],
    buckets: [16, 64, 256, 1024, 4096, 16_384, 65_536].map((mib) => mib * 1024 * 1024),
  });
  const seconds = (from: string, to: string): number =>
    Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return {
    jobUsed: (team, requestedCpu, usage) => {
      cpuSeconds.inc({ team }, usage.cpuSeconds);
      requestedCpuSeconds.inc({ team }, requestedCpu * usage.wallSeconds);
      wallSeconds.inc({ team }, usage.wallSeconds);
      peakMemory.observe({ team }, usage.peakMemoryBytes);
    },
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
