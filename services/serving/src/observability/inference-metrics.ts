import { counterOf, gaugeOf, histogramOf, type MetricsRegistry } from '@flywheel/metrics';
import type { ModelStatisticsBook, StatisticsSnapshot } from './model-statistics.ts';

/** The worker threads of one live version of a deployment. */
export interface LiveInstances {
  readonly name: string;
  readonly version: number;
  readonly instances: number;
}

type ModelLabel = 'model' | 'version';

/** Upper bounds (µs) of `flywheel_inference_request_duration_us`'s buckets; +Inf is implied. */
const durationBucketsUs: readonly number[] = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

/**
 * Puts the inference metrics a Triton user expects into the service's registry, per model
 * (deployment) and version, read from `statistics` at each scrape: `nv_inference_request_success`
 * / `_failure`, `nv_inference_count`, `nv_inference_exec_count`, cumulative
 * `nv_inference_request_duration_us`, `nv_inference_queue_duration_us`,
 * `nv_inference_compute_input|infer|output_duration_us`; and the gauge
 * `flywheel_serving_model_instances`, the worker threads of each live version. Returns the book
 * to record into: it also observes each request in the histogram
 * `flywheel_inference_request_duration_us` (success and failure).
 */
export function instrumentInference(
  registry: MetricsRegistry,
  statistics: ModelStatisticsBook,
  live: () => readonly LiveInstances[],
): ModelStatisticsBook {
  const us = (ns: bigint): number => Number(ns / 1000n);
  const families: [string, string, (entry: StatisticsSnapshot) => bigint | number][] = [
    [
      'nv_inference_request_success',
      'Number of successful inference requests, all batch sizes',
      (e) => e.success.count,
    ],
    [
      'nv_inference_request_failure',
      'Number of failed inference requests, all batch sizes',
      (e) => e.fail.count,
    ],
    [
      'nv_inference_count',
      'Number of inferences performed (rows, a batch of N counts N)',
      (e) => e.inferenceCount,
    ],
    ['nv_inference_exec_count', 'Number of model executions performed', (e) => e.executionCount],
    [
      'nv_inference_request_duration_us',
      'Cumulative inference request duration in microseconds (success and failure)',
      (e) => us(e.success.ns + e.fail.ns),
    ],
    [
      'nv_inference_queue_duration_us',
      'Cumulative inference queuing duration in microseconds',
      (e) => us(e.queue.ns),
    ],
    [
      'nv_inference_compute_input_duration_us',
      'Cumulative compute input duration in microseconds',
      (e) => us(e.computeInput.ns),
    ],
    [
      'nv_inference_compute_infer_duration_us',
      'Cumulative compute inference duration in microseconds',
      (e) => us(e.computeInfer.ns),
    ],
    [
      'nv_inference_compute_output_duration_us',
      'Cumulative inference compute output duration in microseconds',
      (e) => us(e.computeOutput.ns),
    ],
  ];
  // The book is the one source of these counts (OIP statistics read it too): each scrape reads it.
  for (const [name, help, value] of families) {
    counterOf<ModelLabel>(registry, {
      name,
      help,
      labelNames: ['model', 'version'],
      collect() {
        this.reset();
        for (const row of statistics.snapshot())
          this.inc({ model: row.name, version: String(row.version) }, Number(value(row)));
      },
    });
  }
  gaugeOf<ModelLabel>(registry, {
    name: 'flywheel_serving_model_instances',
    help: 'Worker threads (onnxruntime sessions) running the live version',
    labelNames: ['model', 'version'],
    collect() {
      this.reset();
      for (const entry of live())
        this.set({ model: entry.name, version: String(entry.version) }, entry.instances);
    },
  });
  const durations = histogramOf<ModelLabel>(registry, {
    name: 'flywheel_inference_request_duration_us',
    help: 'Inference request duration in microseconds (success and failure)',
    labelNames: ['model', 'version'],
    buckets: durationBucketsUs,
  });
  // One labelled child per deployment and version, found without building (and hashing) a label
  // object per request: prom-client sorts and joins the labels on every observe(labels, value).
  const children = new Map<string, Map<number, { observe(value: number): void }>>();
  const childOf = (deployment: string, version: number) => {
    let versions = children.get(deployment);
    if (!versions) {
      versions = new Map();
      children.set(deployment, versions);
    }
    let child = versions.get(version);
    if (!child) {
      child = durations.labels({ model: deployment, version: String(version) });
      versions.set(version, child);
    }
    return child;
  };
  return {
    ...statistics,
    record: (outcome) => {
      statistics.record(outcome);
      childOf(outcome.deployment, outcome.version).observe(us(outcome.durationNs));
    },
  };
}

/** `flywheel_serving_model_load_seconds{model}`: how long each version took to load, per deployment. */
export function modelLoadObserver(registry: MetricsRegistry): (model: string, seconds: number) => void {
  const seconds = histogramOf(registry, {
    name: 'flywheel_serving_model_load_seconds',
    help: 'How long a model version took to load (fetch, verify, create the onnxruntime sessions, warm up).',
    labelNames: ['model'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  });
  return (model, value) => seconds.observe({ model }, value);
}
