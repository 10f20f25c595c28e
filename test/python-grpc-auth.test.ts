import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';
import { makeTestCertificates, repoRoot, type TestCertificates } from '@flywheel/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const run = promisify(execFile);
const issuer = 'https://idp.flywheel.test';
const audience = 'flywheel-registry';

interface Outcome {
  health: string;
  reflection_without_token: string;
  calls: { code: string; details?: string }[];
}

describe('a Python grpcio client over TLS against a registry with authentication on', () => {
  let dir: string;
  let registry: SpawnedService;
  let key: KeyPair;
  let certs: TestCertificates;
  const token = (roles: string[], claims: { aud?: string; exp?: number } = {}) =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setAudience(claims.aud ?? audience)
      .setSubject('user:py')
      .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(key.privateKey);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-py-auth-'));
    key = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(key.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    certs = await makeTestCertificates(join(dir, 'tls'), []);
    registry = await spawnService('registry', {
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_ISSUER: issuer,
      FLYWHEEL_AUTH_AUDIENCE: audience,
      FLYWHEEL_AUTH_JWKS_FILE: join(dir, 'jwks.json'),
      // Off by default with auth on; the client discovers the API through it.
      FLYWHEEL_GRPC_REFLECTION: 'on',
    });
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is allowed on its team’s models, NOT_FOUND on another team’s (as for a missing one), PERMISSION_DENIED creating in it, UNAUTHENTICATED without a valid token', async () => {
    const alice = await token(['team-a:editor']);
    const admin = await token(['platform:admin']);
    const calls = [
      { method: 'CreateModel', request: { modelName: 'a-model', team: 'team-a' }, token: alice },
      { method: 'CreateModel', request: { modelName: 'b-model', team: 'team-b' }, token: admin },
      { method: 'GetModel', request: { modelName: 'a-model' }, token: alice },
      { method: 'GetModel', request: { modelName: 'b-model' }, token: alice },
      { method: 'CreateModel', request: { modelName: 'c-model', team: 'team-b' }, token: alice },
      { method: 'GetModel', request: { modelName: 'a-model' }, token: null },
      {
        method: 'GetModel',
        request: { modelName: 'a-model' },
        token: await token(['team-a:editor'], { exp: 1_000 }),
      },
      {
        method: 'GetModel',
        request: { modelName: 'a-model' },
        token: await token(['team-a:editor'], { aud: 'other' }),
      },
    ];
    const { stdout } = await run(
      process.env.FLYWHEEL_PYTHON ?? 'python3',
      [
        'test/python/auth_client.py',
        registry.address,
        RegistryService.typeName,
        alice,
        JSON.stringify(calls),
        certs.ca,
      ],
      { cwd: repoRoot },
    );
    const outcome = JSON.parse(stdout) as Outcome;
    expect(outcome.health).toBe('SERVING');
    expect(outcome.reflection_without_token).toBe('UNAUTHENTICATED');
    expect(outcome.calls.map((c) => c.code)).toEqual([
      'OK',
      'OK',
      'OK',
      'NOT_FOUND',
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);
    // Another team's model reads as a missing one: outsiders learn nothing of it.
    expect(outcome.calls[3]?.details).toBe('model "b-model" does not exist');
    for (const call of outcome.calls) expect(call.details ?? '').not.toContain(alice);
  });
});
