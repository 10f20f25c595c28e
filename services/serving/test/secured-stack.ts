import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BlobStore, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus } from '@flywheel/bus';
import type { Env } from '@flywheel/core';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { DeploymentState, ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import {
  type CertificatePrincipalFile,
  createRpcClient,
  type EnabledTlsConfig,
  mintApiToken,
  writeApiTokenFile,
} from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { makeTestCertificates, repoRoot, type TestCertificates } from '@flywheel/testing';
import { loadServingConfig, wireServing } from '../src/index.ts';
import { championDeployment, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

/** The callers of a secured stack: `fw_` service-account tokens, one per subject. */
export interface SecuredTokens {
  /** Editor of team-a, which owns the deployed model. */
  alice: string;
  /** Editor of team-b only. */
  bob: string;
  /** A second team-a editor (another principal of the same team). */
  carol: string;
  /** A team-a viewer (a third principal of the same team). */
  dave: string;
}

export interface SecuredStack {
  certs: TestCertificates;
  tokens: SecuredTokens;
  registry: InProcessService;
  serving: InProcessService;
  /** host:port of serving's HTTPS OIP REST server. */
  httpAddress: string;
  stop(): Promise<void>;
}

/**
 * The REAL registry and serving in this process with `FLYWHEEL_TLS=on` (server certificates of
 * the test CA, client certificates requested) and `FLYWHEEL_AUTH=on` (service-account tokens
 * minted into a token file). Serving calls the registry as itself: it presents the client
 * certificate `spiffe://flywheel/serving`, which the registry's `FLYWHEEL_AUTH_CERT_PRINCIPALS`
 * maps to a platform admin. The weather model (v1Model) is registered, set `champion` and deployed
 * as `deployment` of team-a, all through the secured APIs with alice's token (one serving call).
 * `servingEnv` is added to serving's environment.
 */
export async function startSecuredStack(deployment: string, servingEnv: Env = {}): Promise<SecuredStack> {
  const dir = await mkdtemp(join(tmpdir(), 'flywheel-serving-secured-'));
  const certs = await makeTestCertificates(join(dir, 'tls'), ['serving']);
  const minted = {
    alice: mintApiToken('sa:alice', ['team-a:editor']),
    bob: mintApiToken('sa:bob', ['team-b:editor']),
    carol: mintApiToken('sa:carol', ['team-a:editor']),
    dave: mintApiToken('sa:dave', ['team-a:viewer']),
  };
  const tokensFile = join(dir, 'tokens.json');
  await writeApiTokenFile(tokensFile, { tokens: Object.values(minted).map((m) => m.record) });
  const principalsFile = join(dir, 'cert-principals.json');
  const principals: CertificatePrincipalFile = {
    'spiffe://flywheel/serving': { roles: ['platform:admin'], service: 'serving' },
  };
  await writeFile(principalsFile, JSON.stringify(principals));
  const secured: Env = {
    FLYWHEEL_TLS: 'on',
    FLYWHEEL_TLS_CERT: certs.server.cert,
    FLYWHEEL_TLS_KEY: certs.server.key,
    FLYWHEEL_TLS_CA: certs.ca,
    FLYWHEEL_TLS_CLIENT_AUTH: 'request',
    FLYWHEEL_AUTH: 'on',
    FLYWHEEL_AUTH_API_TOKENS_FILE: tokensFile,
    FLYWHEEL_AUTH_CERT_PRINCIPALS: principalsFile,
  };
  const bus = createMemoryBus();
  const blobs: BlobStore = createFsBlobs({ dir: join(dir, 'blobs') });
  const registry = await startInProcess('registry', {
    load: loadRegistryConfig,
    wire: wireRegistry,
    shared: { bus, blobs },
    env: secured,
  });
  let httpAddress = '';
  const serving = await startInProcess('serving', {
    load: loadServingConfig,
    wire: async (host, config) => {
      const wiring = await wireServing(host, config);
      httpAddress = wiring.httpAddress;
      return wiring;
    },
    shared: { bus, blobs },
    env: {
      ...secured,
      // Serving's own identity towards its peers.
      FLYWHEEL_TLS_CLIENT_CERT: certs.clients.serving!.cert,
      FLYWHEEL_TLS_CLIENT_KEY: certs.clients.serving!.key,
      FLYWHEEL_REGISTRY_GRPC_ADDRESS: registry.address,
      ...servingEnv,
    },
  });
  const tokens: SecuredTokens = {
    alice: minted.alice.token,
    bob: minted.bob.token,
    carol: minted.carol.token,
    dave: minted.dave.token,
  };
  const stop = async (): Promise<void> => {
    await serving.stop();
    await registry.stop();
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await deploy(certs, tokens.alice, registry.address, serving.address, deployment);
  } catch (error) {
    await stop();
    throw error;
  }
  return { certs, tokens, registry, serving, httpAddress, stop };
}

/** TLS for the test's own clients: the server verified against the test CA. */
export function clientTls(certs: TestCertificates): EnabledTlsConfig {
  return {
    enabled: true,
    certFile: certs.server.cert,
    keyFile: certs.server.key,
    caFile: certs.ca,
    clientAuth: 'none',
    clientCertFile: certs.server.cert,
    clientKeyFile: certs.server.key,
    reloadMs: 300_000,
  };
}

async function deploy(
  certs: TestCertificates,
  token: string,
  registryAddress: string,
  servingAddress: string,
  name: string,
): Promise<void> {
  const tls = clientTls(certs);
  const headers = { authorization: `Bearer ${token}` };
  const registry = createRpcClient(RegistryService, {
    address: registryAddress,
    tls,
    defaultTimeoutMs: 20_000,
  });
  const serving = createRpcClient(ServingService, { address: servingAddress, tls, defaultTimeoutMs: 60_000 });
  try {
    const { version } = await registry.registerVersion(
      {
        requestId: crypto.randomUUID(),
        modelName: name,
        team: 'team-a',
        artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(v1Model) },
        format: ArtifactFormat.ONNX,
      },
      { headers },
    );
    await registry.setAlias(
      { modelName: name, alias: 'champion', modelVersion: version!.version },
      { headers },
    );
    // Loads within the call: serving resolves the alias at the registry with its certificate.
    const { deployment } = await serving.createDeployment(
      { deployment: { ...championDeployment(name, name), team: 'team-a' } },
      { headers },
    );
    if (deployment?.state !== DeploymentState.READY)
      throw new Error(`deployment ${name} is not READY: ${deployment?.stateMessage}`);
  } finally {
    registry.close();
    serving.close();
  }
}

interface SecuredRun {
  live: boolean;
  calls: { status: string; probability?: number[]; message?: string }[];
}

/** Runs test/python/triton_secured.py (tritonclient over TLS, one inference per token). */
export async function tritonSecured(
  protocol: 'grpc' | 'http',
  address: string,
  model: string,
  ca: string,
  tokens: readonly (string | null)[],
): Promise<SecuredRun> {
  const { stdout } = await run(
    process.env.FLYWHEEL_PYTHON ?? 'python3',
    ['test/python/triton_secured.py', protocol, address, model, ca, JSON.stringify(tokens)],
    { cwd: repoRoot, timeout: 60_000 },
  );
  return JSON.parse(stdout) as SecuredRun;
}
