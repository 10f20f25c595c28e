// The web console in a real browser: Debian's chromium (scripts/browser/install.sh, exported by
// `./flywheel test` as FLYWHEEL_CHROMIUM) driven by playwright-core, against the console running
// as its own process over an embedded platform that closed the weather loop for real (drift →
// retrain → v2 promoted), then a canary rolled back through serving's gRPC API. Each page is
// reached by clicking, checked for the data the services hold, and saved as a screenshot in
// test-results/console/. Last, "what served this request?" for a request sent during a canary of
// v2, answered by the `flywheel` CLI (a child process) and by the console's request page.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@flywheel/core';
import { type Platform, startPlatform } from '@flywheel/platform';
import { weatherScenario } from '@flywheel/platform/weather-scenario';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { grpcAddressVariable, type ServiceName, servicePorts } from '@flywheel/runtime';
import { repoRoot, waitFor } from '@flywheel/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const chromiumPath = process.env.FLYWHEEL_CHROMIUM ?? '/usr/bin/chromium';
const screenshots = join(repoRoot, 'test-results', 'console');
const traceUrl = 'http://127.0.0.1:16686/trace/{traceId}';
const services = Object.keys(servicePorts) as ServiceName[];

describe('the web console, clicked through in chromium', () => {
  let platform: Platform | undefined;
  let consoleProcess: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base = '';
  let v1 = 0;
  let v2 = 0;
  let retrainRunId = '';

  beforeAll(async () => {
    rmSync(screenshots, { recursive: true, force: true });
    mkdirSync(screenshots, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-console-'));
    platform = await startPlatform(
      {
        ...process.env,
        ...Object.fromEntries(services.map((s) => [grpcAddressVariable(s), '127.0.0.1:0'])),
        FLYWHEEL_STORE_DIR: join(dir, 'store'),
        FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_LOG_LEVEL: 'warn',
      },
      { log: silentLogger },
    );
    // The loop, closed for real: v1 trained and served, drift in New York traffic retrains v2.
    const scenario = weatherScenario({
      address: platform.address,
      bus: platform.bus,
      blobs: platform.blobs,
      say: () => {},
      timeoutMs: 240_000,
    });
    try {
      ({ v1 } = await scenario.setUp());
      await scenario.sendNormalTraffic(150);
      await scenario.sendShiftedTraffic(300);
      const report = await scenario.waitForNewVersion(v1);
      v2 = report.newVersion;
      retrainRunId = report.retrainRunId;
    } finally {
      await scenario.close();
    }
    // A canary of v1 against the stable v2, then rolled back with a reason, so the rollout page has both.
    const serving = createRpcClient(ServingService, { address: platform.address('serving') });
    try {
      await serving.setTrafficSplit({
        deploymentName: 'weather',
        trafficSplit: {
          strategy: {
            case: 'canary',
            value: { candidateVersion: BigInt(v1), stepPercents: [10, 50], bakeDuration: { seconds: 3600n } },
          },
        },
        reason: 'console test: canary of v1',
      });
      await serving.rollback({
        deploymentName: 'weather',
        reason: 'console test: candidate rolled back by hand',
      });
    } finally {
      serving.close();
    }

    // The console as its own process, told only where the six services listen.
    consoleProcess = spawn(process.execPath, ['services/console/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...Object.fromEntries(services.map((s) => [grpcAddressVariable(s), platform!.address(s)])),
        FLYWHEEL_CONSOLE_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_CONSOLE_TRACE_URL: traceUrl,
        FLYWHEEL_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    consoleProcess.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    base = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1]?.replace(/\/$/, ''), {
      timeoutMs: 60_000,
      what: 'the console process to print its URL',
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    consoleProcess?.kill('SIGTERM');
    await platform?.stop();
  });

  /** Waits until the page's script drew at least `n` Chart.js charts (console.js counts them on <body>). */
  async function chartsDrawn(n: number): Promise<void> {
    await page.waitForFunction(`Number(document.body.dataset.chartsDrawn) >= ${n}`);
  }

  async function shot(name: string): Promise<void> {
    const path = join(screenshots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    // A blank or broken page is a few KB; a rendered console page with tables and charts is far more.
    expect(statSync(path).size).toBeGreaterThan(20_000);
  }

  it('shows the registry: versions with metrics side by side, alias history, lineage', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'weather', exact: true }).first().click();
    await page.waitForURL(/\/models\/weather$/);
    const versions = page.getByTestId('versions');
    await expect.poll(() => versions.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    const v2Row = versions.locator(`tr[data-version="${v2}"]`);
    expect(await v2Row.textContent()).toContain('champion');
    expect(await versions.locator('thead').textContent()).toContain('roc_auc');
    const history = await page.getByTestId('alias-history').textContent();
    expect(history).toContain(`v${v1}`);
    expect(history).toContain(`v${v2}`);
    expect(await page.getByTestId('lineage').locator('g.node').count()).toBeGreaterThanOrEqual(4);
    await chartsDrawn(1);
    // A version links to the trace of the run that produced it.
    const orchestrator = createRpcClient(OrchestratorService, { address: platform!.address('orchestrator') });
    const { run } = await orchestrator.getRun({ runId: retrainRunId });
    orchestrator.close();
    expect(await v2Row.locator('a.trace').getAttribute('href')).toBe(
      traceUrl.replace('{traceId}', run!.traceId),
    );
    await shot('registry');
  });

  it('shows the retrain run: its DAG with step states and durations, and its logs', async () => {
    await page.locator(`tr[data-version="${v2}"]`).getByRole('link', { name: retrainRunId }).click();
    await page.waitForURL(new RegExp(`/runs/${retrainRunId}$`));
    const dag = page.getByTestId('run-dag');
    for (const step of ['training-set', 'train', 'evaluate', 'register']) {
      expect(await dag.locator(`g.node[data-node="${step}"]`).getAttribute('data-state')).toBe('succeeded');
    }
    expect(await dag.locator('g.node[data-node="train"] .detail').textContent()).toMatch(
      /succeeded · [\d.]+ (ms|s)/,
    );
    expect(await dag.locator('path.edge').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('logs').textContent()).toContain('[train#1]');
    await shot('run-dag');
  });

  it('shows the deployment: traffic split and the rolled-back canary with its reason', async () => {
    await page.getByRole('link', { name: 'Deployments' }).click();
    await page.getByTestId('deployments').getByRole('link', { name: 'weather' }).click();
    await page.waitForURL(/\/deployments\/weather$/);
    expect(await page.getByTestId('routes').textContent()).toContain(`v${v2}`);
    const rollout = await page.getByTestId('rollout').textContent();
    expect(rollout).toContain('rolled back');
    expect(rollout).toContain(`v${v2} → v${v1}`);
    expect(rollout).toContain('10%');
    expect(rollout).toContain('50%');
    expect(rollout).toContain('rolled back by hand');
    await chartsDrawn(1);
    await shot('rollout');
  });

  it('shows drift: the latest window per feature, statistics over time, reference and current histograms', async () => {
    await page.getByRole('link', { name: 'Drift' }).click();
    await page.getByTestId('monitors').getByRole('link', { name: 'weather' }).click();
    await page.waitForURL(/\/drift\/weather$/);
    const report = await page.getByTestId('drift-report').textContent();
    for (const feature of ['temp_max', 'temp_min', 'wind']) expect(report).toContain(feature);
    expect(report).toMatch(/psi \d/);
    // Three features over time plus their histograms: the reference and the latest window beside it.
    await chartsDrawn(6);
    for (const feature of ['temp_max', 'temp_min', 'wind']) {
      const chart = JSON.parse((await page.locator(`#hist-${feature}`).textContent()) ?? '{}') as {
        datasets: Array<{ label: string; data: number[] }>;
      };
      expect(chart.datasets.map((d) => d.label)).toEqual([
        expect.stringMatching(/^reference v\d+$/),
        'current window',
      ]);
      const shares = chart.datasets[1]?.data ?? [];
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 6);
    }
    await shot('drift');
  });

  it('shows the drift alerts', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    // count() does not wait: without this it may count on the page the click leaves.
    await page.waitForURL(/\/alerts$/);
    const alerts = page.getByTestId('alerts');
    expect(await alerts.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await alerts.textContent()).toContain('drift');
    await shot('alerts');
  });

  it('shows the loop lead time of the triggered retrain, with its trace', async () => {
    await page.getByRole('link', { name: 'Lead time' }).click();
    const row = page.getByTestId('lead-times').locator('tr', { hasText: retrainRunId });
    expect(await row.textContent()).toContain('retrain-weather-on-drift');
    expect(await row.textContent()).toContain(`weather v${v2}`);
    expect(await row.locator('td.lead').textContent()).toMatch(/\d/);
    // Measured from the drift event's own time, not from the run's creation.
    expect(await row.locator('td.start').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await row.locator('a.trace').count()).toBe(1);
    await shot('lead-time');
  });

  it('answers "what served this request?" for a request sent during a canary: in the CLI and on the console', async () => {
    // v1 stable again, then a 50% canary of v2 — the version the retrain's promote step gated in.
    const serving = createRpcClient(ServingService, { address: platform!.address('serving') });
    const inference = createRpcClient(GRPCInferenceService, { address: platform!.address('serving') });
    let requestId = '';
    let traceId = '';
    try {
      await serving.rollback({
        deploymentName: 'weather',
        toVersion: BigInt(v1),
        reason: 'console test: back to v1',
      });
      await serving.setTrafficSplit({
        deploymentName: 'weather',
        trafficSplit: {
          strategy: {
            case: 'canary',
            value: { candidateVersion: BigInt(v2), stepPercents: [50], bakeDuration: { seconds: 3600n } },
          },
        },
        reason: 'console test: canary of v2',
      });
      // A day's weather, one request at a time, until the canary answers one (50%: a few suffice).
      for (let i = 0; i < 200 && !requestId; i++) {
        const id = `what-served-${i}`;
        const answer = await inference.modelInfer({
          id,
          modelName: 'weather',
          inputs: [
            ['temp_max', 11.5],
            ['temp_min', 4.25],
            ['wind', 3.75],
          ].map(([name, value]) => ({
            name: String(name),
            datatype: 'FP32',
            shape: [1n, 1n],
            contents: { fp32Contents: [Number(value)] },
          })),
        });
        if (answer.modelVersion === String(v2)) requestId = answer.id;
      }
      expect(requestId).not.toBe('');
      const { requests } = await serving.getServedRequest({ key: { case: 'requestId', value: requestId } });
      traceId = requests[0]!.traceId;
    } finally {
      serving.close();
      inference.close();
    }

    // The CLI, as a user runs it: a context naming the services, then `flywheel served <id>`.
    const configDir = mkdtempSync(join(tmpdir(), 'flywheel-served-cli-'));
    const env = { ...process.env, NO_COLOR: '1', FLYWHEEL_CONFIG: join(configDir, 'config.yaml') };
    const flywheel = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(repoRoot, 'cli/src/main.ts'), ...args],
          { env, timeout: 120_000 },
          (error, stdout, stderr) =>
            resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
        );
      });
    const addresses = (['registry', 'serving', 'orchestrator'] as const).flatMap((s) => [
      `--${s}`,
      platform!.address(s),
    ]);
    expect((await flywheel(['context', 'set', 'console-test', ...addresses])).code).toBe(0);
    expect((await flywheel(['context', 'use', 'console-test'])).code).toBe(0);
    const cli = await flywheel(['served', requestId]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^model:\\s+weather v${v2}$`, 'm'));
    expect(cli.stdout).toMatch(new RegExp(`^route:\\s+canary \\(stable v${v1}\\)$`, 'm'));
    expect(cli.stdout).toMatch(new RegExp(`^trace:\\s+${traceId}$`, 'm'));
    expect(cli.stdout).toMatch(/temp_max\s+11\.5\s+request/);
    expect(cli.stdout).toMatch(/wind\s+3\.75\s+request/);
    expect(cli.stdout).toContain(`promoted to @champion: v${v1} → v${v2}`);
    expect(cli.stdout).toContain(`gates (run ${retrainRunId}, step promote):`);
    expect(cli.stdout).toMatch(/roc_auc\s+[\d.]+\s+[\d.]+\s+>\s+[\d.]+\s+yes/);
    const json = JSON.parse((await flywheel(['served', requestId, '-o', 'json'])).stdout) as {
      requests: { request: { modelVersion: string; route: string }; promotions: { gates: unknown[] }[] }[];
    };
    expect(json.requests[0]?.request).toMatchObject({ modelVersion: String(v2), route: 'ROUTE_ROLE_CANARY' });
    expect(json.requests[0]?.promotions[0]?.gates).toHaveLength(1);
    const unknown = await flywheel(['served', 'no-such-request']);
    expect(unknown.code).toBe(15);
    expect(unknown.stderr).toContain('NOT_FOUND: request "no-such-request"');
    const empty = await flywheel(['served', '']);
    expect(empty.code).toBe(13);
    expect(empty.stderr).toContain('INVALID_ARGUMENT: request_id: is required');

    // The console: the header's search box → the request's page.
    await page.goto(`${base}/models`);
    await page.getByRole('searchbox', { name: 'what served this request' }).fill(requestId);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/requests/${requestId}$`));
    expect(await page.getByTestId('served-version').textContent()).toBe(`v${v2}`);
    expect(await page.getByTestId('route').textContent()).toBe('canary');
    expect(await page.getByTestId('served').locator('a.trace').first().getAttribute('href')).toBe(
      traceUrl.replace('{traceId}', traceId),
    );
    const features = page.getByTestId('features');
    expect(await features.locator('td[data-feature="temp_max"]').textContent()).toBe('11.5');
    expect(await features.locator('td[data-feature="wind"]').textContent()).toBe('3.75');
    const promotions = await page.getByTestId('promotions').textContent();
    expect(promotions).toContain(`@champion: v${v1} → v${v2}`);
    expect(promotions).toContain(retrainRunId);
    const gates = await page.getByTestId('gates').locator('tbody tr').first().textContent();
    expect(gates).toContain('roc_auc');
    expect(gates).toContain('passed');
    await shot('what-served');
  }, 240_000);

  it('is embedded by the platform when asked (as `./flywheel start` does), with its URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-console-embedded-'));
    const embedded = await startPlatform(
      {
        ...process.env,
        ...Object.fromEntries(services.map((s) => [grpcAddressVariable(s), '127.0.0.1:0'])),
        FLYWHEEL_STORE_DIR: join(dir, 'store'),
        FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
        FLYWHEEL_CONSOLE_HTTP_ADDRESS: '127.0.0.1:0',
      },
      { log: silentLogger, console: true },
    );
    try {
      expect(embedded.console?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(`${embedded.console!.url}models`);
      expect(await page.locator('main').textContent()).toContain('No models registered yet.');
    } finally {
      await embedded.stop();
    }
  }, 120_000);
});
