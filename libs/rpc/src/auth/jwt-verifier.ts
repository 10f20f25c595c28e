import { readFile } from 'node:fs/promises';
import { AppError } from '@flywheel/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { EnabledAuthConfig } from './auth-config.ts';
import { type Principal, principalOf } from './principal.ts';

type JwtConfig = NonNullable<EnabledAuthConfig['jwt']>;

/** Verifies a bearer JWT and maps it to its principal. */
export type JwtVerifier = (token: string) => Promise<Principal>;

/**
 * A JWT verifier over `jose`: signature against the JWKS (only the configured asymmetric
 * algorithms, so `alg: none` and HMAC signed with a public key are refused), `iss`, `aud`,
 * `exp`/`nbf` within the clock skew, a `sub`. An unknown `kid` refetches the JWKS (a URL through
 * jose's own cooldown, a file by re-reading it), at most once per `jwksRefetchMs`: keys can
 * rotate without a restart, and a flood of unknown kids cannot hammer the issuer. Failures are
 * `unauthenticated` with the reason, never the token.
 */
export function createJwtVerifier(config: JwtConfig, now: () => number = Date.now): JwtVerifier {
  const keys =
    'url' in config.jwks
      ? createRemoteJWKSet(config.jwks.url, {
          cooldownDuration: config.jwksRefetchMs,
          cacheMaxAge: config.jwksMaxAgeMs,
        })
      : fileKeySet(config.jwks.file, config.jwksRefetchMs, now);
  return async (token) => {
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: Math.round(config.clockSkewMs / 1000),
        currentDate: new Date(now()),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw refusal(error);
    }
    const grants = payload[config.rolesClaim] ?? [];
    if (!Array.isArray(grants)) {
      throw new AppError(
        'unauthenticated',
        `the token's "${config.rolesClaim}" claim must be an array of role grants`,
      );
    }
    return principalOf(payload.sub as string, grants);
  };
}

/** A JWKS file, re-read when a token names a key it does not hold (rate-limited). */
function fileKeySet(file: string, refetchMs: number, now: () => number): JWTVerifyGetKey {
  let current: Promise<{ keys: JWTVerifyGetKey; readAt: number }> | undefined;
  const load = (): Promise<{ keys: JWTVerifyGetKey; readAt: number }> =>
    readFile(file, 'utf8').then(
      (text) => ({ keys: createLocalJWKSet(JSON.parse(text) as JSONWebKeySet), readAt: now() }),
      (error: unknown) => {
        current = undefined;
        throw new AppError('unavailable', `cannot read the JWKS file ${file}: ${(error as Error).message}`);
      },
    );
  return async (header, token) => {
    current ??= load();
    const set = await current;
    try {
      return await set.keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - set.readAt < refetchMs) throw error;
      current = load();
      return (await current).keys(header, token);
    }
  };
}

/** Why a token was refused, as an AppError that never carries the token. */
function refusal(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWKSTimeout || (error instanceof Error && error.name === 'TypeError')) {
    return new AppError('unavailable', 'the JWKS cannot be fetched; try again');
  }
  const reasons: Record<string, string> = {
    ERR_JWT_EXPIRED: 'the token has expired',
    ERR_JWT_CLAIM_VALIDATION_FAILED: 'a claim of the token is not accepted',
    ERR_JOSE_ALG_NOT_ALLOWED: 'the token is signed with an algorithm that is not accepted',
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'the token signature does not verify',
    ERR_JWKS_NO_MATCHING_KEY: 'the token is signed by an unknown key',
    ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'the token names no key and several could match',
    ERR_JWS_INVALID: 'the token is not a valid JWS',
    ERR_JWT_INVALID: 'the token is not a valid JWT',
    ERR_JOSE_NOT_SUPPORTED: 'the token uses an unsupported algorithm or key',
    ERR_JWKS_INVALID: 'the JWKS is not valid',
  };
  const code = error instanceof errors.JOSEError ? error.code : '';
  let reason = reasons[code] ?? 'the token cannot be verified';
  // Which claim failed helps the caller and reveals nothing of the token.
  if (error instanceof errors.JWTClaimValidationFailed)
    reason = `the token's "${error.claim}" claim is not accepted (${error.reason})`;
  return new AppError('unauthenticated', reason);
}
