import { isAppError } from '@flywheel/core';
import {
  type Gate,
  type Promotion,
  routeName,
  type ServedRequestReport,
  servedRequestReports,
  valueText,
} from '@flywheel/provenance';
import { when } from '../view/format.ts';
import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import type { PageContext } from './page-context.ts';

/** Rows of a request shown; the CLI's `--rows` shows more. */
const shownRows = 5;
const traceIdPattern = /^[0-9a-f]{32}$/;

/** The search box's page: a request id or a trace id to look up. */
export async function requestsPage(_ctx: PageContext): Promise<Html> {
  return layout(
    'What served this request?',
    html`<p>Give a request id (the <code>id</code> of an inference answer) or a trace id: the console
shows the deployment, version and route that answered, the features used, and the gates that promoted
that version.</p>${searchForm('')}`,
  );
}

/**
 * What served one request (or every request of a trace, when the id is a trace id no request
 * carried): serving's record, the version's lineage and promotions, the gates of the promote step.
 */
export async function requestPage(ctx: PageContext, id: string): Promise<Html> {
  const clients = { ...ctx.clients };
  let reports: ServedRequestReport[];
  try {
    reports = await servedRequestReports(clients, { case: 'requestId', value: id });
  } catch (error) {
    if (!(isAppError(error, 'not_found') && traceIdPattern.test(id))) throw error;
    reports = await servedRequestReports(clients, { case: 'traceId', value: id });
  }
  const title = reports.length === 1 ? `Request ${reports[0]!.request.requestId}` : `Trace ${id}`;
  return layout(title, html`${searchForm(id)}${reports.map((report) => section(ctx, report))}`);
}

function searchForm(value: string): Html {
  return html`<form class="search" action="/requests" method="get" role="search">
<input type="search" name="id" value="${value}" placeholder="request id or trace id" aria-label="request id or trace id">
<button type="submit">What served it?</button></form>`;
}

function section(ctx: PageContext, report: ServedRequestReport): Html {
  const { request, trainedBy } = report;
  const latencyMs = request.latency
    ? Number(request.latency.seconds) * 1000 + request.latency.nanos / 1e6
    : undefined;
  const model = encodeURIComponent(request.modelName);
  return html`<section class="served" data-request="${request.requestId}">
<table data-testid="served"><tbody>
<tr><th>request</th><td>${request.requestId}</td></tr>
<tr><th>trace</th><td>${traceLink(ctx.traceUrl, request.traceId)}</td></tr>
<tr><th>deployment</th><td><a href="/deployments/${encodeURIComponent(request.deploymentName)}">${request.deploymentName}</a> (team ${request.team})</td></tr>
<tr><th>model version</th><td><a href="/models/${model}">${request.modelName}</a> <strong data-testid="served-version">v${request.modelVersion}</strong></td></tr>
<tr><th>route</th><td><span class="badge" data-testid="route" data-state="${routeName(request.route)}">${routeName(request.route)}</span> (stable v${request.stableVersion})${
    request.mirroredTo.length ? html`, mirrored to ${request.mirroredTo.map((v) => `v${v}`).join(', ')}` : ''
  }</td></tr>
<tr><th>answered</th><td>${when(request.time)}${latencyMs === undefined ? '' : ` in ${latencyMs.toFixed(2)} ms`}</td></tr>
<tr><th>trained by</th><td>${
    trainedBy
      ? html`run <a href="/runs/${encodeURIComponent(trainedBy.runId)}">${trainedBy.runId}</a> (${trainedBy.pipelineName}) ${traceLink(ctx.traceUrl, trainedBy.traceId)}`
      : html`<span class="muted">no run in its lineage</span>`
  }</td></tr>
<tr><th>training set</th><td>${trainedBy?.trainingSetRef || '—'}${
    trainedBy?.featureService
      ? ` · feature service ${trainedBy.featureService} v${trainedBy.featureServiceVersion}`
      : ''
  }</td></tr>
</tbody></table>
<h2>Features used</h2>
${features(report)}
<h2>Promoted by</h2>
${
  report.promotions.length
    ? html`<div data-testid="promotions">${report.promotions.map((p) => promotion(p, Number(request.modelVersion)))}</div>`
    : empty(`No alias was moved onto v${request.modelVersion}.`)
}
</section>`;
}

function features(report: ServedRequestReport): Html {
  const rows = report.request.rows.slice(0, shownRows);
  if (rows.length === 0) return empty('No rows recorded.');
  const inputs = Object.keys(rows[0]!.inputs);
  const outputs = Object.keys(rows[0]!.outputs);
  const more = report.request.rows.length - rows.length;
  return html`<table data-testid="features"><thead><tr><th>row</th><th>entity</th>${inputs.map(
    (name) =>
      html`<th>${name}<br><small class="muted">${rows[0]!.features[name] ?? 'from the request'}</small></th>`,
  )}${outputs.map((name) => html`<th class="output">${name}</th>`)}</tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr><td>${row.rowIndex}</td><td>${
        Object.entries(row.entityKey)
          .map(([k, v]) => `${k}=${valueText(v)}`)
          .join(', ') || '—'
      }</td>${inputs.map((name) => html`<td data-feature="${name}">${valueText(row.inputs[name])}</td>`)}${outputs.map(
        (name) => html`<td class="output">${valueText(row.outputs[name])}</td>`,
      )}</tr>`,
  )}</tbody></table>${more > 0 ? html`<p class="muted">… ${more} more rows (<code>flywheel served --rows</code>)</p>` : ''}`;
}

function promotion(p: Promotion, version: number): Html {
  return html`<article class="promotion" data-alias="${p.alias}">
<p><strong>@${p.alias}</strong>: ${p.previousVersion ? `v${p.previousVersion}` : 'new'} → v${version}, ${
    p.time ? p.time.toISOString().replace('T', ' ').slice(0, 19) : '—'
  } by ${p.by || '—'}</p>
<p class="reason">${p.reason || '(no reason given)'}</p>
${
  p.stepName
    ? html`<p>decided by step <code>${p.stepName}</code> of run <a href="/runs/${encodeURIComponent(p.runId)}">${p.runId}</a></p>${
        p.gates.length ? gateTable(p.gates) : empty('No gates: there was no champion to beat.')
      }`
    : empty('No gates recorded: the alias was set by hand, not by a promote step.')
}
</article>`;
}

function gateTable(gates: readonly Gate[]): Html {
  const num = (v: number | null) => (v === null ? '—' : String(Number(v.toPrecision(4))));
  return html`<table data-testid="gates"><thead><tr><th>gate metric</th><th>candidate</th><th>champion</th><th>needs</th><th>passed</th></tr></thead>
<tbody>${gates.map(
    (g) =>
      html`<tr><td>${g.metric}</td><td>${num(g.candidateValue)}</td><td>${num(g.championValue)}</td><td>${g.comparison} ${num(g.threshold)}</td><td>${badge(g.passed)}</td></tr>`,
  )}</tbody></table>`;
}

const badge = (passed: boolean): Html =>
  html`<span class="badge" data-state="${passed ? 'succeeded' : 'failed'}">${passed ? 'passed' : 'failed'}</span>`;
