import type { AliasChange, ModelVersion } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { duration, whenMs } from '../view/format.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import { type LeadTimeRow, leadTimeRows } from './lead-times.ts';
import type { PageContext } from './page-context.ts';

/**
 * The loop's lead time, per run a trigger rule started: the trigger event (e.g. drift.detected, at
 * its CloudEvent time) → trained (the run's end) → registered (the version's creation) → promoted
 * (its alias change), each read from the service that owns it (lead-times.ts).
 */
export async function leadTimePage(ctx: PageContext): Promise<Html> {
  const { registry, orchestrator } = ctx.clients;
  const { runs } = await orchestrator.listRuns({ pageSize: 200 });
  const { models } = await registry.listModels({ pageSize: 200 });
  const versions: ModelVersion[] = [];
  const changes: AliasChange[] = [];
  for (const model of models) {
    const [listed, history] = await Promise.all([
      registry.listVersions({ modelName: model.name, pageSize: 200 }),
      registry.getAliasHistory({ modelName: model.name, pageSize: 200 }),
    ]);
    versions.push(...listed.versions);
    changes.push(...history.changes);
  }
  const rows = leadTimeRows(runs, versions, changes);
  const chart = {
    labels: rows.map((r) => r.run.id),
    datasets: [
      { label: 'trigger event → run finished (s)', data: rows.map((r) => (r.toRunEndMs ?? 0) / 1000) },
      { label: 'trigger event → promoted (s)', data: rows.map((r) => (r.leadMs ?? 0) / 1000) },
    ],
  };
  const body = rows.length
    ? html`<table data-testid="lead-times"><thead><tr><th>run</th><th>trigger</th><th>event</th><th>event at</th><th>event → run done</th><th>version</th><th>promoted</th><th>lead time</th><th>trace</th></tr></thead>
<tbody>${rows.map(
        (row) => html`<tr><td><a href="/runs/${encodeURIComponent(row.run.id)}">${row.run.id}</a></td>
<td>${row.run.trigger?.triggerRuleName}</td><td>${row.run.trigger?.event?.type}</td><td class="start">${startText(row)}</td>
<td>${duration(row.toRunEndMs)}</td>
<td>${row.version ? html`<a href="/models/${encodeURIComponent(row.version.modelName)}">${row.version.modelName} v${row.version.version}</a>` : 'none (gated out)'}</td>
<td>${row.promoted ? `${row.promoted.alias} at ${whenMs(row.promoted.atMs)}` : '—'}</td>
<td class="lead">${duration(row.leadMs)}</td><td>${traceLink(ctx.traceUrl, row.run.traceId)}</td></tr>`,
      )}</tbody></table>
<p>The lead time runs from the trigger event's time to the alias change; serving's
<code>flywheel_loop_lead_time_seconds</code> runs from the same event to the version taking all the traffic.</p>
<div class="chart"><canvas data-chart="bar" data-source="lead-chart"></canvas></div>${jsonScript('lead-chart', chart)}`
    : empty('No run was started by a trigger yet: the loop has not closed.');
  return layout('Loop lead time', body);
}

/** When the lead time starts, saying so when only the run's creation is known. */
function startText(row: LeadTimeRow): string {
  if (!row.start) return '—';
  return row.start.from === 'event'
    ? whenMs(row.start.atMs)
    : `${whenMs(row.start.atMs)} (run created; no event time)`;
}
