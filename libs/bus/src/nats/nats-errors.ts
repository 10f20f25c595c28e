import { AppError, messageOf } from '@flywheel/core';
import { raceSignal } from '../delivery/race-signal.ts';

/** The JetStream API error codes the adapter acts on. */
export const jetStreamErrorCode = {
  consumerNotFound: 10014,
  streamNameInUse: 10058,
  streamNotFound: 10059,
} as const;

/** TLS verification failures of Node: the server's certificate is not one the configured CAs signed. */
const certificateErrorCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `error` and its causes, outermost first (nats.js wraps the server's answer in RequestError). */
function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/**
 * An AppError for a nats.js failure: bad names or arguments are `invalid_argument`; a subject the
 * server's permissions refuse `permission_denied` naming the subject; a refused user or password
 * `unauthenticated`; a server certificate the configured CAs did not sign `failed_precondition` —
 * none of these retried; everything else (timeouts, no responders, lost connection, JetStream
 * unavailable) `unavailable`, which is retriable.
 */
export function natsError(error: unknown, doing: string): AppError {
  if (error instanceof AppError) return error;
  const chain = causesOf(error);
  const name = error instanceof Error ? error.name : '';
  const message = `nats: ${doing} failed: ${messageOf(error)}`;
  if (name === 'InvalidArgumentError' || name === 'InvalidSubjectError' || name === 'InvalidNameError') {
    return new AppError('invalid_argument', message, { cause: error });
  }
  const refused = chain.find((e) => e instanceof Error && e.name === 'PermissionViolationError') as
    | (Error & { operation?: string; subject?: string })
    | undefined;
  if (refused) {
    return new AppError(
      'permission_denied',
      `nats: ${doing} failed: the server's permissions refuse ${refused.operation ?? 'publish'} to "${refused.subject ?? '?'}" (see scripts/nats-permissions.ts)`,
      { cause: error },
    );
  }
  if (chain.some((e) => e instanceof Error && e.name === 'AuthorizationError')) {
    return new AppError(
      'unauthenticated',
      `nats: ${doing} failed: the server refused the user or password (authorization violation)`,
      {
        cause: error,
      },
    );
  }
  const tls = chain.find((e) => certificateErrorCodes.has(String((e as { code?: unknown }).code)));
  if (tls) {
    return new AppError(
      'failed_precondition',
      `nats: ${doing} failed: the server's certificate is not trusted (${messageOf(tls)}; see FLYWHEEL_NATS_TLS_CA)`,
      { cause: error },
    );
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
