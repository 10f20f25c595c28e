import { AppError, messageOf } from '@flywheel/core';
import { raceSignal } from '../delivery/race-signal.ts';

/** The JetStream API error codes the adapter acts on. */
export const jetStreamErrorCode = {
  consumerNotFound: 10014,
  streamNameInUse: 10058,
  streamNotFound: 10059,
} as const;

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

/**
 * `work()`'s result, or its failure as an AppError ({@link natsError}); rejects with `unavailable`
 * as soon as `signal` hits its deadline (see raceSignal), `doing` names the call in the message.
 */
export async function natsCall<T>(signal: AbortSignal, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await raceSignal(signal, work(), `nats: ${doing}`);
  } catch (error) {
    throw natsError(error, doing);
  }
}
