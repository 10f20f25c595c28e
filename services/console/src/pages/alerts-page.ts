import {
  AlertKind,
  AlertSeverity,
  AlertState,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { badge, enumName, when } from '../view/format.ts';
import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import type { PageContext } from './page-context.ts';

/** Monitoring's alerts, open and resolved, newest first. */
export async function alertsPage(ctx: PageContext): Promise<Html> {
  const { alerts } = await ctx.clients.monitoring.listAlerts({ pageSize: 200 });
  const sorted = [...alerts].sort((a, b) =>
    Number((b.raiseTime?.seconds ?? 0n) - (a.raiseTime?.seconds ?? 0n)),
  );
  const body = sorted.length
    ? html`<table data-testid="alerts"><thead><tr><th>raised</th><th>state</th><th>severity</th><th>kind</th><th>model</th><th>title</th><th>resolved</th></tr></thead>
<tbody>${sorted.map(
        (
          a,
        ) => html`<tr><td>${when(a.raiseTime)}</td><td>${badge(enumName(AlertState, a.state))}</td><td>${badge(enumName(AlertSeverity, a.severity))}</td>
<td>${enumName(AlertKind, a.kind)}</td><td><a href="/drift/${encodeURIComponent(a.modelName)}">${a.modelName} v${a.modelVersion}</a></td>
<td>${a.title}</td><td>${when(a.resolveTime)}</td></tr>`,
      )}</tbody></table>`
    : empty('No alerts.');
  return layout('Alerts', body);
}
