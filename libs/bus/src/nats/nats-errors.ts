import { AppError, messageOf } from '@flywheel/core';

/**
 * An AppError for a nats.js failure: bad names or arguments are `invalid_argument`, refused
 * permissions `permission_denied`, everything else (timeouts, no responders, lost connection,
 * JetStream unavailable) `unavailable`, which is retriable.
 */
export function natsError(error: unknown, doing: string): AppError {
  if (error instanceof AppError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = `nats: ${doing} failed: ${messageOf(error)}`;
  if (name === 'InvalidArgumentError' || name === 'InvalidSubjectError' || name === 'InvalidNameError') {
    return new AppError('invalid_argument', message, { cause: error });
  }
  if (name === 'PermissionViolationError' || name === 'AuthorizationError') {
    return new AppError('permission_denied', message, { cause: error });
  }
  return new AppError('unavailable', message, { cause: error });
}
