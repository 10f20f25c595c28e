import type { ConfigReader } from '@flywheel/core';

/** Asymmetric JWS algorithms a token may be signed with; HMAC (`HS*`) and `none` are never accepted. */
export const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];

/** Who may call, read once from `FLYWHEEL_AUTH_*`. Off: every call runs as the one local principal. */
export type AuthConfig = { readonly enabled: false } | EnabledAuthConfig;

export interface EnabledAuthConfig {
  readonly enabled: true;
  /** JWT verification; absent when only service-account tokens are accepted. */
  readonly jwt?: {
    /** Expected `iss`. */
    readonly issuer: string;
    /** Expected `aud` (one of the token's). */
    readonly audience: string;
    /** The JWKS: a file path, or an https/http URL. */
    readonly jwks: { readonly file: string } | { readonly url: URL };
    readonly algorithms: readonly AsymmetricAlgorithm[];
    /** Tolerance on `exp`/`nbf`/`iat`, ms. */
    readonly clockSkewMs: number;
    /** A token with an unknown `kid` refetches the JWKS at most this often, ms. */
    readonly jwksRefetchMs: number;
    /** A fetched JWKS URL is used at most this long before it is fetched again, ms. */
    readonly jwksMaxAgeMs: number;
    /** The claim holding the role grants (`"<team>:<role>"`, `"platform:admin"`). */
    readonly rolesClaim: string;
  };
  /** The file of hashed service-account tokens; absent when none are accepted. */
  readonly apiTokensFile?: string;
  /**
   * The file mapping verified client certificates' subjects (URI SAN, else CN) to role grants;
   * absent when certificates are no credential. Needs `FLYWHEEL_TLS_CLIENT_AUTH` request or require.
   */
  readonly certPrincipalsFile?: string;
}

/**
 * Reads `FLYWHEEL_AUTH` (`off` | `on`, default `off`) and, when on, `FLYWHEEL_AUTH_ISSUER`,
 * `FLYWHEEL_AUTH_AUDIENCE`, `FLYWHEEL_AUTH_JWKS_FILE` or `FLYWHEEL_AUTH_JWKS_URL`,
 * `FLYWHEEL_AUTH_ALGORITHMS`, `FLYWHEEL_AUTH_CLOCK_SKEW`, `FLYWHEEL_AUTH_JWKS_REFETCH`,
 * `FLYWHEEL_AUTH_JWKS_MAX_AGE`, `FLYWHEEL_AUTH_ROLES_CLAIM`, `FLYWHEEL_AUTH_API_TOKENS_FILE`,
 * `FLYWHEEL_AUTH_CERT_PRINCIPALS`. On needs a JWKS, a token file or a certificate principal file. Problems go to `reader`.
 */
export function readAuthConfig(reader: ConfigReader): AuthConfig {
  const mode = reader.oneOf('FLYWHEEL_AUTH', ['off', 'on'], 'off');
  if (mode === 'off') return { enabled: false };
  const apiTokensFile = reader.optional('FLYWHEEL_AUTH_API_TOKENS_FILE');
  const certPrincipalsFile = reader.optional('FLYWHEEL_AUTH_CERT_PRINCIPALS');
  const jwksFile = reader.optional('FLYWHEEL_AUTH_JWKS_FILE');
  const jwksUrl = reader.url('FLYWHEEL_AUTH_JWKS_URL', ['https:', 'http:']);
  if (jwksFile && jwksUrl)
    reader.problem('FLYWHEEL_AUTH_JWKS_FILE', 'and FLYWHEEL_AUTH_JWKS_URL: set one, not both');
  if (
    !jwksFile &&
    !jwksUrl &&
    !apiTokensFile &&
    !certPrincipalsFile &&
    !reader.optional('FLYWHEEL_AUTH_JWKS_URL')
  ) {
    reader.problem(
      'FLYWHEEL_AUTH',
      'is on but nothing can verify a caller: set FLYWHEEL_AUTH_JWKS_FILE or FLYWHEEL_AUTH_JWKS_URL (JWTs), FLYWHEEL_AUTH_API_TOKENS_FILE and/or FLYWHEEL_AUTH_CERT_PRINCIPALS (mTLS)',
    );
  }
  const config: { -readonly [K in keyof EnabledAuthConfig]: EnabledAuthConfig[K] } = { enabled: true };
  if (apiTokensFile) config.apiTokensFile = apiTokensFile;
  if (certPrincipalsFile) config.certPrincipalsFile = certPrincipalsFile;
  if (jwksFile || jwksUrl) {
    const issuer = reader.optional('FLYWHEEL_AUTH_ISSUER');
    const audience = reader.optional('FLYWHEEL_AUTH_AUDIENCE');
    if (!issuer)
      reader.problem('FLYWHEEL_AUTH_ISSUER', 'is required with a JWKS: the expected "iss" of tokens');
    if (!audience)
      reader.problem('FLYWHEEL_AUTH_AUDIENCE', 'is required with a JWKS: the expected "aud" of tokens');
    const algorithms = reader
      .string('FLYWHEEL_AUTH_ALGORITHMS', 'RS256,PS256,ES256,EdDSA')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    for (const alg of algorithms) {
      if (!(asymmetricAlgorithms as readonly string[]).includes(alg)) {
        reader.problem(
          'FLYWHEEL_AUTH_ALGORITHMS',
          `may list only asymmetric algorithms (${asymmetricAlgorithms.join(', ')}), got "${alg}"`,
        );
      }
    }
    const clockSkewMs = reader.durationMs('FLYWHEEL_AUTH_CLOCK_SKEW', '30s');
    if (clockSkewMs > 300_000) reader.problem('FLYWHEEL_AUTH_CLOCK_SKEW', 'must be at most 5m');
    config.jwt = {
      issuer: issuer ?? '',
      audience: audience ?? '',
      jwks: jwksFile ? { file: jwksFile } : { url: jwksUrl as URL },
      algorithms: algorithms as AsymmetricAlgorithm[],
      clockSkewMs,
      jwksRefetchMs: reader.durationMs('FLYWHEEL_AUTH_JWKS_REFETCH', '30s'),
      jwksMaxAgeMs: reader.durationMs('FLYWHEEL_AUTH_JWKS_MAX_AGE', '10m'),
      rolesClaim: reader.string('FLYWHEEL_AUTH_ROLES_CLAIM', 'roles'),
    };
  }
  return config;
}
