import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  nodeStep,
  startOrchestrator,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

/** A "training" built-in: logs the metrics its parameters name, the way a step's outputs carry them. */
const builtins: BuiltinSteps = {
  train: async ({ parameters }) => ({
    model: 'm',
    metrics: parameters.metrics ?? {},
    ...(parameters.metric_history ? { metric_history: parameters.metric_history } : {}),
  }),
};

describe('experiments: runs grouped, tagged, sorted by metric and compared', () => {
  let orchestrator: TestOrchestrator;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
    const sweep: [string, number, number, string[]][] = [
      ['c01', 0.01, 0.71, ['sweep']],
      ['c1', 0.1, 0.83, ['sweep', 'best-guess']],
      ['c10', 1, 0.79, ['sweep']],
    ];
    for (const [name, c, rocAuc, tags] of sweep) {
      const run = await submit(
        orchestrator.client,
        {
          parameters: [{ name: 'c', defaultValue: { kind: { case: 'numberValue', value: 1 } } }],
          steps: [
            builtinStep('train', 'train', {
              parameters: { metrics: { roc_auc: rocAuc, log_loss: 1 - rocAuc } },
            }),
            // A later step's value of the same name wins: the evaluation's log_loss.
            builtinStep('evaluate', 'train', {
              dependsOn: ['train'],
              parameters: { metrics: { log_loss: c } },
            }),
          ],
        },
        { experiment: 'churn-lr', tags, parameters: { c } },
      );
      ids[name] = run.id;
    }
    // A run that logs through the command-step file contract ($FLYWHEEL_OUTPUTS_FILE), without the
    // metric the others are sorted by; experiment defaulted to the pipeline's name.
    const command = await submit(
      orchestrator.client,
      {
        steps: [
          nodeStep(
            'fit',
            `require('node:fs').writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ metrics: { accuracy: 0.9, bad: 'x' }, params: { k: 3 } }))`,
          ),
        ],
      },
      { tags: ['sweep'] },
      'knn-baseline',
    );
    ids.knn = command.id;
    for (const id of Object.values(ids))
      expect((await waitForFinal(orchestrator.client, id)).state).toBe(RunState.SUCCEEDED);
  }, 60_000);
  afterAll(async () => {
    await orchestrator.stop();
  });

  it("records the experiment (default: the pipeline name), sorted tags and the steps' final metrics", async () => {
    const { run } = await orchestrator.client.getRun({ runId: ids.c1! });
    expect(run).toMatchObject({ experiment: 'churn-lr', tags: ['best-guess', 'sweep'] });
    expect(run?.metrics).toEqual({ roc_auc: 0.83, log_loss: 0.1 });
    const { run: knn } = await orchestrator.client.getRun({ runId: ids.knn! });
    expect(knn).toMatchObject({ experiment: 'knn-baseline', tags: ['sweep'] });
    // Only finite numbers count as metrics.
    expect(knn?.metrics).toEqual({ accuracy: 0.9 });
  });

  it("lists an experiment's runs, one tag's runs, and both", async () => {
    const list = async (request: { experiment?: string; tag?: string }) =>
      (await orchestrator.client.listRuns(request)).runs.map((run) => run.id).sort();
    expect(await list({ experiment: 'churn-lr' })).toEqual([ids.c01, ids.c1, ids.c10].sort());
    expect(await list({ tag: 'sweep' })).toEqual(Object.values(ids).sort());
    expect(await list({ experiment: 'churn-lr', tag: 'best-guess' })).toEqual([ids.c1]);
    expect(await list({ experiment: 'nobody' })).toEqual([]);
  });

  it('sorts an experiment by a metric, either way, in pages', async () => {
    const sorted = async (orderBy: string, pageSize = 0, pageToken = '') =>
      orchestrator.client.listRuns({ experiment: 'churn-lr', orderBy, pageSize, pageToken });
    expect((await sorted('metrics.roc_auc desc')).runs.map((r) => r.id)).toEqual([ids.c1, ids.c10, ids.c01]);
    expect((await sorted('metrics.roc_auc')).runs.map((r) => r.id)).toEqual([ids.c1, ids.c10, ids.c01]);
    expect((await sorted('metrics.roc_auc asc')).runs.map((r) => r.id)).toEqual([ids.c01, ids.c10, ids.c1]);
    const first = await sorted('metrics.roc_auc desc', 2);
    expect(first.runs.map((r) => r.id)).toEqual([ids.c1, ids.c10]);
    const second = await sorted('metrics.roc_auc desc', 2, first.nextPageToken);
    expect(second).toMatchObject({ runs: [{ id: ids.c01 }], nextPageToken: '' });
    // A token of one order is refused by another.
    await expect(sorted('metrics.roc_auc asc', 2, first.nextPageToken)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'page_token',
    });
    // Runs without the metric come last.
    const knnFirst = await orchestrator.client.listRuns({
      experiment: 'knn-baseline',
      orderBy: 'metrics.roc_auc desc',
    });
    expect(knnFirst.runs.map((r) => r.id)).toEqual([ids.knn]);
  });

  it('refuses an order it does not support, naming order_by', async () => {
    for (const orderBy of ['create_time desc', 'metrics.roc_auc sideways', 'metrics.']) {
      await expect(orchestrator.client.listRuns({ experiment: 'churn-lr', orderBy })).rejects.toMatchObject({
        code: 'invalid_argument',
        field: 'order_by',
      });
    }
    await expect(orchestrator.client.listRuns({ orderBy: 'metrics.roc_auc desc' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'order_by',
      message: expect.stringContaining('experiment'),
    });
  });

  it('refuses bad tags and experiments, naming the field', async () => {
    const spec = { steps: [builtinStep('train', 'train')] };
    await expect(submit(orchestrator.client, spec, { tags: ['ok', 'Not OK'] })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'tags[1]',
    });
    await expect(
      submit(orchestrator.client, spec, { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'tags' });
    await expect(submit(orchestrator.client, spec, { experiment: 'Churn LR' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'experiment',
    });
  });

  it('retries a run into the same experiment with the same tags', async () => {
    const { run } = await orchestrator.client.retryRun({ runId: ids.c10! });
    expect(run).toMatchObject({ experiment: 'churn-lr', tags: ['sweep'] });
    await waitForFinal(orchestrator.client, run!.id);
  });

  it('compares runs side by side: parameters as JSON text and metrics, under the union of names', async () => {
    const compared = await orchestrator.client.compareRuns({ runIds: [ids.c01!, ids.c1!, ids.knn!] });
    expect(compared.paramNames).toEqual(['c']);
    expect(compared.metricNames).toEqual(['accuracy', 'log_loss', 'roc_auc']);
    expect(compared.runs).toMatchObject([
      {
        runId: ids.c01,
        experiment: 'churn-lr',
        state: RunState.SUCCEEDED,
        params: { c: '0.01' },
        metrics: { roc_auc: 0.71 },
      },
      { runId: ids.c1, params: { c: '0.1' }, metrics: { roc_auc: 0.83, log_loss: 0.1 } },
      { runId: ids.knn, experiment: 'knn-baseline', params: {}, metrics: { accuracy: 0.9 } },
    ]);
  });

  it("answers a metric's series: each succeeded step's [index, value] pairs, malformed ones left out", async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('fit', 'train', {
          parameters: {
            metric_history: {
              loss: [
                [0, 0.9],
                [1, 0.5],
                ['two', 0.4],
                [3, 'x'],
              ],
            },
          },
        }),
      ],
    });
    await waitForFinal(orchestrator.client, run.id);
    const { points } = await orchestrator.client.getMetricHistory({ runId: run.id, metric: 'loss' });
    expect(points.map((p) => [p.stepName, Number(p.step), p.value])).toEqual([
      ['fit', 0, 0.9],
      ['fit', 1, 0.5],
    ]);
    expect((await orchestrator.client.getMetricHistory({ runId: run.id, metric: 'auc' })).points).toEqual([]);
    await expect(
      orchestrator.client.getMetricHistory({ runId: 'ghost', metric: 'loss' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('refuses a comparison of one run, of a repeated or of an unknown run', async () => {
    await expect(orchestrator.client.compareRuns({ runIds: [ids.c1!] })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'run_ids',
    });
    await expect(orchestrator.client.compareRuns({ runIds: [ids.c1!, ids.c1!] })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'run_ids[1]',
    });
    await expect(orchestrator.client.compareRuns({ runIds: [ids.c1!, 'ghost'] })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
