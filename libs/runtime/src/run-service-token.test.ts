import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppError, ConfigReader, runActingAs, silentLogger } from '@flywheel/core';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient, mintApiToken, type ServicePolicy, writeApiTokenFile } from '@flywheel/rpc';
import { makeTestCertificates } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHostConfig } from './host-config.ts';
import { readInfraConfig } from './infra.ts';
import { type RunningService, runService, type ServiceHost } from './run-service.ts';

// Two hosts over server TLS only (no client certificates), tokens the only credential: one with
// FLYWHEEL_SERVICE_TOKEN_FILE calls its peer as service:<name>, one without is refused.
describe("a host's peer clients send its service token", () => {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-service-token-host-'));
  const seen: string[] = [];
  const running: RunningService[] = [];
  let env: Record<string, string>;
  let peerAddress: string;

  const start = async (name: 'registry' | 'orchestrator', extra: Record<string, string> = {}) => {
    const own = join(dir, `${name}-${running.length}`);
    const reader = new ConfigReader({
      ...env,
      [`FLYWHEEL_${name.toUpperCase()}_GRPC_ADDRESS`]: '127.0.0.1:0',
      FLYWHEEL_STORE_DIR: join(own, 'store'),
      FLYWHEEL_BLOBS_DIR: join(own, 'blobs'),
      ...extra,
    });
    const config = { host: readHostConfig(reader, name), infra: readInfraConfig(reader, name) };
    reader.done();
    let host!: ServiceHost;
    const service = await runService({
      name,
      config,
      log: silentLogger,
      startTelemetry: false,
      wire: (h) => {
        host = h;
        h.server.add(
          RegistryService,
          {
            getModel: (request, ctx) => {
              seen.push(`${ctx.principal.subject} on behalf of ${ctx.principal.onBehalfOf ?? '-'}`);
              return { model: { name: request.modelName } };
            },
          },
          { getModel: { action: 'view', team: () => 'team-a' } } as unknown as ServicePolicy<
            (typeof RegistryService)['method']
          >,
        );
        return {};
      },
    });
    running.push(service);
    return { service, host };
  };

  /** What the host's wiring does: a client to its peer made with `host.peerClient`. */
  const callPeer = async (host: ServiceHost) => {
    const client = createRpcClient(RegistryService, {
      address: peerAddress,
      defaultTimeoutMs: 20_000,
      ...host.peerClient,
    });
    try {
      return await runActingAs({ subject: `service:${host.name}`, teams: [], onBehalfOf: 'user:alice' }, () =>
        client.getModel({ modelName: 'm' }).then(
          () => 'OK',
          (error: AppError) => `${error.code}: ${error.message}`,
        ),
      );
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    const certs = await makeTestCertificates(join(dir, 'tls'), []);
    const tokensFile = join(dir, 'tokens.json');
    const minted = mintApiToken('', ['team-a:viewer'], 'orchestrator');
    await writeApiTokenFile(tokensFile, { tokens: [minted.record] });
    await writeFile(join(dir, 'orchestrator.token'), `${minted.token}\n`, { mode: 0o600 });
    env = {
      FLYWHEEL_SHUTDOWN_GRACE: '2s',
      FLYWHEEL_METRICS: 'off',
      FLYWHEEL_TLS: 'on',
      FLYWHEEL_TLS_CERT: certs.server.cert,
      FLYWHEEL_TLS_KEY: certs.server.key,
      FLYWHEEL_TLS_CA: certs.ca,
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_API_TOKENS_FILE: tokensFile,
    };
    const peer = await start('registry');
    peerAddress = `127.0.0.1:${peer.service.port}`;
  });
  afterAll(async () => {
    for (const service of running) await service.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('with FLYWHEEL_SERVICE_TOKEN_FILE: the peer sees service:<name>, on behalf of whom it acts', async () => {
    const { host } = await start('orchestrator', {
      FLYWHEEL_SERVICE_TOKEN_FILE: join(dir, 'orchestrator.token'),
    });
    expect(await callPeer(host)).toBe('OK');
    expect(seen.at(-1)).toBe('service:orchestrator on behalf of user:alice');
  });

  it('without a service token: the peer answers UNAUTHENTICATED', async () => {
    const { host } = await start('orchestrator');
    expect(await callPeer(host)).toMatch(/^unauthenticated: this call needs a credential/);
  });
});
