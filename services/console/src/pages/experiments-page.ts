import { lowerIsBetter } from '@flywheel/ml/metric-direction';
import { type Run, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { badge, enumName, metric, msOf, when } from '../view/format.ts';
import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { experimentLink } from './experiment-link.ts';
import type { PageContext } from './page-context.ts';

/** Runs the page reads at most (ListRuns pages of 500, newest first) to group them into experiments. */
export const experimentsScanLimit = 5000;
const scanPageSize = 500;

/** One experiment as the page shows it. */
export interface ExperimentSummary {
  name: string;
  runs: number;
  latest: Run;
  /** The run with the best value of the chosen metric (highest, or lowest for losses and errors). */
  best?: { run: Run; value: number };
}

/**
 * Runs grouped by `Run.experiment`: each group's size, newest run and best run by `metricName`;
 * experiments with the newest run first.
 */
export function summarizeExperiments(
  runs: readonly Run[],
  metricName: string | undefined,
): ExperimentSummary[] {
  const lower = metricName !== undefined && lowerIsBetter(metricName);
  const byName = new Map<string, ExperimentSummary>();
  for (const run of runs) {
    const name = run.experiment || run.pipelineName;
    let summary = byName.get(name);
    if (!summary) {
      summary = { name, runs: 0, latest: run };
      byName.set(name, summary);
    }
    summary.runs += 1;
    if ((msOf(run.createTime) ?? 0) > (msOf(summary.latest.createTime) ?? 0)) summary.latest = run;
    const value = metricName === undefined ? undefined : run.metrics[metricName];
    if (
      value !== undefined &&
      (!summary.best || (lower ? value < summary.best.value : value > summary.best.value))
    )
      summary.best = { run, value };
  }
  return [...byName.values()].sort(
    (a, b) => (msOf(b.latest.createTime) ?? 0) - (msOf(a.latest.createTime) ?? 0),
  );
}

/** Every experiment (the distinct `Run.experiment` of the newest runs) with its run count, latest run and best value of a chosen metric. */
export async function experimentsPage(ctx: PageContext): Promise<Html> {
  const runs: Run[] = [];
  let pageToken = '';
  do {
    const page = await ctx.clients.orchestrator.listRuns({ pageSize: scanPageSize, pageToken });
    runs.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken && runs.length < experimentsScanLimit);
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const asked = ctx.query?.get('metric') || undefined;
  const chosen = asked ?? metricNames[0];
  const summaries = summarizeExperiments(runs, chosen);
  const picker = metricNames.length
    ? html`<form class="search" method="get" action="/experiments"><label for="metric">best by metric</label>
<select id="metric" name="metric">${metricNames.map((m) => html`<option${m === chosen ? html` selected` : ''}>${m}</option>`)}</select>
<button type="submit">Show</button>${chosen ? html` <span class="muted">(${lowerIsBetter(chosen) ? 'lowest' : 'highest'} is best)</span>` : ''}</form>`
    : '';
  const body = summaries.length
    ? html`${picker}<table data-testid="experiments"><thead><tr><th scope="col">experiment</th><th scope="col">runs</th><th scope="col">latest run</th><th scope="col">state</th><th scope="col">created</th>
<th scope="col">best ${chosen ?? 'metric'}</th><th scope="col">best run</th></tr></thead>
<tbody>${summaries.map(
        (
          s,
        ) => html`<tr data-experiment="${s.name}"><td>${experimentLink(s.name)}</td><td class="num">${s.runs}</td>
<td><a href="/runs/${encodeURIComponent(s.latest.id)}">${s.latest.id}</a></td><td>${badge(enumName(RunState, s.latest.state))}</td><td>${when(s.latest.createTime)}</td>
<td class="num" data-testid="best-value">${metric(s.best?.value)}</td><td>${s.best ? html`<a href="/runs/${encodeURIComponent(s.best.run.id)}">${s.best.run.id}</a>` : '—'}</td></tr>`,
      )}</tbody></table>
${runs.length >= experimentsScanLimit ? html`<p class="muted">From the newest ${runs.length} runs only; older experiments are not listed.</p>` : ''}`
    : empty('No runs yet, so no experiments.');
  return layout('Experiments', body);
}
