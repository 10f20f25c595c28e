import type { CallOptions } from '@flywheel/core';
import type { OipDatatype, TensorData } from './oip-datatypes.ts';

/**
 * The seam between the Open Inference Protocol layer and a model runtime. The in-process
 * onnxruntime runner implements it today; a worker-thread runner (one session per worker, tensors
 * transferred as typed arrays) can replace it without the OIP layer noticing.
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

/** A loaded model that runs inference. */
export interface ModelRunner {
  readonly signature: ModelSignature;
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
    options?: CallOptions,
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
