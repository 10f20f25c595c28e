import { AppError } from '@flywheel/core';
import type { ModelRunner, TensorSpec, TensorValue } from './model-runner.ts';
import { infoOf } from './oip-datatypes.ts';

/**
 * Runs the model once on zeros (empty strings for BYTES) shaped like its signature, dynamic
 * dimensions as 1, so the first real request does not pay for lazy initialisation and a model
 * that cannot run at all is refused before it takes traffic.
 *
 * @throws AppError invalid_argument (field "artifact") when the warm-up run fails.
 */
export async function warmUp(runner: ModelRunner, options: { signal?: AbortSignal } = {}): Promise<void> {
  const inputs = new Map<string, TensorValue>();
  for (const spec of runner.signature.inputs) inputs.set(spec.name, zeros(spec));
  try {
    await runner.run(
      inputs,
      runner.signature.outputs.map((output) => output.name),
      { unqueued: true, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } catch (error) {
    const appError = AppError.from(error);
    if (appError.code === 'cancelled' || appError.code === 'deadline_exceeded') throw appError;
    throw AppError.invalidArgument('artifact', `the model failed its warm-up run: ${appError.message}`, {
      cause: error,
    });
  }
}

function zeros(spec: TensorSpec): TensorValue {
  const shape = spec.shape.map((dim) => (typeof dim === 'number' ? dim : 1));
  const count = shape.reduce((product, dim) => product * dim, 1);
  const info = infoOf(spec.datatype);
  const data = info.array ? new info.array(count) : Array.from({ length: count }, () => '');
  return { datatype: spec.datatype, shape, data };
}
