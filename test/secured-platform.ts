// Everything a secured deployment of the six services needs, made for one test run in a temp
// directory: a test CA with one client certificate per service (mTLS between services), the
// certificate-principal file of every service, an IdP whose JWT the data scientist calls with,
// an event signing key per service and the JWKS of all producers. docs/security.md explains each.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EnabledTlsConfig } from '@flywheel/rpc';
import type { ServiceName } from '@flywheel/runtime';
import { makeTestCertificates } from '@flywheel/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const issuer = 'https://idp.flywheel.test';
const audience = 'flywheel';
const services: readonly ServiceName[] = [
  'registry',
  'feature-store',
  'monitoring',
  'serving',
  'scheduler',
  'orchestrator',
];

/**
 * Which services call which (their peers in `FLYWHEEL_*_GRPC_ADDRESS`): a service's certificate is
 * mapped only in the principal files of the peers it calls, so it is refused everywhere else.
 * Where it is mapped it is a platform admin: each of these calls acts for every team (serving
 * resolves and reads every team's models and features, monitoring every monitored model's,
 * the orchestrator runs every team's pipelines), and there is no cross-team role below it.
 */
const callers: Readonly<Record<ServiceName, readonly ServiceName[]>> = {
  registry: ['serving', 'monitoring', 'orchestrator'],
  'feature-store': ['serving', 'monitoring', 'orchestrator'],
  monitoring: ['orchestrator'],
  serving: ['orchestrator'],
  scheduler: ['orchestrator'],
  orchestrator: [],
};

/** The subject of a service's client certificate (its SAN URI, from `test-ca.sh client`). */
export const serviceCertificate = (name: ServiceName): string => `spiffe://flywheel/${name}`;

/** The principal a peer maps that certificate to: the name the service acts under on events too. */
export const servicePrincipal = (name: ServiceName): string => `service:${name}`;

export interface SecuredPlatform {
  /** The `FLYWHEEL_AUTH*`, `FLYWHEEL_TLS*` and `FLYWHEEL_EVENT_*` settings of one service. */
  env(service: ServiceName): Record<string, string>;
  /**
   * The data scientist: `user:alice`, editor of the team, calling with her JWT over TLS with a
   * client certificate of the CA (`require` asks every connection for one; the token is her identity).
   */
  readonly dataScientist: { subject: string; tls: EnabledTlsConfig; token: string };
  /** The TLS a service's clients use: its own client certificate. */
  serviceTls(service: ServiceName): EnabledTlsConfig;
  /** A service's private event signing key (JWK), to publish as that service does. */
  signingKey(service: ServiceName): Record<string, unknown>;
  /** Every secret the run handed out, to check none reaches a log. */
  readonly secrets: readonly string[];
}

/**
 * `options.caFile`: a test CA (`ca.pem`, `ca-key.pem` beside it) to issue the run's certificates
 * from instead of a new one, e.g. the one the test Prometheus trusts and scrapes HTTPS with.
 */
export async function makeSecuredPlatform(
  team: string,
  options: { caFile?: string } = {},
): Promise<SecuredPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-secured-'));
  const tlsDir = join(dir, 'tls');
  if (options.caFile) {
    // test-ca.sh reuses a CA it finds in its directory.
    mkdirSync(tlsDir);
    copyFileSync(options.caFile, join(tlsDir, 'ca.pem'));
    copyFileSync(join(dirname(options.caFile), 'ca-key.pem'), join(tlsDir, 'ca-key.pem'));
  }
  const certs = await makeTestCertificates(tlsDir, [...services, 'data-scientist']);

  const idp = await generateKeyPair('ES256', { extractable: true });
  const jwksFile = join(dir, 'idp.jwks.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' }] }),
  );
  const subject = 'user:alice';
  const token = await new SignJWT({ roles: [`${team}:editor`] })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(subject)
    .setExpirationTime('1h')
    .sign(idp.privateKey);

  const signingKeys = new Map<ServiceName, Record<string, unknown>>();
  const publicKeys: Record<string, unknown>[] = [];
  for (const name of services) {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    signingKeys.set(name, (await exportJWK(pair.privateKey)) as Record<string, unknown>);
    publicKeys.push({ ...(await exportJWK(pair.publicKey)), kid: `flywheel/${name}` });
    writeFileSync(join(dir, `${name}.event-key.json`), JSON.stringify(signingKeys.get(name)));
  }
  const producersFile = join(dir, 'producers.jwks.json');
  writeFileSync(producersFile, JSON.stringify({ keys: publicKeys }));
  for (const name of services) {
    const grants = Object.fromEntries(
      callers[name].map((caller) => [
        serviceCertificate(caller),
        { roles: ['platform:admin'], service: caller },
      ]),
    );
    writeFileSync(join(dir, `${name}.cert-principals.json`), JSON.stringify(grants));
  }

  const tlsOf = (client: string): EnabledTlsConfig => ({
    enabled: true,
    certFile: certs.server.cert,
    keyFile: certs.server.key,
    caFile: certs.ca,
    clientAuth: 'require',
    clientCertFile: certs.clients[client]!.cert,
    clientKeyFile: certs.clients[client]!.key,
    reloadMs: 300_000,
  });
  const secretFiles = [certs.server.key, ...Object.values(certs.clients).map((c) => c.key)];
  const pemBodies = secretFiles.map(
    (file) =>
      // A distinctive line of each private key's base64 body.
      readFileSync(file, 'utf8').split('\n')[1]!,
  );
  return {
    env: (name) => ({
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_ISSUER: issuer,
      FLYWHEEL_AUTH_AUDIENCE: audience,
      FLYWHEEL_AUTH_JWKS_FILE: jwksFile,
      FLYWHEEL_AUTH_CERT_PRINCIPALS: join(dir, `${name}.cert-principals.json`),
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_TLS_CA: certs.ca,
      FLYWHEEL_TLS_CLIENT_AUTH: 'require',
      FLYWHEEL_TLS_CLIENT_CERT: certs.clients[name]!.cert,
      FLYWHEEL_TLS_CLIENT_KEY: certs.clients[name]!.key,
      // FLYWHEEL_EVENT_PRODUCERS unset: with auth on, each type only from its owning service.
      FLYWHEEL_EVENT_KEYS_FILE: producersFile,
      FLYWHEEL_EVENT_SIGNING_KEY_FILE: join(dir, `${name}.event-key.json`),
    }),
    dataScientist: { subject, tls: tlsOf('data-scientist'), token },
    serviceTls: tlsOf,
    signingKey: (name) => signingKeys.get(name)!,
    secrets: [
      token,
      ...pemBodies,
      ...[...signingKeys.values()].map((jwk) => String(jwk.d)),
      ...(process.env.FLYWHEEL_KAFKA_SASL_PASSWORD ? [process.env.FLYWHEEL_KAFKA_SASL_PASSWORD] : []),
      ...(process.env.FLYWHEEL_S3_SECRET_KEY ? [process.env.FLYWHEEL_S3_SECRET_KEY] : []),
    ],
  };
}
