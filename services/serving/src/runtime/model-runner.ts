import type { CallOptions } from '@flywheel/core';
import type { LinearForm } from './linear-form.ts';
import type { OipDatatype, TensorData } from './oip-datatypes.ts';

/**
 * The seam between the Open Inference Protocol layer and a model runtime. The onnxruntime session
 * (`onnx-runner.ts`) runs inside worker threads (`worker-pool-runner.ts`, tensors transferred as
 * typed arrays); the in-process fast path and the dynamic batcher wrap a runner in another one
 * (see `runtime-loader.ts`), so the OIP layer sees one interface whatever runs the model.
 */

/**
 * One dimension of a declared shape: a fixed size (integer ≥ 0), or a dynamic size named by a
 * symbol ("N"; equal symbols are equal sizes across inputs) or "" when unnamed.
 */
export type Dim = number | string;

/** A declared input or output of a model. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: OipDatatype;
  readonly shape: readonly Dim[];
}

/** Inputs and outputs of a loaded model, in the model's order. */
export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** A concrete tensor: every dimension known, `data` holding product(shape) elements. */
export interface TensorValue {
  readonly datatype: OipDatatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** How one run is scheduled, besides its cancellation. */
export interface RunOptions extends CallOptions {
  /**
   * Triton's request `priority`: a level, lower value = higher priority; 0 (the default) ranks
   * after every explicit level. Honoured by the dynamic batcher; other runners ignore it.
   */
  priority?: number;
  /**
   * Triton's request `timeout`, µs: the longest the request may wait in the batcher's queue; once
   * passed it is answered DEADLINE_EXCEEDED and never computed. 0 or unset: no limit but `signal`.
   */
  timeoutUs?: number;
  /**
   * The caller hands over the inputs' buffers: a worker-thread runner may transfer (detach) them
   * instead of copying. Only for buffers no one else reads afterwards (the batcher's concatenations).
   */
  transferInputs?: boolean;
  /**
   * Told when the run leaves the scheduler's queue, before the model runs: how long it queued and
   * the batch it joined. A runner without a queue never calls it (the run was its own batch).
   */
  onScheduled?: (scheduled: Scheduled) => void;
  /**
   * Run now, bypassing any scheduler queue (and its queue delay): for the load-time warm-up, which
   * must not wait `max_queue_delay_us` or count as traffic.
   */
  unqueued?: boolean;
}

/** How a queued run was scheduled. */
export interface Scheduled {
  /** Time in the queue, ns. */
  readonly queueNs: bigint;
  /** Rows of the batch the run joined (its own rows when it ran alone). */
  readonly batchRows: number;
  /** Whether the run is the first of its batch: exactly one run per model execution says so. */
  readonly first: boolean;
}

/** A loaded model that runs inference. */
export interface ModelRunner {
  readonly signature: ModelSignature;
  /**
   * The graph read as affine maps, when some output is linear (or logistic of linear) in the
   * inputs: Explain's exact method. Set by the serving loader; undefined for other runners.
   */
  readonly linearForm?: LinearForm | undefined;
  /**
   * Worker threads (sessions) running the model, when it runs in a pool; set by the serving loader
   * (the `flywheel_serving_model_instances` gauge reads it). Undefined for other runners.
   */
  readonly instances?: number | undefined;
  /**
   * Runs the model on `inputs` (one per signature input, by name) and returns the requested
   * `outputs` by name, in the order asked.
   *
   * @throws AppError invalid_argument when the runtime refuses the inputs (its message is kept);
   *   cancelled / deadline_exceeded when `signal` has aborted before the run starts (a run in
   *   progress is not interrupted); failed_precondition after close().
   */
  run(
    inputs: ReadonlyMap<string, TensorValue>,
    outputs: readonly string[],
    options?: RunOptions,
  ): Promise<Map<string, TensorValue>>;
  /** Releases the runtime's resources. Call only once no run is in progress. Idempotent. */
  close(): Promise<void>;
}

/** Runtime settings of one loaded version (ServingService RuntimeConfig). */
export interface RunnerOptions {
  /** Threads within one operator; 0 means the runtime's default. */
  intraOpThreads: number;
  /** Threads across operators; 0 means the runtime's default. */
  interOpThreads: number;
  /** Sessions (worker threads) per loaded version; 0 or unset means 1. */
  instanceCount?: number;
  /** Server-side batching of concurrent requests; unset means none. */
  dynamicBatching?: DynamicBatchingOptions | undefined;
  /** Requests the batcher queue holds before new ones fail with RESOURCE_EXHAUSTED; 0 or unset: 256. */
  maxQueueSize?: number;
}

/** Triton-style dynamic batching of one loaded version (RuntimeConfig.dynamic_batching). */
export interface DynamicBatchingOptions {
  /** Largest batch sent to the model, in rows (dimension 0), ≥ 1. */
  maxBatchSize: number;
  /** Longest the oldest queued request waits for a batch to fill, µs (timer resolution 1 ms). */
  maxQueueDelayUs: number;
  /** Batch sizes (rows) sent at once when the queue can form one; the largest that fits wins. */
  preferredBatchSizes: readonly number[];
}

/**
 * Turns artifact bytes into a runner.
 *
 * @throws AppError invalid_argument (field "artifact") when the bytes are not a model the runtime
 *   can load, or its inputs/outputs use a type serving cannot carry.
 */
export type ModelLoader = (
  artifact: Uint8Array,
  options: RunnerOptions & { signal?: AbortSignal },
) => Promise<ModelRunner>;
