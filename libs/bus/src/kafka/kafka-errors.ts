import { AppError, isUntrustedCertificateCode, messageOf } from '@flywheel/core';

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
/** The error and its causes, outermost first (kafkajs wraps the one that ended its retries). */
function* causes(error: unknown): Generator<unknown> {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    yield e;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
}

/**
 * An AppError for a kafkajs failure: requests the broker rejects for their content are
 * `invalid_argument`, authorization failures `permission_denied`, refused SASL credentials
 * `unauthenticated` and an untrusted broker certificate `failed_precondition` (configuration
 * errors: neither is retried), everything else (connection refused, timeouts, leaders moving,
 * retries exhausted) `unavailable`, which is retriable. Messages never hold credentials (kafkajs's
 * own do not).
 */
export function kafkaError(error: unknown, doing: string): AppError {
  if (error instanceof AppError) return error;
  const message = `kafka: ${doing} failed: ${messageOf(error)}`;
  for (const each of causes(error)) {
    if ((each as { name?: unknown }).name === 'KafkaJSSASLAuthenticationError')
      return new AppError(
        'unauthenticated',
        `${message} (the broker refused the SASL credentials: check FLYWHEEL_KAFKA_SASL_USERNAME/PASSWORD/MECHANISM)`,
        { cause: error, retriable: false },
      );
    const code = (each as { code?: unknown }).code;
    if (isUntrustedCertificateCode(code))
      return new AppError(
        'failed_precondition',
        `${message} (the broker's TLS certificate is not trusted: check FLYWHEEL_KAFKA_TLS_CA)`,
        { cause: error, retriable: false },
      );
  }
  const type = (error as { type?: unknown }).type;
  if (typeof type === 'string' && invalidRequest.has(type))
    return new AppError('invalid_argument', message, { cause: error });
  if (typeof type === 'string' && denied.has(type))
    return new AppError('permission_denied', message, { cause: error });
  return new AppError('unavailable', message, { cause: error });
}
