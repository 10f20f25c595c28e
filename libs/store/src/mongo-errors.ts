import { AppError } from '@flywheel/core';
import {
  MongoError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** MongoDB's duplicate key error code. */
export const duplicateKey = 11000;

// Server codes that mean "this node cannot serve now, another will or it will later": elections,
// shutdowns, stepdowns (the retryable-writes list of the MongoDB specifications).
const transientServerCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * The AppError for an error the driver threw during `what`: lost or refused connections and
 * failed server selection are `unavailable` (retriable; the driver reconnects on the next call),
 * timeouts `deadline_exceeded`, documents the server cannot store `invalid_argument`, everything
 * else `internal`.
 */
export function fromMongoError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof Error && error.name === 'BSONError') {
    return new AppError('invalid_argument', `mongo store: ${what}: ${error.message}`, {
      cause: error,
      field: 'data',
    });
  }
  if (!(error instanceof MongoError)) return AppError.from(error);
  const message = `mongo store: ${what}: ${error.message}`;
  if (
    error instanceof MongoOperationTimeoutError ||
    (error instanceof MongoServerError && error.code === 50)
  ) {
    return new AppError('deadline_exceeded', message, { cause: error });
  }
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new AppError('unavailable', message, { cause: error });
  }
  if (error instanceof MongoTopologyClosedError) {
    return new AppError('unavailable', message, { cause: error, retriable: false });
  }
  if (error instanceof MongoServerError) {
    if (error.code === duplicateKey) return new AppError('already_exists', message, { cause: error });
    if (
      (typeof error.code === 'number' && transientServerCodes.has(error.code)) ||
      error.hasErrorLabel('RetryableWriteError')
    ) {
      return new AppError('unavailable', message, { cause: error });
    }
    // BSONObjectTooLarge, and "Resulting document after update is larger than 16 MiB".
    if (error.code === 10334 || error.code === 17419) {
      return new AppError('invalid_argument', message, { cause: error, field: 'data' });
    }
  }
  if (error instanceof MongoInvalidArgumentError) {
    return new AppError('invalid_argument', message, { cause: error, field: 'data' });
  }
  return new AppError('internal', message, { cause: error });
}
