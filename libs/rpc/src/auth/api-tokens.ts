import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { AppError } from '@flywheel/core';
import { fileReloadedOnChange } from './file-reloaded-on-change.ts';
import { type Principal, principalOf, servicePrincipalOf } from './principal.ts';

// Service-account tokens: `fw_<id>_<secret>`. The file keeps only SHA-256 of the secret: 256
// random bits need no slow hash (nothing to brute-force), and verifying stays one hash a call.

/** The prefix every Flywheel service-account token starts with. */
export const apiTokenPrefix = 'fw_';

/** One stored service-account token: never the token itself. */
export interface ApiTokenRecord {
  /** Public id, the token's second part: how the token is found and revoked. */
  readonly id: string;
  /** Hex SHA-256 of the token's secret part. */
  readonly sha256: string;
  /** `service:<name>` for a service's token. */
  readonly subject: string;
  /**
   * Set for a token of one of the platform's own services: it verifies to `service:<name>` with
   * the standing of the service's certificate (may send `flywheel-on-behalf-of`).
   */
  readonly service?: string;
  /** Role grants: `"<team>:viewer|editor|admin"`, `"platform:admin"`. */
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface ApiTokenFile {
  readonly tokens: readonly ApiTokenRecord[];
}

const tokenPattern = /^fw_(?<id>[a-z0-9]{12})_(?<secret>[A-Za-z0-9_-]{43})$/;

/**
 * A new token and its record; the token is shown once and never stored. With `service`, the
 * token is that service's own (`subject` is then `service:<name>`, whatever was given).
 */
export function mintApiToken(
  subject: string,
  roles: readonly string[],
  service?: string,
): { token: string; record: ApiTokenRecord } {
  // Refuses a malformed grant or service name before anything is written.
  const principal = service === undefined ? principalOf(subject, roles) : servicePrincipalOf(service, roles);
  const id = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return {
    token: `${apiTokenPrefix}${id}_${secret}`,
    record: {
      id,
      sha256: sha256(secret),
      subject: principal.subject,
      ...(service === undefined ? {} : { service }),
      roles: [...roles],
      createdAt: new Date().toISOString(),
    },
  };
}

/** Reads a token file (a missing file holds no tokens). */
export async function readApiTokenFile(file: string): Promise<ApiTokenFile> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as ApiTokenFile;
    if (!Array.isArray(parsed.tokens)) throw new Error('it has no "tokens" array');
    return parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw new AppError('unavailable', `cannot read the API token file ${file}: ${(error as Error).message}`);
  }
}

/** Writes a token file atomically (mode 0600: hashes only, but still nobody else's business). */
export async function writeApiTokenFile(file: string, content: ApiTokenFile): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** Verifies `fw_…` tokens. */
export type ApiTokenVerifier = (token: string) => Promise<Principal>;

/**
 * Verifies service-account tokens against `file`, re-read when it changed (checked at most every
 * `recheckMs`, default 1 s), so a token created or revoked by a platform admin counts within a
 * second, with no restart. Unknown, revoked or malformed: `unauthenticated`, never echoing the token.
 */
export function createApiTokenVerifier(file: string, recheckMs = 1_000): ApiTokenVerifier {
  const current = fileReloadedOnChange(
    file,
    async (path) => new Map((await readApiTokenFile(path)).tokens.map((t) => [t.id, t])),
    new Map<string, ApiTokenRecord>(),
    recheckMs,
  );
  return async (token) => {
    const byId = await current();
    const match = tokenPattern.exec(token);
    const record = match?.groups ? byId.get(match.groups.id!) : undefined;
    if (!match?.groups || !record || !sameHash(record.sha256, sha256(match.groups.secret!))) {
      throw new AppError('unauthenticated', 'the API token is not known');
    }
    if (record.revokedAt) throw new AppError('unauthenticated', `API token ${record.id} was revoked`);
    return record.service === undefined
      ? principalOf(record.subject, record.roles)
      : servicePrincipalOf(record.service, record.roles);
  };
}

function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
