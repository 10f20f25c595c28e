import { AppError, type ErrorCodeName } from '@flywheel/core';
import type { ModelSignature, TensorValue } from './model-runner.ts';

/**
 * Messages between a worker-thread runner and its onnxruntime worker (`onnx-worker.ts`). Tensors
 * travel as typed arrays (strings for BYTES); numeric buffers go in transfer lists where the
 * sender gives them up.
 */

/** What a worker is started with (`workerData`, or a `load` message for a prestarted one). */
export interface WorkerStart {
  readonly artifact: Uint8Array;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
}

/** A tensor by name. */
export type NamedTensor = readonly [name: string, value: TensorValue];

/** Main thread → worker. */
export type ToWorker =
  /** To a prestarted worker (started without `workerData`): the model to load. */
  | { readonly kind: 'load'; readonly start: WorkerStart }
  | { readonly kind: 'run'; readonly id: number; readonly inputs: NamedTensor[]; readonly outputs: string[] }
  | { readonly kind: 'close' }
  /** Fault injection: the worker exits at once with `code`, as a crash would (tests of replacement). */
  | { readonly kind: 'crash'; readonly code: number };

/** An AppError as it crosses the thread boundary. */
export interface WireError {
  readonly code: ErrorCodeName;
  readonly message: string;
  readonly field: string | undefined;
}

/** Worker → main thread. */
export type FromWorker =
  | { readonly kind: 'ready'; readonly signature: ModelSignature }
  | { readonly kind: 'failed'; readonly error: WireError }
  | { readonly kind: 'result'; readonly id: number; readonly outputs: NamedTensor[] }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError };

/** The error as plain data. */
export function toWireError(error: unknown): WireError {
  const appError = AppError.from(error);
  return { code: appError.code, message: appError.message, field: appError.field };
}

/** The AppError back from plain data. */
export function fromWireError(error: WireError): AppError {
  return new AppError(error.code, error.message, error.field === undefined ? {} : { field: error.field });
}

/** The distinct buffers of the numeric tensors, for a transfer list. */
export function buffersOf(tensors: readonly NamedTensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const [, value] of tensors) {
    if (!Array.isArray(value.data) && value.data.buffer instanceof ArrayBuffer)
      buffers.add(value.data.buffer);
  }
  return [...buffers];
}
