import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader, runActingAs } from '@flywheel/core';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient, mintApiToken, writeApiTokenFile } from '@flywheel/rpc';
import { readHostConfig, readInfraConfig, type ServiceHost } from '@flywheel/runtime';
import { startInProcess } from '@flywheel/runtime/testing';
import { makeTestCertificates } from '@flywheel/testing';
import { afterAll, expect, it } from 'vitest';
import { loadRegistryConfig, wireRegistry } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-service-token-registry-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

// The real registry over server TLS only (no client certificates), tokens the only credential; an
// orchestrator host with FLYWHEEL_SERVICE_TOKEN_FILE calls it for event-driven work of alice's.
it("records the orchestrator's service token call as service:orchestrator on behalf of user:alice", async () => {
  const certs = await makeTestCertificates(join(dir, 'tls'), []);
  const tokensFile = join(dir, 'tokens.json');
  const orchestratorToken = mintApiToken('', ['team-a:editor'], 'orchestrator');
  const alice = mintApiToken('user:alice', ['team-a:viewer']);
  await writeApiTokenFile(tokensFile, { tokens: [orchestratorToken.record, alice.record] });
  const tokenFile = join(dir, 'orchestrator.token');
  await writeFile(tokenFile, `${orchestratorToken.token}\n`, { mode: 0o600 });
  const secured = {
    FLYWHEEL_TLS: 'on',
    FLYWHEEL_TLS_CERT: certs.server.cert,
    FLYWHEEL_TLS_KEY: certs.server.key,
    FLYWHEEL_TLS_CA: certs.ca,
    FLYWHEEL_AUTH: 'on',
    FLYWHEEL_AUTH_API_TOKENS_FILE: tokensFile,
    FLYWHEEL_METRICS: 'off',
  };
  const registry = await startInProcess('registry', {
    load: loadRegistryConfig,
    wire: wireRegistry,
    env: secured,
    dataDir: join(dir, 'registry'),
  });
  let host!: ServiceHost;
  const orchestrator = await startInProcess('orchestrator', {
    load: (env) => {
      const reader = new ConfigReader(env);
      const config = {
        host: readHostConfig(reader, 'orchestrator'),
        infra: readInfraConfig(reader, 'orchestrator'),
      };
      return config;
    },
    wire: (h) => {
      host = h;
      return {};
    },
    env: { ...secured, FLYWHEEL_SERVICE_TOKEN_FILE: tokenFile },
    dataDir: join(dir, 'orchestrator'),
  });
  const peer = createRpcClient(RegistryService, {
    address: registry.address,
    defaultTimeoutMs: 20_000,
    ...host.peerClient,
  });
  const asAlice = createRpcClient(RegistryService, {
    address: registry.address,
    defaultTimeoutMs: 20_000,
    tls: host.tls,
    headers: { authorization: `Bearer ${alice.token}` },
  });
  try {
    await runActingAs({ subject: 'service:orchestrator', teams: [], onBehalfOf: 'user:alice' }, () =>
      peer.createModel({ modelName: 'churn', team: 'team-a' }),
    );
    const { model } = await asAlice.getModel({ modelName: 'churn' });
    expect(model?.audit?.createdBy).toMatchObject({
      subject: 'service:orchestrator',
      onBehalfOf: 'user:alice',
    });
    // alice's own token may not claim to act for someone else.
    await expect(
      asAlice.getModel({ modelName: 'churn' }, { headers: { 'flywheel-on-behalf-of': 'user:bob' } }),
    ).rejects.toMatchObject({ code: 'permission_denied' });
  } finally {
    peer.close();
    asAlice.close();
    await orchestrator.stop();
    await registry.stop();
  }
});
