import { AppError, abortError, type ErrorCodeName, isUntrustedCertificateCode } from '@flywheel/core';

/** S3 error codes (from the XML body, or minio's stand-ins for body-less HEAD replies) → AppError codes. */
const s3Codes: Readonly<Record<string, ErrorCodeName>> = {
  NoSuchKey: 'not_found',
  NotFound: 'not_found',
  NoSuchBucket: 'not_found',
  NoSuchUpload: 'not_found',
  InvalidAccessKeyId: 'unauthenticated',
  // versitygw's answer to an unknown access key, where AWS says InvalidAccessKeyId.
  XAdminUserNotFound: 'unauthenticated',
  SignatureDoesNotMatch: 'unauthenticated',
  InvalidToken: 'unauthenticated',
  ExpiredToken: 'unauthenticated',
  TokenRefreshRequired: 'unauthenticated',
  AuthorizationHeaderMalformed: 'unauthenticated',
  MissingSecurityHeader: 'unauthenticated',
  RequestTimeTooSkewed: 'unauthenticated',
  AccessDenied: 'permission_denied',
  AllAccessDisabled: 'permission_denied',
  AccountProblem: 'permission_denied',
  BucketAlreadyExists: 'already_exists',
  InvalidBucketName: 'invalid_argument',
  KeyTooLongError: 'invalid_argument',
  EntityTooLarge: 'resource_exhausted',
  TooManyBuckets: 'resource_exhausted',
  PreconditionFailed: 'failed_precondition',
  InvalidObjectState: 'failed_precondition',
  NotImplemented: 'unimplemented',
  SlowDown: 'unavailable',
  ServiceUnavailable: 'unavailable',
  InternalError: 'unavailable',
  RequestTimeout: 'unavailable',
  OperationAborted: 'unavailable',
  IncompleteBody: 'unavailable',
  // The bytes changed between our hash and the server's: corrupted in transit, so trying again helps.
  BadDigest: 'unavailable',
  XAmzContentSHA256Mismatch: 'unavailable',
};

/** Socket and DNS failures: the server cannot be reached right now. */
const transientErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CONSTANT',
]);

/** minio's client-side validation errors, by class name. */
const clientErrorNames = new Set([
  'InvalidArgumentError',
  'InvalidBucketNameError',
  'InvalidObjectNameError',
  'InvalidEndpointError',
  'InvalidPortError',
  'InvalidPrefixError',
]);

/** Where an S3 call went, for error messages. */
export interface S3Target {
  endpoint: string;
  bucket: string;
  key?: string;
}

/**
 * Turns whatever an S3 call threw into an AppError: an aborted `signal` wins (`cancelled` /
 * `deadline_exceeded`); S3 error codes map to their meaning (unrecognised ones are `unknown`);
 * refused or dropped connections are `unavailable` (retriable); the rest is `internal`.
 * `operation` says what was being done.
 */
export function s3Error(
  thrown: unknown,
  operation: string,
  target: S3Target,
  signal?: AbortSignal,
): AppError {
  if (thrown instanceof AppError) return thrown;
  if (signal?.aborted) return abortError(signal);
  const where = `bucket "${target.bucket}"${target.key === undefined ? '' : `, key "${target.key}"`}`;
  const details: Record<string, string> = { bucket: target.bucket, endpoint: target.endpoint };
  if (target.key !== undefined) details.key = target.key;
  if (!(thrown instanceof Error)) {
    return new AppError('internal', `S3 ${operation} (${where}) failed: ${String(thrown)}`, {
      cause: thrown,
      details,
    });
  }
  const code = (thrown as { code?: unknown }).code;
  if (thrown.name === 'S3Error' && typeof code === 'string') {
    details.s3Code = code;
    const mapped = s3Codes[code] ?? 'unknown';
    return new AppError(
      mapped,
      `S3 ${operation} (${where}): ${code}: ${thrown.message}${hint(mapped, code)}`,
      {
        cause: thrown,
        details,
      },
    );
  }
  if (typeof code === 'string' && transientErrnos.has(code)) {
    details.errno = code;
    return new AppError(
      'unavailable',
      `S3 ${operation} (${where}): cannot reach ${target.endpoint}: ${code} ${thrown.message}`,
      {
        cause: thrown,
        details,
      },
    );
  }
  if (isUntrustedCertificateCode(code)) {
    details.errno = code;
    return new AppError(
      'failed_precondition',
      `S3 ${operation} (${where}): the TLS certificate of ${target.endpoint} is not trusted: ${code} ${thrown.message} (check FLYWHEEL_S3_TLS_CA)`,
      { cause: thrown, details, retriable: false },
    );
  }
  // Node's message when a response is cut off mid-body.
  if (thrown.message === 'aborted' || /socket hang up/i.test(thrown.message)) {
    return new AppError(
      'unavailable',
      `S3 ${operation} (${where}): connection to ${target.endpoint} lost: ${thrown.message}`,
      {
        cause: thrown,
        details,
      },
    );
  }
  if (clientErrorNames.has(thrown.name)) {
    return new AppError('invalid_argument', `S3 ${operation} (${where}): ${thrown.message}`, {
      cause: thrown,
      details,
    });
  }
  const mapped = AppError.from(thrown);
  return new AppError(mapped.code, `S3 ${operation} (${where}): ${thrown.message}`, {
    cause: thrown,
    details,
  });
}

function hint(code: ErrorCodeName, s3Code: string): string {
  if (s3Code === 'RequestTimeTooSkewed') return " (this machine's clock is off; fix its time)";
  if (s3Code === 'AuthorizationHeaderMalformed') return ' (check the region the client signs for)';
  if (code === 'unauthenticated')
    return ' (the server refused these credentials: check the access key and secret key)';
  if (code === 'permission_denied') return ' (the credentials are valid but not allowed to do this)';
  return '';
}
