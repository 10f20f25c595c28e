import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  CompareRunsResponseSchema,
  type ListRunsRequest,
  MetricPointSchema,
  type Run,
  RunSchema,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { describe, expect, it } from 'vitest';
import type { ConsoleClients } from '../src/clients.ts';
import { bestIndex, comparePage } from '../src/pages/compare-page.ts';
import { experimentPage, parseMetricOrder } from '../src/pages/experiment-page.ts';
import { experimentsPage, summarizeExperiments } from '../src/pages/experiments-page.ts';
import type { PageContext } from '../src/pages/page-context.ts';

const t0 = Date.parse('2026-12-03T12:00:00Z');
const run = (
  id: string,
  experiment: string,
  minute: number,
  fields: MessageInitShape<typeof RunSchema> = {},
): Run =>
  create(RunSchema, {
    id,
    experiment,
    pipelineName: 'train',
    state: RunState.SUCCEEDED,
    createTime: timestampFromMs(t0 + minute * 60_000),
    ...fields,
  });

const runs = [
  run('r1', 'churn', 1, {
    metrics: { roc_auc: 0.71, log_loss: 0.5 },
    parameters: { c: 0.01 },
    tags: ['sweep'],
  }),
  run('r2', 'churn', 3, {
    metrics: { roc_auc: 0.83, log_loss: 0.4 },
    parameters: { c: 0.1 },
    tags: ['sweep'],
  }),
  run('r3', 'churn', 2, { metrics: { roc_auc: 0.79, log_loss: 0.3 }, parameters: { c: 1, penalty: 'l2' } }),
  run('k1', 'knn', 0, { metrics: { accuracy: 0.9 } }),
];

/** A page context whose orchestrator answers from `runs`, recording the ListRuns requests. */
function contextOf(query: string, requests: Partial<ListRunsRequest>[] = []): PageContext {
  const orchestrator = {
    listRuns: async (request: Partial<ListRunsRequest>) => {
      requests.push(request);
      const matching = runs.filter((r) => !request.experiment || r.experiment === request.experiment);
      return { runs: matching, nextPageToken: '' };
    },
    compareRuns: async ({ runIds }: { runIds: string[] }) =>
      create(CompareRunsResponseSchema, {
        runs: runIds.map((id) => {
          const r = runs.find((x) => x.id === id)!;
          return {
            runId: id,
            experiment: r.experiment,
            state: r.state,
            params: Object.fromEntries(
              Object.entries(r.parameters ?? {}).map(([k, v]) => [k, JSON.stringify(v)]),
            ),
            metrics: r.metrics,
          };
        }),
        paramNames: ['c', 'penalty'],
        metricNames: ['log_loss', 'roc_auc'],
      }),
    getMetricHistory: async ({ runId, metric }: { runId: string; metric: string }) => ({
      points:
        metric === 'log_loss'
          ? [0, 1, 2].map((step) =>
              create(MetricPointSchema, {
                stepName: 'fit',
                step: BigInt(step),
                value: runId === 'r1' ? 1 - step / 10 : 0.9 - step / 5,
              }),
            )
          : [],
    }),
  };
  return {
    clients: { orchestrator } as unknown as ConsoleClients,
    traceUrl: undefined,
    query: new URLSearchParams(query),
  };
}

describe('the experiments pages', () => {
  it('summarize experiments: run count, newest run, best run by a metric (lowest for a loss)', () => {
    const [churn, knn] = summarizeExperiments(runs, 'roc_auc');
    expect(churn).toMatchObject({
      name: 'churn',
      runs: 3,
      latest: { id: 'r2' },
      best: { value: 0.83, run: { id: 'r2' } },
    });
    expect(knn).toMatchObject({ name: 'knn', runs: 1 });
    expect(knn?.best).toBeUndefined();
    expect(summarizeExperiments(runs, 'log_loss')[0]?.best).toMatchObject({ value: 0.3, run: { id: 'r3' } });
  });

  it('list every experiment with a picker of the metric that ranks them', async () => {
    const page = (await experimentsPage(contextOf('metric=log_loss'))).text;
    expect(page).toContain('href="/experiments/churn"');
    expect(page).toContain('href="/experiments/knn"');
    expect(page).toMatch(/<label for="metric">best by metric<\/label>/);
    expect(page).toContain('<option selected>log_loss</option>');
    expect(page).toContain('lowest');
    expect(page).toMatch(/data-testid="best-value">0\.3000</);
  });

  it("show an experiment's runs with the union of params and metrics, sorted on the server, filtered by tag", async () => {
    const requests: Partial<ListRunsRequest>[] = [];
    const page = (await experimentPage(contextOf('order=metrics.roc_auc desc&tag=sweep', requests), 'churn'))
      .text;
    expect(requests[0]).toMatchObject({ experiment: 'churn', orderBy: 'metrics.roc_auc desc', tag: 'sweep' });
    for (const header of ['>c</th>', '>penalty</th>']) expect(page).toContain(header);
    // The sorted column says so, and its link flips the direction; a loss sorts ascending first.
    expect(page).toMatch(
      /aria-sort="descending" data-metric="roc_auc"><a href="\/experiments\/churn\?order=metrics\.roc_auc\+asc&amp;tag=sweep"/,
    );
    expect(page).toMatch(
      /aria-sort="none" data-metric="log_loss"><a href="\/experiments\/churn\?order=metrics\.log_loss\+asc/,
    );
    expect(page).toContain('aria-label="pick run r1 to compare"');
    expect(page).toContain('form="compare"');
    expect(page).toContain('<td data-param="penalty">&quot;l2&quot;</td>');
    expect(page).toContain('<label for="tag">tag</label>');
  });

  it('parse only metric orders', () => {
    expect(parseMetricOrder('metrics.roc_auc')).toEqual({ metric: 'roc_auc', direction: 'desc' });
    expect(parseMetricOrder('metrics.log_loss asc')).toEqual({ metric: 'log_loss', direction: 'asc' });
    expect(parseMetricOrder('create_time desc')).toBeUndefined();
  });
});

describe('the compare page', () => {
  it('marks the best value: highest, lowest for a loss, none for a tie or a single value', () => {
    expect(bestIndex('roc_auc', [0.7, 0.8, undefined])).toBe(1);
    expect(bestIndex('log_loss', [0.7, 0.2, 0.5])).toBe(1);
    expect(bestIndex('roc_auc', [0.7, 0.7])).toBeUndefined();
    expect(bestIndex('roc_auc', [0.7, undefined])).toBeUndefined();
  });

  it('shows runs side by side, differing rows highlighted, and charts the first metric with a history', async () => {
    const page = (await comparePage(contextOf('run=r1&run=r3'))).text;
    expect(page).toContain('<th scope="col" data-run="r1">');
    expect(page).toContain('<th scope="col" data-run="r3">');
    expect(page).toMatch(
      /<tr data-row="params\.c" class="differs" data-differs="true"><th scope="row">params\.c<\/th><td class="">0\.01<\/td><td class="">1<\/td>/,
    );
    // roc_auc: r3 best; log_loss: r3 best (lower).
    expect(page).toMatch(
      /data-row="metrics\.roc_auc"[\s\S]*?<td class="num">0\.7100<\/td><td class="num best" data-best="true">0\.7900/,
    );
    expect(page).toMatch(
      /data-row="metrics\.log_loss"[\s\S]*?<td class="num">0\.5000<\/td><td class="num best" data-best="true">0\.3000/,
    );
    expect(page).toContain('data-chart="series"');
    const json = /<script type="application\/json" id="history-chart">(.*?)<\/script>/.exec(page)?.[1];
    const chart = JSON.parse(json ?? '{}') as {
      datasets: { label: string; data: { x: number; y: number }[] }[];
    };
    expect(chart.datasets.map((d) => [d.label, d.data.length])).toEqual([
      ['r1', 3],
      ['r3', 3],
    ]);
    expect(chart.datasets[0]?.data[2]).toEqual({ x: 2, y: 0.8 });
  });

  it('asks for two runs rather than calling CompareRuns with one', async () => {
    const page = (await comparePage(contextOf('run=r1'))).text;
    expect(page).toContain('Pick two or more runs');
  });
});
