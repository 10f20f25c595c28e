// Experiments in the web console, in a real browser: Debian's chromium (FLYWHEEL_CHROMIUM) driven
// by playwright-core, against the console over a real orchestrator whose runs' command steps log
// metrics and their per-epoch history through the step file contract ($FLYWHEEL_OUTPUTS_FILE, what
// the SDK's log_metrics writes). Experiments → an experiment → sort by a metric (both ways, the
// order checked) → filter by a tag → pick two runs → compare: both runs' values, the best marked,
// and the history chart drawn with every point. Screenshots in test-results/console-experiments/.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBus, type EventBus } from '@flywheel/bus';
import { loadConsoleConfig, type RunningConsole, startConsole } from '@flywheel/console';
import { silentLogger } from '@flywheel/core';
import { loadOrchestratorConfig, wireOrchestrator } from '@flywheel/orchestrator';
import { OrchestratorService, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { repoRoot, waitFor } from '@flywheel/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const chromiumPath = process.env.FLYWHEEL_CHROMIUM ?? '/usr/bin/chromium';
const screenshots = join(repoRoot, 'test-results', 'console-experiments');
const experiment = 'churn-sweep';

/** A command step (this Node binary) that logs `roc_auc` and a 3-epoch `val_loss` history, as log_metrics(step=…) does. */
function trainingScript(rocAuc: number, losses: readonly number[]): string {
  const outputs = {
    metrics: { roc_auc: rocAuc, val_loss: losses.at(-1) },
    metric_history: { val_loss: losses.map((loss, epoch) => [epoch, loss]) },
  };
  return `require('node:fs').writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, ${JSON.stringify(JSON.stringify(outputs))})`;
}

describe('experiments in the web console, clicked through in chromium', () => {
  let orchestrator: InProcessService | undefined;
  let consoleServer: RunningConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base = '';
  /** Run ids by their learning rate's name. */
  const ids = { lr01: '', lr1: '', lr10: '', knn: '' };

  beforeAll(async () => {
    rmSync(screenshots, { recursive: true, force: true });
    mkdirSync(screenshots, { recursive: true });
    const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-console-experiments-'));
    orchestrator = await startInProcess('orchestrator', {
      load: loadOrchestratorConfig,
      wire: (host, config) => wireOrchestrator(host, config, { builtinSteps: {} }),
      shared: { bus: createMemoryBus() as EventBus },
      dataDir,
      env: { FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dataDir, 'jobs'), FLYWHEEL_RAY_ADDRESS: '' },
    });
    const client = createRpcClient(OrchestratorService, { address: orchestrator.address });
    try {
      const sweep: ['lr01' | 'lr1' | 'lr10', number, number, number[], string[]][] = [
        ['lr01', 0.01, 0.71, [0.9, 0.8, 0.75], ['sweep']],
        ['lr1', 0.1, 0.86, [0.8, 0.5, 0.35], ['sweep', 'best-guess']],
        ['lr10', 1, 0.78, [0.7, 0.6, 0.55], ['baseline']],
      ];
      for (const [name, lr, rocAuc, losses, tags] of sweep) {
        const { run } = await client.submitRun({
          pipeline: {
            case: 'inlinePipeline',
            value: {
              name: 'train-churn',
              spec: {
                parameters: [{ name: 'lr', defaultValue: { kind: { case: 'numberValue', value: 1 } } }],
                steps: [
                  {
                    name: 'fit',
                    kind: {
                      case: 'command',
                      value: { command: [process.execPath, '-e', trainingScript(rocAuc, losses)] },
                    },
                  },
                ],
              },
            },
          },
          parameters: { lr },
          experiment,
          tags,
        });
        ids[name] = run!.id;
      }
      // A second experiment, by default the pipeline's name, logging another metric.
      const { run: knn } = await client.submitRun({
        pipeline: {
          case: 'inlinePipeline',
          value: {
            name: 'knn-baseline',
            spec: {
              steps: [
                {
                  name: 'fit',
                  kind: {
                    case: 'command',
                    value: {
                      command: [
                        process.execPath,
                        '-e',
                        `require('node:fs').writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, '{"metrics":{"accuracy":0.9}}')`,
                      ],
                    },
                  },
                },
              ],
            },
          },
        },
      });
      ids.knn = knn!.id;
      for (const id of Object.values(ids)) {
        await waitFor(
          async () => {
            const { run } = await client.getRun({ runId: id });
            if (run?.state === RunState.FAILED || run?.state === RunState.CANCELLED)
              throw new Error(`run ${id} ended ${RunState[run.state]}: ${run.failure?.message}`);
            return run?.state === RunState.SUCCEEDED || undefined;
          },
          { timeoutMs: 120_000, what: `run ${id} to succeed` },
        );
      }
    } finally {
      client.close();
    }
    consoleServer = await startConsole(
      loadConsoleConfig({
        FLYWHEEL_ORCHESTRATOR_GRPC_ADDRESS: orchestrator.address,
        FLYWHEEL_CONSOLE_HTTP_ADDRESS: '127.0.0.1:0',
      }),
      silentLogger,
    );
    base = consoleServer.url.replace(/\/$/, '');
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await consoleServer?.stop();
    await orchestrator?.stop();
  });

  async function shot(name: string): Promise<void> {
    const path = join(screenshots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(20_000);
  }

  /** The run ids of the experiment table's rows, top to bottom. */
  const rowOrder = () =>
    page
      .getByTestId('experiment-runs')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));

  it('lists the experiment with its run count and best roc_auc', async () => {
    await page.goto(`${base}/runs`);
    await page.getByRole('navigation').getByRole('link', { name: 'Experiments' }).click();
    await page.waitForURL(/\/experiments$/);
    const row = page.getByTestId('experiments').locator(`tr[data-experiment="${experiment}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe('3');
    const knn = page.getByTestId('experiments').locator('tr[data-experiment="knn-baseline"]');
    expect(await knn.locator('td').nth(2).textContent()).toBe(ids.knn);
    await page.getByLabel('best by metric').selectOption('roc_auc');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/metric=roc_auc/);
    expect(await row.getByTestId('best-value').textContent()).toBe('0.8600');
    expect(await row.locator('td').last().textContent()).toBe(ids.lr1);
    // An experiment without that metric has no best.
    expect(await knn.getByTestId('best-value').textContent()).toBe('—');
    await shot('experiments');
  });

  it("shows the experiment's runs with params and metrics, sorted by a metric on the server, both ways", async () => {
    await page.getByTestId('experiments').getByRole('link', { name: experiment }).click();
    await page.waitForURL(new RegExp(`/experiments/${experiment}$`));
    const table = page.getByTestId('experiment-runs');
    for (const header of ['lr', 'roc_auc', 'val_loss'])
      expect(await table.getByRole('columnheader', { name: header }).count()).toBe(1);
    expect(await rowOrder()).toHaveLength(3);
    await table.getByRole('link', { name: 'roc_auc' }).click();
    await page.waitForURL(/order=metrics\.roc_auc\+desc/);
    expect(await rowOrder()).toEqual([ids.lr1, ids.lr10, ids.lr01]);
    expect(await table.locator('th[data-metric="roc_auc"]').getAttribute('aria-sort')).toBe('descending');
    await table.getByRole('link', { name: /roc_auc/ }).click();
    await page.waitForURL(/order=metrics\.roc_auc\+asc/);
    expect(await rowOrder()).toEqual([ids.lr01, ids.lr10, ids.lr1]);
    // A loss sorts best (lowest) first on its first click.
    await table.getByRole('link', { name: 'val_loss' }).click();
    await page.waitForURL(/order=metrics\.val_loss\+asc/);
    expect(await rowOrder()).toEqual([ids.lr1, ids.lr10, ids.lr01]);
    expect(await table.locator(`tr[data-run="${ids.lr1}"] td[data-param="lr"]`).textContent()).toBe('0.1');
    await shot('experiment');
  });

  it('filters the runs by a tag, keeping the order', async () => {
    await page.getByLabel('tag', { exact: true }).fill('sweep');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/tag=sweep/);
    expect(await rowOrder()).toEqual([ids.lr1, ids.lr01]);
    await page.getByRole('link', { name: 'all tags' }).click();
    await page.waitForURL((url) => !url.search.includes('tag='));
    expect(await rowOrder()).toHaveLength(3);
  });

  it("compares two picked runs: both runs' values, differing rows, the best marked, the history charted", async () => {
    await page.getByLabel(`pick run ${ids.lr01} to compare`).check();
    await page.getByLabel(`pick run ${ids.lr1} to compare`).check();
    await page.getByRole('button', { name: 'Compare picked runs' }).click();
    await page.waitForURL(/\/compare\?/);
    const comparison = page.getByTestId('comparison');
    // One column per picked run, in the table's order (still by val_loss ascending: lr1 before lr01).
    expect(
      await comparison
        .locator('thead th[data-run]')
        .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-run'))),
    ).toEqual([ids.lr1, ids.lr01]);
    for (const id of [ids.lr01, ids.lr1])
      expect(await comparison.getByRole('columnheader', { name: id }).count()).toBe(1);
    const rocAuc = comparison.locator('tr[data-row="metrics.roc_auc"]');
    expect(await rocAuc.getAttribute('data-differs')).toBe('true');
    expect(await rocAuc.textContent()).toContain('0.7100');
    expect(await rocAuc.locator('td[data-best="true"]').textContent()).toContain('0.8600');
    expect(await comparison.locator('tr[data-row="params.lr"]').textContent()).toBe('params.lr0.10.01');
    expect(
      await comparison.locator('tr[data-row="metrics.val_loss"] td[data-best="true"]').textContent(),
    ).toContain('0.3500');
    // The chart of val_loss: one line per run, each with its three epochs drawn by Chart.js.
    await page.waitForFunction('Number(document.body.dataset.chartsDrawn) >= 1');
    const drawn = await page.getByTestId('history-chart').evaluate((canvas) => {
      // biome-ignore lint/suspicious/noExplicitAny: Chart is the page's global from /assets/chart.js.
      const chart = (globalThis as any).Chart.getChart(canvas);
      return chart.data.datasets.map((d: { label: string }, i: number) => [
        d.label,
        chart.getDatasetMeta(i).data.length,
      ]);
    });
    expect(drawn).toEqual([
      [ids.lr1, 3],
      [ids.lr01, 3],
    ]);
    await shot('compare');
  });

  it('links a run back to its experiment, from the run page and from the runs list', async () => {
    await page.getByTestId('comparison').getByRole('link', { name: ids.lr1 }).click();
    await page.waitForURL(new RegExp(`/runs/${ids.lr1}$`));
    await page.locator('#run-detail a.experiment').click();
    await page.waitForURL(new RegExp(`/experiments/${experiment}$`));
    expect(await rowOrder()).toHaveLength(3);
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await page.waitForURL(/\/runs$/);
    await page
      .getByTestId('runs')
      .locator('tr', { hasText: ids.knn })
      .getByRole('link', { name: 'knn-baseline' })
      .click();
    await page.waitForURL(/\/experiments\/knn-baseline$/);
    expect(await rowOrder()).toEqual([ids.knn]);
  });

  it("shows the orchestrator's refusals: a bad order is 400 naming order_by, an unknown run 404", async () => {
    const badOrder = await page.goto(`${base}/experiments/${experiment}?order=create_time`);
    expect(badOrder?.status()).toBe(400);
    expect(await page.locator('main .error').textContent()).toContain('order_by');
    const unknown = await page.goto(`${base}/compare?run=${ids.lr1}&run=no-such-run`);
    expect(unknown?.status()).toBe(404);
  });
});
