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
/**
 * The error and its causes, outermost first (kafkajs wraps the one that ended its retries), and the
 * errors a KafkaJSAggregateError holds (one per topic of a CreateTopics request).
 */
function* causes(error: unknown, depth = 0): Generator<unknown> {
  for (let e = error; e !== undefined && e !== null && depth < 8; depth++) {
    yield e;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const each of inner) yield* causes(each, depth + 1);
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
}

/** The protocol error type (`TOPIC_AUTHORIZATION_FAILED`…) of the error or of one of its causes. */
function protocolTypes(error: unknown): Set<string> {
  const types = new Set<string>();
  for (const each of causes(error)) {
    const type = (each as { type?: unknown }).type;
    if (typeof type === 'string') types.add(type);
  }
  return types;
}

/** True when kafkajs's error says the broker's authorizer refused the request. */
export function isKafkaAuthorizationFailure(error: unknown): boolean {
  return [...protocolTypes(error)].some((type) => denied.has(type));
}

/**
 * An AppError for a kafkajs failure: requests the broker rejects for their content are
 * `invalid_argument`, authorization failures (the ACLs; also found among causes and aggregated
 * errors) `permission_denied` — `doing` should name the topic or group —, refused SASL credentials
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
  const types = [...protocolTypes(error)];
  // Denials first: a CreateTopics answer may mix them with TOPIC_ALREADY_EXISTS.
  if (types.some((type) => denied.has(type)))
    return new AppError(
      'permission_denied',
      `${message} (the broker's ACLs do not allow this principal: see scripts/kafka-acls.ts)`,
      { cause: error, retriable: false },
    );
  if (types.some((type) => invalidRequest.has(type)))
    return new AppError('invalid_argument', message, { cause: error });
  return new AppError('unavailable', message, { cause: error });
}
