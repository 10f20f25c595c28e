import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { actingPrincipal, ConfigReader, runActingAs, silentLogger } from '@flywheel/core';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { Health } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@flywheel/proto/grpc/reflection/v1/reflection_pb.js';
import { makeTestCertificates, type TestCertificates } from '@flywheel/testing';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthenticator,
  createRpcClient,
  createRpcServer,
  type EnabledTlsConfig,
  type HttpServer,
  type RpcServer,
  readTlsConfig,
  type ServicePolicy,
  sendHttpJson,
  startHttpServer,
  type TlsConfig,
} from '../index.ts';

const run = promisify(execFile);

function problemsOf(env: Record<string, string>): string {
  const reader = new ConfigReader(env);
  readTlsConfig(reader);
  try {
    reader.done();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('TLS and mTLS as configuration', () => {
  let dir: string;
  let certs: TestCertificates;
  let tls: EnabledTlsConfig;
  let server: RpcServer;
  let address: string;
  let https: HttpServer;

  const clientTls = (pair: { cert: string; key: string }, ca = certs.ca): TlsConfig => ({
    ...tls,
    caFile: ca,
    clientCertFile: pair.cert,
    clientKeyFile: pair.key,
  });
  const healthOver = async (config: TlsConfig) => {
    const client = createRpcClient(Health, { address, tls: config, defaultTimeoutMs: 5_000 });
    try {
      return await client.check({ service: '' }).then(
        (answer) => `OK ${answer.status}`,
        (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
      );
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-tls-'));
    certs = await makeTestCertificates(dir, ['alice', 'bob']);
    const reader = new ConfigReader({
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_TLS_CA: certs.ca,
      FLYWHEEL_TLS_CLIENT_AUTH: 'require',
    });
    tls = readTlsConfig(reader) as EnabledTlsConfig;
    reader.done();
    server = createRpcServer({ tls });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    https = await startHttpServer('127.0.0.1:0', async (_req, res) => sendHttpJson(res, 200, { ok: true }), {
      log: silentLogger,
      setting: 'TEST_HTTP_ADDRESS',
      tls,
    });
  });
  afterAll(async () => {
    await server?.close({ graceMs: 0 });
    await https?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the settings once and names each contradiction', async () => {
    expect(readTlsConfig(new ConfigReader({}))).toEqual({ enabled: false });
    expect(tls).toMatchObject({
      clientAuth: 'require',
      clientCertFile: certs.server.cert,
      reloadMs: 300_000,
    });
    expect(problemsOf({ FLYWHEEL_TLS_CERT: certs.server.cert })).toContain(
      'FLYWHEEL_TLS_CERT is set but FLYWHEEL_TLS is off',
    );
    expect(problemsOf({ FLYWHEEL_TLS: 'on' })).toMatch(
      /FLYWHEEL_TLS_CERT is required[\s\S]*FLYWHEEL_TLS_KEY is required/,
    );
    const on = {
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
    };
    expect(problemsOf({ ...on, FLYWHEEL_TLS_CLIENT_AUTH: 'require' })).toContain(
      'FLYWHEEL_TLS_CLIENT_AUTH is "require" but FLYWHEEL_TLS_CA is not set',
    );
    expect(problemsOf({ ...on, FLYWHEEL_TLS_KEY: certs.clients.alice!.key })).toContain(
      'is not the private key of FLYWHEEL_TLS_CERT',
    );
    expect(problemsOf({ ...on, FLYWHEEL_TLS_CA: join(dir, 'missing.pem') })).toContain(
      `FLYWHEEL_TLS_CA (${join(dir, 'missing.pem')}) is not a readable PEM certificate: no such file`,
    );
    expect(problemsOf({ ...on, FLYWHEEL_TLS_CLIENT_CERT: certs.clients.alice!.cert })).toContain(
      'FLYWHEEL_TLS_CLIENT_CERT and FLYWHEEL_TLS_CLIENT_KEY: set both or neither',
    );
    expect(problemsOf(on)).toBe('');
  });

  it('mTLS require: a client with a certificate of the CA is served; none, another CA or plaintext is refused at the handshake', async () => {
    expect(await healthOver(clientTls(certs.clients.alice!))).toBe('OK 1');
    // A service presents its own (server) certificate to its peers by default.
    expect(await healthOver(tls)).toBe('OK 1');
    const noCertificate = await run(
      'openssl',
      ['s_client', '-connect', address, '-CAfile', certs.ca, '-alpn', 'h2', '-verify_return_error'],
      { input: '', timeout: 20_000 } as object,
    ).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(noCertificate).toMatch(
      /alert certificate required|alert handshake failure|peer did not return a certificate/i,
    );
    expect(await healthOver(clientTls(certs.stranger))).toMatch(/^unavailable: /);
    expect(await healthOver({ enabled: false })).toMatch(/^unavailable: /);
    // The client verifies the server too: a CA that did not sign the server's certificate fails.
    expect(await healthOver(clientTls(certs.clients.alice!, certs.otherCa))).toMatch(/^unavailable: /);
  });

  it('TLS without client auth serves a client with no certificate; reflection is off when turned off', async () => {
    const quiet = createRpcServer({ tls: { ...tls, clientAuth: 'none' }, reflection: false });
    const port = await quiet.listen('127.0.0.1:0');
    const credentials = grpc.credentials.createSsl(readFileSync(certs.ca));
    const health = createRpcClient(Health, { address: `127.0.0.1:${port}`, credentials });
    expect((await health.check({ service: '' })).status).toBe(1);
    health.close();
    const client = createRpcClient(ServerReflection, { address: `127.0.0.1:${port}`, credentials });
    try {
      async function* ask() {
        yield { messageRequest: { case: 'listServices' as const, value: '' } };
      }
      const outcome = async () => {
        for await (const _ of client.serverReflectionInfo(ask())) return 'answered';
        return 'empty';
      };
      await expect(outcome()).rejects.toMatchObject({ code: 'unimplemented' });
    } finally {
      client.close();
      await quiet.close({ graceMs: 0 });
    }
  });

  it('a verified client certificate is a principal: its URI SAN mapped by FLYWHEEL_AUTH_CERT_PRINCIPALS', async () => {
    const principals = join(dir, 'cert-principals.json');
    await writeFile(principals, JSON.stringify({ 'spiffe://flywheel/alice': { roles: ['team-a:editor'] } }));
    const seen: string[] = [];
    // `request`: a certificate is asked for but not required, and counts only when verified.
    const guarded = createRpcServer({
      tls: { ...tls, clientAuth: 'request' },
      authenticator: createAuthenticator({ enabled: true, certPrincipalsFile: principals }),
    });
    guarded.add(
      RegistryService,
      {
        getModel: (req, ctx) => {
          seen.push(`${ctx.principal.subject} ${JSON.stringify(ctx.principal.roles)}`);
          return { model: { name: req.modelName, team: 'team-a' } };
        },
      },
      { getModel: { action: 'view', team: () => 'team-a' } } as unknown as ServicePolicy<
        (typeof RegistryService)['method']
      >,
    );
    const port = await guarded.listen('127.0.0.1:0');
    const checkAs = async (config: TlsConfig, headers?: Record<string, string>) => {
      const client = createRpcClient(RegistryService, { address: `127.0.0.1:${port}`, tls: config });
      try {
        return await client.getModel({ modelName: 'a-model' }, headers ? { headers } : {}).then(
          () => 'OK',
          (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
        );
      } finally {
        client.close();
      }
    };
    try {
      expect(await checkAs(clientTls(certs.clients.alice!))).toBe('OK');
      expect(seen).toEqual(['spiffe://flywheel/alice {"team-a":"editor"}']);
      expect(await checkAs(clientTls(certs.clients.bob!))).toBe(
        'unauthenticated: the client certificate\'s subject "spiffe://flywheel/bob" is not mapped to a principal (FLYWHEEL_AUTH_CERT_PRINCIPALS)',
      );
      // Another CA's certificate passes the `request` handshake but is not verified: no credential.
      expect(await checkAs(clientTls(certs.stranger))).toMatch(
        /^unauthenticated: this call needs a credential/,
      );
      // A token wins over the certificate.
      expect(await checkAs(clientTls(certs.clients.alice!), { authorization: 'Bearer not-a-jwt' })).toBe(
        'unauthenticated: JWTs are not accepted here; use an API token',
      );
    } finally {
      await guarded.close({ graceMs: 0 });
    }
  });

  it('a service certificate may say whom it acts for (flywheel-on-behalf-of); the client sends it from its acting scope', async () => {
    const principals = join(dir, 'on-behalf-of-principals.json');
    // alice's certificate stands for the orchestrator service here; bob's is a person's.
    await writeFile(
      principals,
      JSON.stringify({
        'spiffe://flywheel/alice': { roles: ['platform:admin'], service: 'orchestrator' },
        'spiffe://flywheel/bob': { roles: ['platform:admin'] },
      }),
    );
    const seen: string[] = [];
    const guarded = createRpcServer({
      tls,
      authenticator: createAuthenticator({ enabled: true, certPrincipalsFile: principals }),
    });
    guarded.add(
      RegistryService,
      {
        getModel: (req, ctx) => {
          seen.push(`${ctx.principal.subject} ${ctx.principal.onBehalfOf} ${actingPrincipal()?.onBehalfOf}`);
          return { model: { name: req.modelName } };
        },
      },
      { getModel: { action: 'view', team: () => 'team-a' } } as unknown as ServicePolicy<
        (typeof RegistryService)['method']
      >,
    );
    const port = await guarded.listen('127.0.0.1:0');
    const client = createRpcClient(RegistryService, {
      address: `127.0.0.1:${port}`,
      tls: clientTls(certs.clients.alice!),
    });
    const bob = createRpcClient(RegistryService, {
      address: `127.0.0.1:${port}`,
      tls: clientTls(certs.clients.bob!),
    });
    const answerOf = (call: Promise<unknown>) =>
      call.then(
        () => 'OK',
        (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
      );
    const get = (headers?: Record<string, string>) =>
      answerOf(client.getModel({ modelName: 'm' }, headers ? { headers } : {}));
    const bobGet = (headers?: Record<string, string>) =>
      answerOf(bob.getModel({ modelName: 'm' }, headers ? { headers } : {}));
    try {
      expect(await get({ 'flywheel-on-behalf-of': 'user:carol' })).toBe('OK');
      // Event-driven work: the client says whom its acting scope works for.
      const asService = { subject: 'service:orchestrator', teams: [], onBehalfOf: 'user:dave' };
      expect(await runActingAs(asService, () => get())).toBe('OK');
      expect(await get()).toBe('OK');
      expect(seen).toEqual([
        'service:orchestrator user:carol user:carol',
        'service:orchestrator user:dave user:dave',
        'service:orchestrator undefined undefined',
      ]);
      expect(await get({ 'flywheel-on-behalf-of': 'user carol' })).toMatch(
        /^invalid_argument: .*flywheel-on-behalf-of/,
      );
      // A certificate not mapped as a service may not speak for anyone: refused, not ignored.
      expect(await bobGet({ 'flywheel-on-behalf-of': 'user:carol' })).toMatch(
        /^permission_denied: flywheel-on-behalf-of: spiffe:\/\/flywheel\/bob is not a service's certificate/,
      );
      expect(await bobGet()).toBe('OK');
    } finally {
      bob.close();
      client.close();
      await guarded.close({ graceMs: 0 });
    }
  });

  it('HTTPS with mTLS require: curl with the client certificate is answered, without one refused', async () => {
    const url = `https://${https.address}/anything`;
    const { stdout } = await run(
      'curl',
      [
        '-sS',
        '--cacert',
        certs.ca,
        '--cert',
        certs.clients.alice!.cert,
        '--key',
        certs.clients.alice!.key,
        url,
      ],
      { timeout: 20_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ ok: true });
    const refused = await run('curl', ['-sS', '--cacert', certs.ca, url], { timeout: 20_000 }).then(
      () => 'answered',
      (error: { code?: number; stderr?: string }) => `exit ${error.code}: ${error.stderr}`,
    );
    expect(refused).toMatch(/^exit (35|56): /);
    const plaintext = await run('curl', ['-sS', `http://${https.address}/anything`], {
      timeout: 20_000,
    }).then(
      ({ stdout: body }) => body,
      (error: { code?: number }) => `exit ${error.code}`,
    );
    expect(plaintext).not.toContain('"ok"');
  });
});
