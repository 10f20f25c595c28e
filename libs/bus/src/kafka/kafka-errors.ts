import { AppError, messageOf } from '@flywheel/core';

const invalidRequest = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'CORRUPT_MESSAGE',
  'INVALID_RECORD',
]);
const denied = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

/**
 * An AppError for a kafkajs failure: requests the broker rejects for their content are
 * `invalid_argument`, authorization failures `permission_denied`, everything else (connection
 * refused, timeouts, leaders moving, retries exhausted) `unavailable`, which is retriable.
 */
export function kafkaError(error: unknown, doing: string): AppError {
  if (error instanceof AppError) return error;
  const type = (error as { type?: unknown }).type;
  const message = `kafka: ${doing} failed: ${messageOf(error)}`;
  if (typeof type === 'string' && invalidRequest.has(type))
    return new AppError('invalid_argument', message, { cause: error });
  if (typeof type === 'string' && denied.has(type))
    return new AppError('permission_denied', message, { cause: error });
  return new AppError('unavailable', message, { cause: error });
}
