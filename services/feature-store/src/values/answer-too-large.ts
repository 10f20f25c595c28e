import { AppError } from '@flywheel/core';

/**
 * The error for an answer over the gRPC message limit: `resource_exhausted` (not retriable: the
 * same request gives the same answer) naming the request `field` that makes it big, the size and
 * the limit, and what to do instead.
 */
export function answerTooLarge(
  bytes: number | string,
  maxBytes: number,
  field: string,
  instead: string,
): AppError {
  return new AppError(
    'resource_exhausted',
    `${field}: the answer would be ${bytes} bytes, over the ${maxBytes}-byte message limit (FLYWHEEL_MAX_MESSAGE_BYTES); ${instead}`,
    { field, retriable: false, details: { maxMessageBytes: String(maxBytes) } },
  );
}
