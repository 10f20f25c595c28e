import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { badge, between, duration, enumName, when } from '../view/format.ts';
import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import { experimentLink } from './experiment-link.ts';
import type { PageContext } from './page-context.ts';

/** The latest pipeline runs, newest first. */
export async function runsPage(ctx: PageContext): Promise<Html> {
  const { runs } = await ctx.clients.orchestrator.listRuns({ pageSize: 100 });
  const sorted = [...runs].sort((a, b) =>
    Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)),
  );
  const body = sorted.length
    ? html`<table data-testid="runs"><thead><tr><th>run</th><th>pipeline</th><th>experiment</th><th>state</th><th>trigger</th><th>created</th><th>duration</th><th>trace</th></tr></thead>
<tbody>${sorted.map(
        (
          r,
        ) => html`<tr><td><a href="/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.pipelineName}</td>
<td>${experimentLink(r.experiment || r.pipelineName)}</td><td>${badge(enumName(RunState, r.state))}</td><td>${r.trigger?.triggerRuleName || r.trigger?.scheduleName || r.runRequestId || 'submitted'}</td>
<td>${when(r.createTime)}</td><td>${duration(between(r.startTime, r.endTime))}</td><td>${traceLink(ctx.traceUrl, r.traceId)}</td></tr>`,
      )}</tbody></table>`
    : empty('No runs yet.');
  return layout('Pipeline runs', body);
}
