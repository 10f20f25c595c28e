import { AppError } from '@flywheel/core';
import type { InferParameter } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { RunOptions } from '../runtime/model-runner.ts';

/**
 * Triton's request parameters for the scheduler: `priority` (level, lower = higher priority; 0 =
 * default) and `timeout` (µs a request may wait in the queue). tritonclient sends them as
 * `uint64_param` / `int64_param`; any integer-valued number parameter is accepted.
 *
 * @throws AppError invalid_argument (field "parameters.priority" / "parameters.timeout") for a
 *   value that is not an integer ≥ 0.
 */
export function schedulingOf(parameters: {
  readonly [key: string]: InferParameter;
}): Pick<RunOptions, 'priority' | 'timeoutUs'> {
  const priority = integerOf(parameters, 'priority');
  const timeoutUs = integerOf(parameters, 'timeout');
  return {
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutUs === undefined ? {} : { timeoutUs }),
  };
}

function integerOf(parameters: { readonly [key: string]: InferParameter }, name: string): number | undefined {
  const parameter = parameters[name];
  if (!parameter) return undefined;
  const choice = parameter.parameterChoice;
  let value: number;
  switch (choice.case) {
    case 'int64Param':
    case 'uint64Param':
      value = Number(choice.value);
      break;
    case 'doubleParam':
      value = choice.value;
      break;
    default:
      throw AppError.invalidArgument(
        `parameters.${name}`,
        `must be an integer parameter, got ${choice.case ?? 'none'}`,
      );
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw AppError.invalidArgument(`parameters.${name}`, `must be an integer ≥ 0, got ${value}`);
  }
  return value;
}
