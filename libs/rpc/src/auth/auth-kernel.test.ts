import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, ConfigReader } from '@flywheel/core';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@flywheel/proto/grpc/reflection/v1/reflection_pb.js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthConfig,
  createAuthenticator,
  createRpcClient,
  createRpcServer,
  type EnabledAuthConfig,
  type HttpServer,
  mintApiToken,
  ownedBy,
  type RpcServer,
  readAuthConfig,
  readOnly,
  resourceNotFound,
  sendHttpJson,
  startHttpServer,
  writeApiTokenFile,
} from '../index.ts';
import { createJwtVerifier } from './jwt-verifier.ts';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const issuer = 'https://idp.test';
const audience = 'flywheel';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Where each test model lives: team-a owns `a-model`, team-b `b-model`. */
const teams: Record<string, string> = { 'a-model': 'team-a', 'b-model': 'team-b' };

describe('authentication and authorization in the rpc kernel', () => {
  let dir: string;
  let jwksFile: string;
  let tokensFile: string;
  let key: KeyPair;
  let publicJwk: JWK;
  let server: RpcServer;
  let address: string;
  let http: HttpServer;
  let config: EnabledAuthConfig;
  const seen: { subject: string; teams: readonly string[] }[] = [];

  const sign = (
    claims: Record<string, unknown>,
    options: { kid?: string; signer?: KeyPair['privateKey']; alg?: string } = {},
  ) =>
    new SignJWT({ roles: ['team-a:editor'], ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer((claims.iss as string) ?? issuer)
      .setAudience((claims.aud as string) ?? audience)
      .setSubject('user:alice')
      .setIssuedAt()
      .setExpirationTime((claims.exp as number) ?? now() + 300)
      .sign(options.signer ?? key.privateKey);

  const registry = () => createRpcClient(RegistryService, { address, defaultTimeoutMs: 10_000 });
  const call = async (
    token: string | undefined,
    run: (c: ReturnType<typeof registry>, o: object) => Promise<unknown>,
  ) => {
    const client = registry();
    try {
      await run(client, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      return 'OK';
    } catch (error) {
      const e = AppError.from(error);
      if (token) expect(e.message).not.toContain(token);
      return `${e.code}: ${e.message}`;
    } finally {
      client.close();
    }
  };
  const getModel = (token: string | undefined, modelName = 'a-model') =>
    call(token, (c, o) => c.getModel({ modelName }, o));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-auth-'));
    jwksFile = join(dir, 'jwks.json');
    tokensFile = join(dir, 'tokens.json');
    key = await generateKeyPair('RS256', { extractable: true });
    publicJwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    await writeFile(jwksFile, JSON.stringify({ keys: [publicJwk] }));
    const read: AuthConfig = readAuthConfig(
      new ConfigReader({
        FLYWHEEL_AUTH: 'on',
        FLYWHEEL_AUTH_ISSUER: issuer,
        FLYWHEEL_AUTH_AUDIENCE: audience,
        FLYWHEEL_AUTH_JWKS_FILE: jwksFile,
        FLYWHEEL_AUTH_JWKS_REFETCH: '0ms',
        FLYWHEEL_AUTH_CLOCK_SKEW: '30s',
        FLYWHEEL_AUTH_API_TOKENS_FILE: tokensFile,
      }),
    );
    if (!read.enabled) throw new Error('auth should be on');
    config = read;
    const authenticator = createAuthenticator(config);
    server = createRpcServer({ authenticator });
    const ownerOf = (req: { modelName: string }) => {
      const team = teams[req.modelName];
      if (!team) throw resourceNotFound(`model "${req.modelName}"`);
      return ownedBy(`model "${req.modelName}"`, team);
    };
    const teamOf = (req: { modelName: string }) => {
      const team = teams[req.modelName];
      if (!team) throw new AppError('not_found', `model "${req.modelName}" does not exist`);
      return team;
    };
    server.add(
      RegistryService,
      {
        getModel: (req, ctx) => {
          seen.push({ subject: ctx.principal.subject, teams: ctx.principal.teams });
          return { model: { name: req.modelName, team: teams[req.modelName] ?? '' } };
        },
        createModel: (req) => ({ model: { name: req.modelName, team: req.team } }),
        listModels: () => ({ models: [] }),
        deleteAlias: () => ({}),
        getVersion: () => ({}),
        listVersions: () => ({ versions: [] }),
        setAlias: () => ({}),
      },
      {
        getModel: { action: 'view', team: teamOf },
        createModel: { action: 'edit', team: (req: { team: string }) => req.team },
        listModels: { action: 'view', team: (req: { team: string }) => req.team },
        deleteAlias: { action: 'admin', team: teamOf },
        // Stored owners: outsiders are answered as for a missing model.
        getVersion: { action: 'view', team: ownerOf },
        // A list: no model named lists the caller's teams.
        listVersions: {
          action: 'view',
          list: true,
          team: (req: { modelName: string }) => (req.modelName ? ownerOf(req) : ''),
        },
        // An edit of the model's team that reads b-model: the viewer role is enough there.
        getAliasHistory: {
          action: 'edit',
          team: (req: { modelName: string }) => [
            ownerOf(req),
            ...readOnly([ownerOf({ modelName: 'b-model' })]),
          ],
        },
        // No owner resolved is never "nothing to check".
        transitionStage: { action: 'view', team: () => [] },
      } as never, // a partial table on purpose: methods without an entry are refused
    );
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    http = await startHttpServer(
      '127.0.0.1:0',
      async (_req, res, principal) => sendHttpJson(res, 200, { subject: principal?.subject ?? null }),
      {
        log: { child: () => undefined } as never,
        setting: 'TEST',
        auth: {
          authenticator,
          policyOf: (_req, path) =>
            path === '/health'
              ? { access: 'open' }
              : { action: 'view', team: () => teams[path.slice(1)] ?? '' },
        },
      },
    );
  });
  afterAll(async () => {
    await server?.close({ graceMs: 0 });
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('admits a valid token and puts its principal on the context', async () => {
    expect(await getModel(await sign({}))).toBe('OK');
    expect(seen.at(-1)).toEqual({ subject: 'user:alice', teams: ['team-a'] });
  });

  it('refuses, UNAUTHENTICATED, a call without a token or with a malformed header', async () => {
    expect(await getModel(undefined)).toMatch(/^unauthenticated: this call needs a credential/);
    const client = registry();
    await expect(
      client.getModel({ modelName: 'a-model' }, { headers: { authorization: 'Basic abc' } }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    client.close();
  });

  it.each([
    ['expired', () => sign({ exp: now() - 120 }), /has expired/],
    ['wrong audience', () => sign({ aud: 'someone-else' }), /"aud" claim/],
    ['wrong issuer', () => sign({ iss: 'https://evil.test' }), /"iss" claim/],
    [
      'tampered signature',
      async () => {
        const [h, , s] = (await sign({})).split('.');
        return `${h}.${b64({ sub: 'user:mallory', iss: issuer, aud: audience, exp: now() + 300, roles: ['team-b:admin'] })}.${s}`;
      },
      /signature does not verify/,
    ],
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'user:mallory', iss: issuer, aud: audience, exp: now() + 300 })}.`,
      /algorithm that is not accepted/,
    ],
    [
      'HMAC signed with the public key',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
        return new SignJWT({ roles: ['team-a:admin'] })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setSubject('user:mallory')
          .setExpirationTime(now() + 300)
          .sign(secret);
      },
      /algorithm that is not accepted/,
    ],
    [
      'an unknown key',
      async () => {
        const other = await generateKeyPair('RS256');
        return sign({}, { kid: 'stranger', signer: other.privateKey });
      },
      /unknown key/,
    ],
    ['a malformed role grant', () => sign({ roles: ['team-a:owner'] }), /role grant "team-a:owner"/],
  ])('refuses, UNAUTHENTICATED, a token with %s, never echoing it', async (_what, token, reason) => {
    const result = await getModel(await token());
    expect(result).toMatch(/^unauthenticated: /);
    expect(result).toMatch(reason);
  });

  it('allows exp and nbf within the clock skew, refuses nbf beyond it', async () => {
    expect(await getModel(await sign({ exp: now() - 10 }))).toBe('OK');
    expect(await getModel(await sign({ nbf: now() + 10 }))).toBe('OK');
    expect(await getModel(await sign({ nbf: now() + 120 }))).toMatch(
      /^unauthenticated: the token's "nbf" claim/,
    );
  });

  it('follows a key rotation: an unknown kid re-reads the JWKS file', async () => {
    const next = await generateKeyPair('ES256', { extractable: true });
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256' };
    await writeFile(jwksFile, JSON.stringify({ keys: [publicJwk, nextJwk] }));
    expect(await getModel(await sign({}, { kid: 'k2', alg: 'ES256', signer: next.privateKey }))).toBe('OK');
  });

  it('rate-limits JWKS refetches: within the interval an unknown kid does not re-read the file', async () => {
    const file = join(dir, 'limited.json');
    await writeFile(file, JSON.stringify({ keys: [publicJwk] }));
    const verify = createJwtVerifier({ ...config.jwt!, jwks: { file }, jwksRefetchMs: 3_600_000 });
    await verify(await sign({}));
    const next = await generateKeyPair('RS256', { extractable: true });
    await writeFile(
      file,
      JSON.stringify({
        keys: [publicJwk, { ...(await exportJWK(next.publicKey)), kid: 'k3', alg: 'RS256' }],
      }),
    );
    await expect(verify(await sign({}, { kid: 'k3', signer: next.privateKey }))).rejects.toMatchObject({
      code: 'unauthenticated',
      message: 'the token is signed by an unknown key',
    });
  });

  it('checks the policy before the handler: viewer, editor, admin per team, PERMISSION_DENIED otherwise', async () => {
    const viewer = await sign({ roles: ['team-a:viewer'] });
    const editor = await sign({ roles: ['team-a:editor', 'team-b:viewer'] });
    const admin = await sign({ roles: ['platform:admin'] });
    expect(await getModel(viewer)).toBe('OK');
    expect(await getModel(viewer, 'b-model')).toMatch(
      /^permission_denied: .*GetModel needs the viewer role in team "team-b"; user:alice has none/,
    );
    expect(await getModel(editor, 'b-model')).toBe('OK');
    const createIn = (token: string, team: string) =>
      call(token, (c, o) => c.createModel({ modelName: 'm', team }, o));
    expect(await createIn(viewer, 'team-a')).toMatch(
      /^permission_denied: .*needs the editor role in team "team-a"; user:alice has viewer/,
    );
    expect(await createIn(editor, 'team-a')).toBe('OK');
    expect(await createIn(editor, 'team-b')).toMatch(/^permission_denied: .*editor role in team "team-b"/);
    expect(await createIn(editor, '')).toMatch(
      /^permission_denied: .*set team to one of yours \(team-a, team-b\)/,
    );
    expect(await createIn(admin, '')).toBe('OK');
    expect(await call(editor, (c, o) => c.listModels({}, o))).toMatch(
      /^permission_denied: .*only a platform admin/,
    );
    expect(await call(editor, (c, o) => c.listModels({ team: 'team-a' }, o))).toBe('OK');
    const deleteAlias = (token: string) =>
      call(token, (c, o) => c.deleteAlias({ modelName: 'a-model', alias: 'x' }, o));
    expect(await deleteAlias(editor)).toMatch(/^permission_denied: .*admin role/);
    expect(await deleteAlias(admin)).toBe('OK');
    // An unknown resource is NOT_FOUND, as the handler would say.
    expect(await getModel(editor, 'nope')).toBe('not_found: model "nope" does not exist');
  });

  it('answers an outsider NOT_FOUND for a stored resource, word for word as for a missing one; lists are open to any caller', async () => {
    const viewer = await sign({ roles: ['team-a:viewer'] });
    const noTeams = await sign({ roles: [] });
    const getVersion = (token: string, modelName: string) =>
      call(token, (c, o) => c.getVersion({ modelName, modelVersion: 1n }, o));
    expect(await getVersion(viewer, 'a-model')).toBe('OK');
    expect(await getVersion(viewer, 'b-model')).toBe('not_found: model "b-model" does not exist');
    expect(await getVersion(viewer, 'nope')).toBe('not_found: model "nope" does not exist');
    const listVersions = (token: string, modelName: string) =>
      call(token, (c, o) => c.listVersions({ modelName }, o));
    // Past the check (a list is open to any caller), the request's own field rule answers.
    expect(await listVersions(noTeams, '')).toMatch(/^invalid_argument: model_name/);
    expect(await listVersions(viewer, 'a-model')).toBe('OK');
    expect(await listVersions(viewer, 'b-model')).toBe('not_found: model "b-model" does not exist');
    const history = (token: string) =>
      call(token, (c, o) => c.getAliasHistory({ modelName: 'a-model', alias: 'x' }, o));
    expect(await history(await sign({ roles: ['team-a:editor', 'team-b:viewer'] }))).toMatch(
      /UNIMPLEMENTED|unimplemented/,
    );
    expect(await history(await sign({ roles: ['team-a:viewer', 'team-b:viewer'] }))).toMatch(
      /^permission_denied: .*editor role in team "team-a"/,
    );
    expect(await history(await sign({ roles: ['team-a:editor'] }))).toBe(
      'not_found: model "b-model" does not exist',
    );
    expect(
      await call(viewer, (c, o) =>
        c.transitionStage({ modelName: 'a-model', modelVersion: 1n, stage: 2 }, o),
      ),
    ).toMatch(/^permission_denied: .*only a platform admin/);
  });

  it('refuses a method without a policy entry to everyone, platform admins too', async () => {
    const admin = await sign({ roles: ['platform:admin'] });
    expect(
      await call(admin, (c, o) => c.setAlias({ modelName: 'a-model', alias: 'x', modelVersion: 1n }, o)),
    ).toBe(
      'permission_denied: flywheel.registry.v1.RegistryService/SetAlias has no access policy; it is refused to everyone',
    );
  });

  it('keeps health open and puts reflection behind authentication', async () => {
    const health = createRpcClient(Health, { address });
    await expect(health.check({ service: '' })).resolves.toMatchObject({ status: 1 });
    health.close();
    const reflection = createRpcClient(ServerReflection, { address });
    const ask = async function* () {
      yield { listServices: '' } as never;
    };
    await expect(
      (async () => {
        for await (const _ of reflection.serverReflectionInfo(ask())) return;
      })(),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    reflection.close();
  });

  it('admits a service-account API token stored hashed, and refuses it once revoked', async () => {
    const minted = mintApiToken('sa:ci', ['team-a:viewer']);
    expect(minted.token).toMatch(/^fw_[a-z0-9]{12}_/);
    await writeApiTokenFile(tokensFile, { tokens: [minted.record] });
    const stored = await readFile(tokensFile, 'utf8');
    expect(stored).not.toContain(minted.token.split('_').at(-1));
    expect(stored).toContain(createHash('sha256').update(minted.token.slice(16)).digest('hex'));
    expect(await getModel(minted.token)).toBe('OK');
    expect(seen.at(-1)).toEqual({ subject: 'sa:ci', teams: ['team-a'] });
    expect(await getModel(minted.token, 'b-model')).toMatch(/^permission_denied: /);
    expect(await getModel(`${minted.token.slice(0, -4)}AAAA`)).toBe(
      'unauthenticated: the API token is not known',
    );
    await new Promise((r) => setTimeout(r, 20)); // a new mtime
    await writeApiTokenFile(tokensFile, {
      tokens: [{ ...minted.record, revokedAt: new Date().toISOString() }],
    });
    await expect
      .poll(() => getModel(minted.token), { timeout: 10_000, interval: 200 })
      .toBe(`unauthenticated: API token ${minted.record.id} was revoked`);
  });

  it('guards the shared HTTP server the same way: open health, 401 without a token, 403 on another team', async () => {
    const get = (path: string, token?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const [host, port] = http.address.split(':');
        const req = httpRequest(
          { host, port: Number(port), path, headers: token ? { authorization: `Bearer ${token}` } : {} },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get('/health')).toEqual({ status: 200, body: '{"subject":null}' });
    expect((await get('/a-model')).status).toBe(401);
    const token = await sign({ roles: ['team-a:viewer'] });
    expect(await get('/a-model', token)).toEqual({ status: 200, body: '{"subject":"user:alice"}' });
    const denied = await get('/b-model', token);
    expect(denied.status).toBe(403);
    expect(denied.body).not.toContain(token);
  });
});

describe('with auth off', () => {
  it('runs every call as the local principal and checks no policy', async () => {
    const server = createRpcServer({});
    let subject = '';
    server.add(RegistryService, {
      getModel: (_req, ctx) => {
        subject = `${ctx.principal.subject} ${ctx.principal.roles.default} ${ctx.principal.platformAdmin}`;
        return {};
      },
    });
    const port = await server.listen('127.0.0.1:0');
    const client = createRpcClient(RegistryService, { address: `127.0.0.1:${port}` });
    await client.getModel({ modelName: 'x' });
    expect(subject).toBe('local admin true');
    client.close();
    await server.close({ graceMs: 0 });
  });
});
