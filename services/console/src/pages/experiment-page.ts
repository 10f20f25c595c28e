import { lowerIsBetter } from '@flywheel/ml/metric-direction';
import { type Run, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { badge, enumName, metric, when } from '../view/format.ts';
import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import type { PageContext } from './page-context.ts';

const pageSize = 100;

/** `metrics.<name> asc|desc` (ListRuns.order_by) split; undefined for no or another order. */
export function parseMetricOrder(order: string): { metric: string; direction: 'asc' | 'desc' } | undefined {
  const match = /^metrics\.(\S+?)(?:\s+(asc|desc))?$/.exec(order.trim());
  if (!match?.[1]) return undefined;
  return { metric: match[1], direction: match[2] === 'asc' ? 'asc' : 'desc' };
}

/** This page's URL with the given query; empty values left out. */
function pageUrl(name: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return `/experiments/${encodeURIComponent(name)}${search ? `?${search}` : ''}`;
}

/** A run's resolved parameter as JSON text (`0.1`, `"l2"`), as CompareRuns answers it. */
const paramText = (run: Run, name: string): string | undefined => {
  const value = run.parameters?.[name];
  return value === undefined ? undefined : JSON.stringify(value);
};

/**
 * One experiment's runs (ListRuns `experiment`), a column per parameter and per metric (the
 * union over the page), sorted by a metric on the server (`order_by`, a header's link), filtered by
 * a tag, with a checkbox per run to compare the picked ones.
 */
export async function experimentPage(ctx: PageContext, name: string): Promise<Html> {
  const order = ctx.query?.get('order')?.trim() ?? '';
  const tag = ctx.query?.get('tag')?.trim() ?? '';
  const pageToken = ctx.query?.get('page') ?? '';
  const { runs, nextPageToken } = await ctx.clients.orchestrator.listRuns({
    experiment: name,
    tag,
    orderBy: order,
    pageSize,
    pageToken,
  });
  const sorted = parseMetricOrder(order);
  const paramNames = [...new Set(runs.flatMap((r) => Object.keys(r.parameters ?? {})))].sort();
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const tags = [...new Set(runs.flatMap((r) => r.tags))].sort();

  // A metric's header sorts by it: first the better values first, then the other way round.
  const metricHeader = (m: string) => {
    const current = sorted?.metric === m ? sorted.direction : undefined;
    const next = current ? (current === 'desc' ? 'asc' : 'desc') : lowerIsBetter(m) ? 'asc' : 'desc';
    const ariaSort = current === 'desc' ? 'descending' : current === 'asc' ? 'ascending' : 'none';
    const arrow = current === 'desc' ? ' ▼' : current === 'asc' ? ' ▲' : '';
    return html`<th scope="col" class="metric" aria-sort="${ariaSort}" data-metric="${m}"><a href="${pageUrl(name, { order: `metrics.${m} ${next}`, tag })}" title="sort by ${m} ${next === 'asc' ? 'ascending' : 'descending'}">${m}${arrow}</a></th>`;
  };
  const rows = runs.map(
    (
      r,
    ) => html`<tr data-run="${r.id}"><td><input type="checkbox" name="run" value="${r.id}" form="compare" aria-label="pick run ${r.id} to compare"></td>
<td><a href="/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${badge(enumName(RunState, r.state))}</td><td>${when(r.createTime)}</td>
<td>${r.tags.map((t) => html`<a class="chip" href="${pageUrl(name, { order, tag: t })}">${t}</a> `)}</td>
${paramNames.map((p) => html`<td data-param="${p}">${paramText(r, p) ?? '—'}</td>`)}
${metricNames.map((m) => html`<td class="num" data-metric="${m}">${metric(r.metrics[m])}</td>`)}</tr>`,
  );
  const filter = html`<form class="search" method="get" action="${pageUrl(name, {})}"><label for="tag">tag</label>
<input id="tag" name="tag" list="tags" value="${tag}"><datalist id="tags">${tags.map((t) => html`<option value="${t}">`)}</datalist>
${order ? html`<input type="hidden" name="order" value="${order}">` : ''}<button type="submit">Filter</button>
${tag ? html`<a href="${pageUrl(name, { order })}">all tags</a>` : ''}</form>`;
  const table = runs.length
    ? html`<form id="compare" method="get" action="/compare"><button type="submit">Compare picked runs</button></form>
<table data-testid="experiment-runs"><caption>${runs.length} run${runs.length === 1 ? '' : 's'}${tag ? html` tagged <b>${tag}</b>` : ''}${sorted ? html`, by ${sorted.metric} ${sorted.direction === 'asc' ? 'ascending' : 'descending'} (runs without it last)` : ', newest first'}</caption>
<thead><tr><th scope="col">pick</th><th scope="col">run</th><th scope="col">state</th><th scope="col">created</th><th scope="col">tags</th>
${paramNames.map((p) => html`<th scope="col" class="param">${p}</th>`)}${metricNames.map(metricHeader)}</tr></thead>
<tbody>${rows}</tbody></table>
${nextPageToken ? html`<p><a rel="next" href="${pageUrl(name, { order, tag, page: nextPageToken })}">next ${pageSize} runs</a></p>` : ''}`
    : empty(tag ? `No run of ${name} is tagged ${tag}.` : `No runs in experiment ${name}.`);
  return layout(
    `Experiment ${name}`,
    html`<p><a href="/experiments">all experiments</a></p>${filter}${table}`,
  );
}
