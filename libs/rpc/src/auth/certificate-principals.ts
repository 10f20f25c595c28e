import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import { AppError } from '@flywheel/core';
import { fileReloadedOnChange } from './file-reloaded-on-change.ts';
import { type Principal, principalOf, servicePrincipalOf } from './principal.ts';

// A verified client certificate (mTLS) as a principal: its subject is the certificate's first URI
// SAN (a SPIFFE id, `spiffe://flywheel/alice`), else its CN; a file maps subjects to role grants,
// and names the certificates of the platform's own services.

/**
 * The file `FLYWHEEL_AUTH_CERT_PRINCIPALS` names: certificate subject → its grants, and for a
 * service's certificate the service's name (its principal is then `service:<name>`).
 */
export type CertificatePrincipalFile = Readonly<
  Record<string, { readonly roles: readonly string[]; readonly service?: string }>
>;

/** Turns a verified client certificate into its principal. */
export type CertificatePrincipals = (certificate: PeerCertificate) => Promise<Principal>;

/** The subject of a certificate: its first URI SAN, else its CN; undefined when it has neither. */
export function certificateSubjectOf(certificate: PeerCertificate): string | undefined {
  const uri = (certificate.subjectaltname ?? '')
    .split(/,\s*/)
    .find((name) => name.startsWith('URI:'))
    ?.slice('URI:'.length);
  const cn = certificate.subject?.CN;
  return uri || (Array.isArray(cn) ? cn[0] : cn) || undefined;
}

/**
 * Maps certificates to principals by `file`, re-read when it changed (checked at most every
 * `recheckMs`, default 1 s). A subject the file does not name is `unauthenticated`: a certificate
 * of the CA proves who the caller is, not that it may call.
 */
export function createCertificatePrincipals(file: string, recheckMs = 1_000): CertificatePrincipals {
  const current = fileReloadedOnChange(
    file,
    readCertificatePrincipals,
    new Map<string, Principal>(),
    recheckMs,
  );
  return async (certificate) => {
    const bySubject = await current();
    const subject = certificateSubjectOf(certificate);
    const principal = subject === undefined ? undefined : bySubject.get(subject);
    if (!principal) {
      throw new AppError(
        'unauthenticated',
        subject === undefined
          ? 'the client certificate has neither a URI SAN nor a CN to name a principal'
          : `the client certificate's subject "${subject}" is not mapped to a principal (FLYWHEEL_AUTH_CERT_PRINCIPALS)`,
      );
    }
    return principal;
  };
}

/** Reads and checks the mapping file: every entry's grants must be well formed. */
async function readCertificatePrincipals(file: string): Promise<Map<string, Principal>> {
  let parsed: CertificatePrincipalFile;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as CertificatePrincipalFile;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('it is not a JSON object of subject → { "roles": [...] }');
  } catch (error) {
    throw new AppError(
      'unavailable',
      `cannot read the certificate principal file ${file}: ${(error as Error).message}`,
    );
  }
  const out = new Map<string, Principal>();
  for (const [subject, entry] of Object.entries(parsed)) {
    if (!Array.isArray(entry?.roles)) {
      throw new AppError('unavailable', `${file}: "${subject}" needs a "roles" list`);
    }
    const service = entry.service;
    if (service === undefined) {
      out.set(subject, principalOf(subject, entry.roles));
      continue;
    }
    try {
      out.set(subject, servicePrincipalOf(service, entry.roles));
    } catch {
      throw new AppError(
        'unavailable',
        `${file}: "${subject}".service must be a service name such as "serving"`,
      );
    }
  }
  return out;
}
