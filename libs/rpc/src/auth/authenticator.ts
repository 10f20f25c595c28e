import type { PeerCertificate } from 'node:tls';
import { AppError } from '@flywheel/core';
import { apiTokenPrefix, createApiTokenVerifier } from './api-tokens.ts';
import type { EnabledAuthConfig } from './auth-config.ts';
import { createCertificatePrincipals } from './certificate-principals.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import type { Principal } from './principal.ts';

/** Turns a call's `authorization` header, or its verified client certificate, into its principal. */
export interface Authenticator {
  /**
   * Rejects `unauthenticated` for a missing, malformed or refused credential; never echoes it.
   * `certificate` is the client certificate of an mTLS connection, given only once the TLS layer
   * verified it against the CA.
   */
  authenticate(authorization: string | undefined, certificate?: PeerCertificate): Promise<Principal>;
}

/**
 * The authenticator of an enabled {@link EnabledAuthConfig}: `Bearer fw_…` is a service-account
 * token, any other bearer token a JWT; with no token, a verified client certificate mapped by
 * `FLYWHEEL_AUTH_CERT_PRINCIPALS`. A token wins over the certificate: the certificate then only
 * secures the connection (a service forwarding a user's call presents its own certificate and the
 * user's token).
 */
export function createAuthenticator(config: EnabledAuthConfig): Authenticator {
  const jwt = config.jwt ? createJwtVerifier(config.jwt) : undefined;
  const apiToken = config.apiTokensFile ? createApiTokenVerifier(config.apiTokensFile) : undefined;
  const byCertificate = config.certPrincipalsFile
    ? createCertificatePrincipals(config.certPrincipalsFile)
    : undefined;
  return {
    authenticate: async (authorization, certificate) => {
      if (authorization === undefined || authorization === '') {
        if (certificate && byCertificate) return byCertificate(certificate);
        throw new AppError(
          'unauthenticated',
          byCertificate
            ? 'this call needs a credential: send "authorization: Bearer <token>" or a client certificate of the CA'
            : 'this call needs a credential: send "authorization: Bearer <token>"',
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
