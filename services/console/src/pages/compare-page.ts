import { lowerIsBetter } from '@flywheel/ml/metric-direction';
import {
  type CompareRunsResponse,
  type MetricPoint,
  RunState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { badge, enumName, metric } from '../view/format.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { experimentLink } from './experiment-link.ts';
import type { PageContext } from './page-context.ts';

/** Metric names the page tries, in order, for a chart when none is asked for. */
const chartCandidates = 20;

/** The index of the best value in `values` (highest, or lowest for losses and errors); undefined when none or all tie. */
export function bestIndex(metricName: string, values: readonly (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  if (present.length < 2 || present.every((v) => v === present[0])) return undefined;
  const best = lowerIsBetter(metricName) ? Math.min(...present) : Math.max(...present);
  return values.indexOf(best);
}

/** One row of the comparison: a name and each run's value as text (undefined: the run has none). */
interface Row {
  label: string;
  cells: (string | undefined)[];
  best?: number | undefined;
}

function comparisonRows(compared: CompareRunsResponse): Row[] {
  return [
    ...compared.paramNames.map((p) => ({
      label: `params.${p}`,
      cells: compared.runs.map((r) => r.params[p]),
    })),
    ...compared.metricNames.map((m) => {
      const values = compared.runs.map((r) => r.metrics[m]);
      return {
        label: `metrics.${m}`,
        cells: values.map((v) => (v === undefined ? undefined : metric(v))),
        best: bestIndex(m, values),
      };
    }),
  ];
}

/**
 * Runs side by side (CompareRuns of `?run=a&run=b…`): a row per parameter and per metric, rows
 * whose values differ highlighted, the best value of each metric marked; below, a chart of one
 * metric's history (GetMetricHistory) for every compared run.
 */
export async function comparePage(ctx: PageContext): Promise<Html> {
  const ids = [...new Set(ctx.query?.getAll('run') ?? [])];
  if (ids.length < 2) {
    return layout(
      'Compare runs',
      html`<p class="empty">Pick two or more runs to compare (the checkboxes of an <a href="/experiments">experiment's</a> runs).</p>`,
    );
  }
  const { orchestrator } = ctx.clients;
  const compared = await orchestrator.compareRuns({ runIds: ids });
  const rows = comparisonRows(compared);

  // The charted metric: the one asked for, else the first whose history any run logged.
  const historyOf = async (metricName: string) =>
    Promise.all(
      compared.runs.map(
        async (r) => (await orchestrator.getMetricHistory({ runId: r.runId, metric: metricName })).points,
      ),
    );
  const asked = ctx.query?.get('metric') || undefined;
  let charted: { metric: string; series: MetricPoint[][] } | undefined;
  for (const name of asked ? [asked] : compared.metricNames.slice(0, chartCandidates)) {
    const series = await historyOf(name);
    if (asked || series.some((points) => points.length)) {
      charted = { metric: name, series };
      break;
    }
  }
  const hasPoints = !!charted?.series.some((points) => points.length);
  const chart = charted && {
    datasets: compared.runs.map((r, i) => ({
      label: r.runId,
      data: (charted.series[i] ?? []).map((p) => ({ x: Number(p.step), y: p.value })),
    })),
  };

  const table = html`<table data-testid="comparison"><caption>${compared.runs.length} runs; <span class="differs-key">highlighted</span> rows differ, ★ marks each metric's best (highest, or lowest for losses and errors)</caption>
<thead><tr><th scope="col">run</th>${compared.runs.map((r) => html`<th scope="col" data-run="${r.runId}"><a href="/runs/${encodeURIComponent(r.runId)}">${r.runId}</a></th>`)}</tr></thead>
<tbody>
<tr><th scope="row">experiment</th>${compared.runs.map((r) => html`<td>${experimentLink(r.experiment)}</td>`)}</tr>
<tr><th scope="row">state</th>${compared.runs.map((r) => html`<td>${badge(enumName(RunState, r.state))}</td>`)}</tr>
${rows.map((row) => {
  const differs = new Set(row.cells).size > 1;
  return html`<tr data-row="${row.label}"${differs ? html` class="differs" data-differs="true"` : ''}><th scope="row">${row.label}</th>${row.cells.map(
    (cell, i) =>
      i === row.best
        ? html`<td class="num best" data-best="true">${cell} <span aria-hidden="true">★</span><span class="visually-hidden">(best)</span></td>`
        : html`<td class="${row.label.startsWith('metrics.') ? 'num' : ''}">${cell ?? '—'}</td>`,
  )}</tr>`;
})}
</tbody></table>`;

  const picker = compared.metricNames.length
    ? html`<form class="search" method="get" action="/compare">${compared.runs.map((r) => html`<input type="hidden" name="run" value="${r.runId}">`)}
<label for="metric">history of</label><select id="metric" name="metric">${compared.metricNames.map((m) => html`<option${m === charted?.metric ? html` selected` : ''}>${m}</option>`)}</select>
<button type="submit">Chart</button></form>`
    : '';
  const history =
    charted && chart && hasPoints
      ? html`<div class="chart"><canvas data-chart="series" data-source="history-chart" data-testid="history-chart" role="img" aria-label="${charted.metric} by step for runs ${compared.runs.map((r) => r.runId).join(', ')}"></canvas></div>${jsonScript('history-chart', chart)}
<details><summary>the points</summary><table data-testid="history-points"><thead><tr><th scope="col">run</th><th scope="col">pipeline step</th><th scope="col">step</th><th scope="col">${charted.metric}</th></tr></thead>
<tbody>${compared.runs.flatMap((r, i) => (charted.series[i] ?? []).map((p) => html`<tr><td>${r.runId}</td><td>${p.stepName}</td><td class="num">${p.step}</td><td class="num">${metric(p.value)}</td></tr>`))}</tbody></table></details>`
      : empty(
          charted
            ? `No run logged a history of ${charted.metric} (log_metrics(step=…)).`
            : 'No metric history logged.',
        );
  return layout(
    'Compare runs',
    html`${table}<h2>Metric history${charted ? html`: ${charted.metric}` : ''}</h2>${picker}${history}`,
  );
}
