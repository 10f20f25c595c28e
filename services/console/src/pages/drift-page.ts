import { DriftTestKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { badge, enumName, metric, msOf, when } from '../view/format.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import type { PageContext } from './page-context.ts';

/** The monitored models, each a link to its drift report. */
export async function driftIndexPage(ctx: PageContext): Promise<Html> {
  const { monitors } = await ctx.clients.monitoring.listMonitors({ pageSize: 200 });
  const body = monitors.length
    ? html`<table data-testid="monitors"><thead><tr><th>monitor</th><th>model</th><th>deployment</th><th>features</th><th>window</th></tr></thead>
<tbody>${monitors.map(
        (
          m,
        ) => html`<tr><td>${m.name}</td><td><a href="/drift/${encodeURIComponent(m.modelName)}">${m.modelName}</a></td><td>${m.deploymentName || 'all'}</td>
<td>${m.features.map((f) => f.name).join(', ')}</td><td>${m.window?.size} predictions</td></tr>`,
      )}</tbody></table>`
    : empty('No monitors yet.');
  return layout('Drift', body);
}

/**
 * One model's drift: the latest result per feature, each feature's statistics over time (one line
 * per test), and the reference histogram of each feature of the version monitored beside its latest
 * window's.
 */
export async function driftPage(ctx: PageContext, modelName: string): Promise<Html> {
  const { monitoring } = ctx.clients;
  const report = await monitoring.getDriftReport({ modelName });
  const { results: history } = await monitoring.listDriftResults({ modelName, pageSize: 1000, segment: '' });
  const version = report.modelVersion;
  const profile =
    version > 0n
      ? await monitoring.getReferenceProfile({ modelName, modelVersion: version }).then(
          (r) => r.profile,
          () => undefined,
        )
      : undefined;
  const features = [...new Set(history.map((r) => r.feature))].sort();
  const ordered = [...history].sort((a, b) => (msOf(a.windowEndTime) ?? 0) - (msOf(b.windowEndTime) ?? 0));
  const overTime = features.map((feature) => {
    const rows = ordered.filter((r) => r.feature === feature);
    const kinds = [...new Set(rows.flatMap((r) => r.tests.map((t) => t.kind)))];
    return {
      feature,
      chart: {
        datasets: kinds.map((kind) => ({
          label: DriftTestKind[kind] ?? String(kind),
          data: rows.flatMap((r) =>
            r.tests
              .filter((t) => t.kind === kind)
              .map((t) => ({
                x: msOf(r.windowEndTime) ?? 0,
                y: t.statistic,
                version: Number(r.modelVersion),
              })),
          ),
        })),
      },
    };
  });
  // The reference and the latest window of each numeric feature on the reference's bins, as shares
  // of their values (a window holds far fewer than the reference).
  const latest = new Map(
    report.results.filter((r) => r.segment === '' && r.modelVersion === version).map((r) => [r.feature, r]),
  );
  const histograms = (profile?.features ?? []).flatMap((f) => {
    if (f.distribution.case !== 'numeric') return [];
    const { binEdges, binCounts } = f.distribution.value;
    const edge = (v: number | undefined) => (v === undefined ? '' : v.toFixed(2));
    const labels = binCounts.map((_, i) => `${edge(binEdges[i])}–${edge(binEdges[i + 1])}`);
    const current = latest.get(f.name)?.current;
    const datasets = [{ label: `reference v${version}`, data: sharesOf(binCounts) }];
    if (current?.case === 'currentNumeric' && current.value.binCounts.length === binCounts.length)
      datasets.push({ label: 'current window', data: sharesOf(current.value.binCounts) });
    return [{ feature: f.name, chart: { labels, datasets } }];
  });
  const body = html`<p>model <b>${modelName}</b> · latest version with a window: v${version} · drifted share ${(report.driftedShare * 100).toFixed(0)}%</p>
<h2>Latest window per feature</h2>
${
  report.results.length
    ? html`<table data-testid="drift-report"><thead><tr><th>feature</th><th>monitor</th><th>window</th><th>samples</th><th>tests</th><th>drifted</th></tr></thead>
<tbody>${report.results.map(
        (
          r,
        ) => html`<tr><td>${r.feature}</td><td>${r.monitorName}</td><td>${when(r.windowStartTime)} → ${when(r.windowEndTime)}</td>
<td class="num">${r.sampleCount} / ref ${r.referenceCount}</td>
<td>${r.tests.map((t) => html`<span class="chip" data-drifted="${t.drifted}">${enumName(DriftTestKind, t.kind)} ${metric(t.statistic)} (≥ ${t.threshold})</span> `)}</td>
<td>${badge(r.drifted ? 'drifted' : 'ok')}</td></tr>`,
      )}</tbody></table>`
    : empty('No drift window evaluated yet.')
}
${report.untested.length ? html`<p class="muted">untested: ${report.untested.map((u) => `${u.feature} (${u.reason})`).join('; ')}</p>` : ''}
<h2>Statistics over time</h2>
<div class="grid">${overTime.map(
    (f) =>
      html`<figure><figcaption>${f.feature}</figcaption><div class="chart"><canvas data-chart="time" data-source="drift-${f.feature}"></canvas></div>${jsonScript(`drift-${f.feature}`, f.chart)}</figure>`,
  )}</div>
<h2>Reference and current-window histograms (v${version})</h2>
<p class="muted">Share of values per reference bin (%); the outer bins also hold the window's values beyond the reference's range.</p>
<div class="grid">${histograms.map(
    (h) =>
      html`<figure><figcaption>${h.feature}</figcaption><div class="chart"><canvas data-chart="bar" data-source="hist-${h.feature}"></canvas></div>${jsonScript(`hist-${h.feature}`, h.chart)}</figure>`,
  )}</div>`;
  return layout(`Drift of ${modelName}`, body);
}

/** Counts as percentages of their total (all zeros when empty). */
function sharesOf(counts: readonly bigint[]): number[] {
  const total = counts.reduce((a, b) => a + Number(b), 0);
  return counts.map((c) => (total > 0 ? (Number(c) * 100) / total : 0));
}
