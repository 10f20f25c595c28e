import { durationBucketsUs, type ModelStatisticsBook } from './model-statistics.ts';

/** The worker threads of one live version of a deployment. */
export interface LiveInstances {
  readonly name: string;
  readonly version: number;
  readonly instances: number;
}

/**
 * The Prometheus text exposition (format 0.0.4) of the inference metrics a Triton user expects,
 * per model (deployment) and version: `nv_inference_request_success|failure`, `nv_inference_count`,
 * `nv_inference_exec_count`, cumulative `nv_inference_request_duration_us`,
 * `nv_inference_queue_duration_us`, `nv_inference_compute_input|infer|output_duration_us`, and a
 * request-duration histogram `flywheel_inference_request_duration_us` (success and failure); and
 * the gauge `flywheel_serving_model_instances`, the worker threads of each live version.
 */
export function prometheusText(statistics: ModelStatisticsBook, live: readonly LiveInstances[] = []): string {
  const rows = statistics
    .snapshot()
    .sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)
    .map((entry) => ({ entry, labels: `model="${escapeLabel(entry.name)}",version="${entry.version}"` }));
  const lines: string[] = [];
  const family = (
    name: string,
    help: string,
    value: (entry: (typeof rows)[number]['entry']) => bigint,
  ): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const { entry, labels } of rows) lines.push(`${name}{${labels}} ${value(entry)}`);
  };
  const us = (ns: bigint): bigint => ns / 1000n;
  family(
    'nv_inference_request_success',
    'Number of successful inference requests, all batch sizes',
    (e) => e.success.count,
  );
  family(
    'nv_inference_request_failure',
    'Number of failed inference requests, all batch sizes',
    (e) => e.fail.count,
  );
  family(
    'nv_inference_count',
    'Number of inferences performed (rows, a batch of N counts N)',
    (e) => e.inferenceCount,
  );
  family('nv_inference_exec_count', 'Number of model executions performed', (e) => e.executionCount);
  family(
    'nv_inference_request_duration_us',
    'Cumulative inference request duration in microseconds (success and failure)',
    (e) => us(e.success.ns + e.fail.ns),
  );
  family('nv_inference_queue_duration_us', 'Cumulative inference queuing duration in microseconds', (e) =>
    us(e.queue.ns),
  );
  family('nv_inference_compute_input_duration_us', 'Cumulative compute input duration in microseconds', (e) =>
    us(e.computeInput.ns),
  );
  family(
    'nv_inference_compute_infer_duration_us',
    'Cumulative compute inference duration in microseconds',
    (e) => us(e.computeInfer.ns),
  );
  family(
    'nv_inference_compute_output_duration_us',
    'Cumulative inference compute output duration in microseconds',
    (e) => us(e.computeOutput.ns),
  );
  const histogram = 'flywheel_inference_request_duration_us';
  lines.push(
    `# HELP ${histogram} Inference request duration in microseconds (success and failure)`,
    `# TYPE ${histogram} histogram`,
  );
  for (const { entry, labels } of rows) {
    durationBucketsUs.forEach((bound, i) => {
      lines.push(`${histogram}_bucket{${labels},le="${bound}"} ${entry.durationBuckets[i]}`);
    });
    const total = entry.success.count + entry.fail.count;
    lines.push(
      `${histogram}_bucket{${labels},le="+Inf"} ${total}`,
      `${histogram}_sum{${labels}} ${us(entry.success.ns + entry.fail.ns)}`,
      `${histogram}_count{${labels}} ${total}`,
    );
  }
  const instances = 'flywheel_serving_model_instances';
  lines.push(
    `# HELP ${instances} Worker threads (onnxruntime sessions) running the live version`,
    `# TYPE ${instances} gauge`,
  );
  for (const entry of [...live].sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)) {
    lines.push(
      `${instances}{model="${escapeLabel(entry.name)}",version="${entry.version}"} ${entry.instances}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
