import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { makeTestCertificates, repoRoot } from '@flywheel/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSdk } from './python-sdk-install.ts';

const run = promisify(execFile);
const issuer = 'https://idp.flywheel.test';
const audience = 'flywheel-registry';

describe('the Python SDK over TLS with a token, both from the context file, against a registry with auth on', () => {
  let dir: string;
  let registry: SpawnedService;
  let config: string;

  beforeAll(async () => {
    await installSdk();
    dir = await mkdtemp(join(tmpdir(), 'flywheel-py-sdk-secured-'));
    const key = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(key.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    const certs = await makeTestCertificates(join(dir, 'tls'), []);
    registry = await spawnService('registry', {
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_ISSUER: issuer,
      FLYWHEEL_AUTH_AUDIENCE: audience,
      FLYWHEEL_AUTH_JWKS_FILE: join(dir, 'jwks.json'),
    });
    const token = await new SignJWT({ roles: ['team-a:editor'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('user:py')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(key.privateKey);
    config = join(dir, 'config.yaml');
    await writeFile(
      config,
      `contexts:\n  secured:\n    addresses: { registry: "${registry.address}" }\n    tls: { ca: "${certs.ca}" }\n    token: ${token}\n`,
    );
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers as the token’s team; a bad token is UNAUTHENTICATED, plaintext to the TLS port UNAVAILABLE', async () => {
    const { stdout } = await run(process.env.FLYWHEEL_PYTHON ?? 'python3', ['test/python/sdk_secured.py'], {
      cwd: repoRoot,
      env: { ...process.env, FLYWHEEL_CONFIG: config },
      timeout: 120_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      registered: ['secured-rain', 'team-a', ['champion']],
      bad_token: 'UNAUTHENTICATED',
      plaintext: 'UNAVAILABLE',
    });
  }, 150_000);
});
