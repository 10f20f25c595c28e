import type { Run } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { Stage } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { enumName, metric, when } from '../view/format.ts';
import { type GraphEdge, type GraphNode, graphSvg } from '../view/graph-svg.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import type { PageContext } from './page-context.ts';

/**
 * One model: its versions with their metrics side by side (a table and a grouped bar chart), the
 * aliases and their history, and the lineage graph (training sets → runs → versions → children).
 */
export async function modelPage(ctx: PageContext, name: string): Promise<Html> {
  const { registry, orchestrator } = ctx.clients;
  const [{ model }, { versions }, { changes }] = await Promise.all([
    registry.getModel({ modelName: name }),
    registry.listVersions({ modelName: name, pageSize: 200 }),
    registry.getAliasHistory({ modelName: name, pageSize: 200 }),
  ]);
  // A version's trace is its producing run's (the registry keeps the run id, the orchestrator the trace).
  const runIds = [
    ...new Set(versions.map((v) => v.lineage?.pipelineRunId).filter((id): id is string => !!id)),
  ];
  const runs = new Map<string, Run>();
  await Promise.all(
    runIds.map(async (runId) => {
      const run = await orchestrator.getRun({ runId }).then(
        (r) => r.run,
        () => undefined,
      );
      if (run) runs.set(runId, run);
    }),
  );
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))].sort();
  const sorted = [...versions].sort((a, b) => Number(a.version - b.version));

  const versionRows = sorted.map((v) => {
    const runId = v.lineage?.pipelineRunId;
    return html`<tr data-version="${v.version}"><td>v${v.version}</td><td>${enumName(Stage, v.stage)}</td>
<td>${v.aliases.map((a) => html`<span class="chip">${a}</span> `)}</td>
${metricNames.map((m) => html`<td class="num">${metric(v.metrics[m])}</td>`)}
<td>${runId ? html`<a href="/runs/${encodeURIComponent(runId)}">${runId}</a>` : '—'}</td>
<td>${traceLink(ctx.traceUrl, runId ? runs.get(runId)?.traceId : undefined)}</td>
<td>${when(v.audit?.createTime)}</td><td>${v.audit?.createdBy?.subject}</td></tr>`;
  });

  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const addNode = (node: GraphNode) => {
    if (!seen.has(node.id)) nodes.push(node);
    seen.add(node.id);
  };
  for (const v of sorted) {
    const id = `v${v.version}`;
    addNode({
      id,
      label: `${name} v${v.version}`,
      detail: v.aliases.length ? v.aliases.join(', ') : enumName(Stage, v.stage),
      state: v.aliases.includes('champion') ? 'champion' : 'version',
    });
    const lineage = v.lineage;
    if (lineage?.trainingSetRef) {
      addNode({
        id: `ts:${lineage.trainingSetRef}`,
        label: 'training set',
        detail: lineage.trainingSetRef,
        state: 'data',
      });
    }
    if (lineage?.pipelineRunId) {
      addNode({
        id: `run:${lineage.pipelineRunId}`,
        label: lineage.pipelineName || 'run',
        detail: lineage.pipelineRunId,
        state: 'run',
        href: `/runs/${encodeURIComponent(lineage.pipelineRunId)}`,
      });
      if (lineage.trainingSetRef)
        edges.push({ from: `ts:${lineage.trainingSetRef}`, to: `run:${lineage.pipelineRunId}` });
      edges.push({ from: `run:${lineage.pipelineRunId}`, to: id });
    } else if (lineage?.trainingSetRef) {
      edges.push({ from: `ts:${lineage.trainingSetRef}`, to: id });
    }
    for (const parent of lineage?.parentVersions ?? []) {
      if (parent.modelName === name) edges.push({ from: `v${parent.modelVersion}`, to: id });
    }
  }

  // Scores and rates share one axis; counts and other large values stay in the table only.
  const charted = metricNames.filter((m) => sorted.every((v) => Math.abs(v.metrics[m] ?? 0) <= 1));
  const chart = {
    labels: charted,
    datasets: sorted.map((v) => ({ label: `v${v.version}`, data: charted.map((m) => v.metrics[m] ?? null) })),
  };
  const body = html`<p>team <b>${model?.team}</b> · latest v${model?.latestVersion} · ${model?.description}</p>
<h2>Versions</h2>
${
  versions.length
    ? html`<table data-testid="versions"><thead><tr><th>version</th><th>stage</th><th>aliases</th>${metricNames.map((m) => html`<th>${m}</th>`)}<th>run</th><th>trace</th><th>created</th><th>by</th></tr></thead>
<tbody>${versionRows}</tbody></table>`
    : empty('No versions yet.')
}
<h2>Metrics side by side</h2>
${charted.length ? html`<div class="chart"><canvas data-chart="bar" data-source="metrics-chart"></canvas></div>${jsonScript('metrics-chart', chart)}` : empty('No metrics recorded.')}
<h2>Aliases and their history</h2>
${
  changes.length
    ? html`<table data-testid="alias-history"><thead><tr><th>when</th><th>alias</th><th>from</th><th>to</th><th>reason</th><th>by</th></tr></thead>
<tbody>${changes.map(
        (c) => html`<tr><td>${when(c.changeTime)}</td><td><span class="chip">${c.alias}</span></td>
<td>${c.previousVersion ? `v${c.previousVersion}` : '—'}</td><td>${c.modelVersion ? `v${c.modelVersion}` : 'deleted'}</td>
<td>${c.reason}</td><td>${c.principal?.subject}</td></tr>`,
      )}</tbody></table>`
    : empty('No alias was ever set.')
}
<h2>Lineage</h2>
${nodes.length ? graphSvg(nodes, edges, 'lineage') : empty('No lineage.')}`;
  return layout(`Model ${name}`, body);
}
