import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, ConfigReader, runActingAs } from '@flywheel/core';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { makeTestCertificates } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthenticator,
  createRpcClient,
  createRpcServer,
  type EnabledTlsConfig,
  mintApiToken,
  type RpcServer,
  readServiceToken,
  readTlsConfig,
  type ServicePolicy,
  serviceTokenHeaders,
  writeApiTokenFile,
} from '../index.ts';

// A token-only setup over server TLS (no client certificates asked for): services prove who they
// are with their service API token, as they would with a service certificate under mTLS.
describe('service tokens: a service calls its peers with its own API token', () => {
  let dir: string;
  let tls: EnabledTlsConfig;
  let server: RpcServer;
  let address: string;
  let serviceToken: string;
  let userToken: string;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-service-token-'));
    const certs = await makeTestCertificates(dir, []);
    const reader = new ConfigReader({
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_TLS_CA: certs.ca,
      FLYWHEEL_TLS_CLIENT_AUTH: 'none',
    });
    tls = readTlsConfig(reader) as EnabledTlsConfig;
    reader.done();
    const tokensFile = join(dir, 'tokens.json');
    const service = mintApiToken('ignored', ['team-a:viewer'], 'orchestrator');
    const user = mintApiToken('user:mallory', ['team-a:viewer']);
    await writeApiTokenFile(tokensFile, { tokens: [service.record, user.record] });
    serviceToken = service.token;
    userToken = user.token;
    server = createRpcServer({
      tls,
      authenticator: createAuthenticator({ enabled: true, apiTokensFile: tokensFile }),
    });
    server.add(
      RegistryService,
      {
        getModel: (req, ctx) => {
          seen.push(`${ctx.principal.subject} on behalf of ${ctx.principal.onBehalfOf ?? '-'}`);
          return { model: { name: req.modelName } };
        },
      },
      { getModel: { action: 'view', team: () => 'team-a' } } as unknown as ServicePolicy<
        (typeof RegistryService)['method']
      >,
    );
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  afterAll(async () => {
    await server?.close({ graceMs: 0 });
    await rm(dir, { recursive: true, force: true });
  });

  /** A peer client as a service's host makes it: its TLS, and its token when it has one. */
  const peerGet = async (token: string | undefined, headers?: Record<string, string>) => {
    const client = createRpcClient(RegistryService, {
      address,
      tls,
      headers: serviceTokenHeaders(token),
      defaultTimeoutMs: 20_000,
    });
    try {
      return await client.getModel({ modelName: 'm' }, headers ? { headers } : {}).then(
        () => 'OK',
        (error: AppError) => {
          if (token) expect(error.message).not.toContain(token);
          return `${error.code}: ${error.message}`;
        },
      );
    } finally {
      client.close();
    }
  };

  it('verifies a service token to service:<name>, which may say whom it acts for', async () => {
    const file = join(dir, 'orchestrator.token');
    await writeFile(file, `${serviceToken}\n`, { mode: 0o600 });
    const token = await readServiceToken(file);
    expect(await peerGet(token)).toBe('OK');
    // Event-driven work: the client sends the acting scope's origin as flywheel-on-behalf-of.
    const acting = { subject: 'service:orchestrator', teams: [], onBehalfOf: 'user:alice' };
    expect(await runActingAs(acting, () => peerGet(token))).toBe('OK');
    expect(seen.slice(-2)).toEqual([
      'service:orchestrator on behalf of -',
      'service:orchestrator on behalf of user:alice',
    ]);
  });

  it("refuses, PERMISSION_DENIED, a user's API token that says whom it acts for", async () => {
    expect(await peerGet(userToken)).toBe('OK');
    expect(await peerGet(userToken, { 'flywheel-on-behalf-of': 'user:alice' })).toMatch(
      /^permission_denied: flywheel-on-behalf-of: user:mallory is not a service's certificate or service token/,
    );
  });

  it('answers UNAUTHENTICATED a service that has no token configured', async () => {
    expect(await peerGet(undefined)).toMatch(/^unauthenticated: this call needs a credential/);
    const acting = { subject: 'service:orchestrator', teams: [], onBehalfOf: 'user:alice' };
    expect(await runActingAs(acting, () => peerGet(undefined))).toMatch(/^unauthenticated: /);
  });

  it('refuses a token file others may read, and never echoes the token', async () => {
    const file = join(dir, 'loose.token');
    await writeFile(file, serviceToken);
    await chmod(file, 0o644);
    const refused = await readServiceToken(file).catch((error: AppError) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).message).toMatch(/mode 644 lets others read it/);
    expect((refused as AppError).message).not.toContain(serviceToken);
    const empty = join(dir, 'empty.token');
    await writeFile(empty, 'two words\n', { mode: 0o600 });
    await expect(readServiceToken(empty)).rejects.toThrow(/must hold one token on one line/);
  });
});
