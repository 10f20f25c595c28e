import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root.ts';

const run = promisify(execFile);

/** A certificate and its key, PEM files. */
export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

/** What {@link makeTestCertificates} made in its directory. */
export interface TestCertificates {
  readonly dir: string;
  /** The test CA's certificate. */
  readonly ca: string;
  /** The loopback server certificate (127.0.0.1, ::1, localhost; server and client auth). */
  readonly server: CertificatePair;
  /** A client certificate per name: CN=name, SAN URI spiffe://flywheel/name, signed by the test CA. */
  readonly clients: Readonly<Record<string, CertificatePair>>;
  /** Another CA's certificate, and a client certificate `stranger` it signed (for "wrong CA" tests). */
  readonly otherCa: string;
  readonly stranger: CertificatePair;
}

/**
 * Makes a test CA, the loopback server certificate and the named client certificates in `dir`
 * with `scripts/servers/test-ca.sh` (openssl), plus a second CA with a client `stranger`.
 */
export async function makeTestCertificates(
  dir: string,
  clients: readonly string[],
): Promise<TestCertificates> {
  const script = join(repoRoot, 'scripts/servers/test-ca.sh');
  const env = { ...process.env, FLYWHEEL_TLS_DIR: dir };
  const ca = async (...args: string[]) => run(script, args, { env, timeout: 60_000 });
  await ca('ensure');
  for (const name of clients) await ca('client', name);
  await ca('ca', 'other-ca');
  await ca('client', 'stranger', 'other-ca');
  const pair = (name: string): CertificatePair => ({
    cert: join(dir, `${name}.pem`),
    key: join(dir, `${name}-key.pem`),
  });
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    server: pair('server'),
    clients: Object.fromEntries(clients.map((name) => [name, pair(name)])),
    otherCa: join(dir, 'other-ca.pem'),
    stranger: pair('stranger'),
  };
}
