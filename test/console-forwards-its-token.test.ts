// With auth on, the console calls the services as the principal of its configured token
// (FLYWHEEL_CONSOLE_TOKEN_FILE): a viewer's token shows that team's models; without a token every
// page shows the services' refusal instead of data.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConsoleConfig, type RunningConsole, startConsole } from '@flywheel/console';
import { silentLogger } from '@flywheel/core';
import { type Platform, startPlatform } from '@flywheel/platform';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient, mintApiToken, writeApiTokenFile } from '@flywheel/rpc';
import { grpcAddressVariable, type ServiceName, servicePorts } from '@flywheel/runtime';
import { uniqueName } from '@flywheel/testing';
import { afterAll, describe, expect, it } from 'vitest';

const services = Object.keys(servicePorts) as ServiceName[];

describe('the console with auth on', () => {
  let platform: Platform | undefined;
  let tokenless: RunningConsole | undefined;
  afterAll(async () => {
    await tokenless?.stop();
    await platform?.stop();
  });

  it('forwards its token: a viewer sees the team’s models; without a token the page shows the refusal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-console-auth-'));
    const team = uniqueName('team');
    const admin = mintApiToken('sa:admin', ['platform:admin']);
    const viewer = mintApiToken('sa:console', [`${team}:viewer`]);
    await writeApiTokenFile(join(dir, 'tokens.json'), { tokens: [admin.record, viewer.record] });
    writeFileSync(join(dir, 'console.token'), `${viewer.token}\n`);
    const env = {
      ...process.env,
      ...Object.fromEntries(services.map((s) => [grpcAddressVariable(s), '127.0.0.1:0'])),
      FLYWHEEL_AUTH: 'on',
      FLYWHEEL_AUTH_API_TOKENS_FILE: join(dir, 'tokens.json'),
      FLYWHEEL_STORE_DIR: join(dir, 'store'),
      FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
      FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
      FLYWHEEL_BUS: 'memory',
      FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_CONSOLE_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_CONSOLE_TOKEN_FILE: join(dir, 'console.token'),
    };
    platform = await startPlatform(env, { log: silentLogger, console: true });
    const model = uniqueName('model');
    const registry = createRpcClient(RegistryService, { address: platform.address('registry') });
    await registry.createModel(
      { modelName: model, team },
      { headers: { authorization: `Bearer ${admin.token}` } },
    );
    registry.close();

    const withToken = await fetch(`${platform.console!.url}models`);
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain(`/models/${model}`);

    const peers = Object.fromEntries(services.map((s) => [grpcAddressVariable(s), platform!.address(s)]));
    tokenless = await startConsole(
      loadConsoleConfig({ ...peers, FLYWHEEL_CONSOLE_HTTP_ADDRESS: '127.0.0.1:0' }),
      silentLogger,
    );
    const refused = await fetch(`${tokenless.url}models`);
    expect(refused.status).toBe(403);
    const page = await refused.text();
    expect(page).toContain('class="error"');
    expect(page).not.toContain(model);
  }, 120_000);
});
