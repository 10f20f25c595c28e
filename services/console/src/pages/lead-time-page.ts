import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { ModelVersion } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { between, duration, msOf, when } from '../view/format.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import type { PageContext } from './page-context.ts';

/**
 * The loop's lead time, per run a trigger rule started: triggered (the run's creation) → trained
 * (the run's end) → registered (the version's creation) → promoted (its alias change), each read
 * from the service that owns it.
 */
export async function leadTimePage(ctx: PageContext): Promise<Html> {
  const { registry, orchestrator } = ctx.clients;
  const { runs } = await orchestrator.listRuns({ pageSize: 200 });
  const triggered = runs.filter((r) => r.trigger?.source === RunSource.TRIGGER);
  const { models } = await registry.listModels({ pageSize: 200 });
  const versionsByRun = new Map<string, ModelVersion>();
  const promotedAt = new Map<string, { at: Date | undefined; alias: string }>();
  for (const model of models) {
    const [{ versions }, { changes }] = await Promise.all([
      registry.listVersions({ modelName: model.name, pageSize: 200 }),
      registry.getAliasHistory({ modelName: model.name, pageSize: 200 }),
    ]);
    for (const v of versions) {
      const runId = v.lineage?.pipelineRunId;
      if (!runId) continue;
      versionsByRun.set(runId, v);
      const change = changes
        .filter((c) => c.modelVersion === v.version)
        .sort((a, b) => (msOf(a.changeTime) ?? 0) - (msOf(b.changeTime) ?? 0))[0];
      if (change) promotedAt.set(runId, { at: new Date(msOf(change.changeTime) ?? 0), alias: change.alias });
    }
  }
  const rows = triggered.map((run) => {
    const version = versionsByRun.get(run.id);
    const promoted = promotedAt.get(run.id);
    const leadMs =
      promoted?.at && msOf(run.createTime) !== undefined
        ? promoted.at.getTime() - (msOf(run.createTime) ?? 0)
        : undefined;
    return { run, version, promoted, leadMs };
  });
  const chart = {
    labels: rows.map((r) => r.run.id),
    datasets: [
      {
        label: 'trigger → run finished (s)',
        data: rows.map((r) => (between(r.run.createTime, r.run.endTime) ?? 0) / 1000),
      },
      { label: 'trigger → promoted (s)', data: rows.map((r) => (r.leadMs ?? 0) / 1000) },
    ],
  };
  const body = rows.length
    ? html`<table data-testid="lead-times"><thead><tr><th>run</th><th>trigger</th><th>event</th><th>triggered</th><th>run took</th><th>version</th><th>promoted</th><th>lead time</th><th>trace</th></tr></thead>
<tbody>${rows.map(
        ({
          run,
          version,
          promoted,
          leadMs,
        }) => html`<tr><td><a href="/runs/${encodeURIComponent(run.id)}">${run.id}</a></td>
<td>${run.trigger?.triggerRuleName}</td><td>${run.trigger?.event?.type}</td><td>${when(run.createTime)}</td>
<td>${duration(between(run.createTime, run.endTime))}</td>
<td>${version ? html`<a href="/models/${encodeURIComponent(version.modelName)}">${version.modelName} v${version.version}</a>` : 'none (gated out)'}</td>
<td>${promoted ? `${promoted.alias} at ${promoted.at?.toISOString().replace('T', ' ').slice(0, 19)}` : '—'}</td>
<td class="lead">${duration(leadMs)}</td><td>${traceLink(ctx.traceUrl, run.traceId)}</td></tr>`,
      )}</tbody></table>
<div class="chart"><canvas data-chart="bar" data-source="lead-chart"></canvas></div>${jsonScript('lead-chart', chart)}`
    : empty('No run was started by a trigger yet: the loop has not closed.');
  return layout('Loop lead time', body);
}
