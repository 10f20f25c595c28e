import { AppError } from '@flywheel/core';
import { apiTokenPrefix, createApiTokenVerifier } from './api-tokens.ts';
import type { EnabledAuthConfig } from './auth-config.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import type { Principal } from './principal.ts';

/** Turns a call's `authorization` header into its verified principal. */
export interface Authenticator {
  /** Rejects `unauthenticated` for a missing, malformed or refused credential; never echoes it. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

/**
 * The authenticator of an enabled {@link EnabledAuthConfig}: `Bearer fw_…` is a service-account
 * token, any other bearer token a JWT.
 */
export function createAuthenticator(config: EnabledAuthConfig): Authenticator {
  const jwt = config.jwt ? createJwtVerifier(config.jwt) : undefined;
  const apiToken = config.apiTokensFile ? createApiTokenVerifier(config.apiTokensFile) : undefined;
  return {
    authenticate: async (authorization) => {
      if (authorization === undefined || authorization === '') {
        throw new AppError(
          'unauthenticated',
          'this call needs a credential: send "authorization: Bearer <token>"',
        );
      }
      const match = /^bearer +(?<token>\S+)$/i.exec(authorization.trim());
      const token = match?.groups?.token;
      if (!token) throw new AppError('unauthenticated', 'the authorization header must be "Bearer <token>"');
      if (token.startsWith(apiTokenPrefix)) {
        if (!apiToken) throw new AppError('unauthenticated', 'API tokens are not accepted here');
        return apiToken(token);
      }
      if (!jwt) throw new AppError('unauthenticated', 'JWTs are not accepted here; use an API token');
      return jwt(token);
    },
  };
}
