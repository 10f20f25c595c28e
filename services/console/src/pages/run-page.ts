import { toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import {
  LogStream,
  RunState,
  type StepRun,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { badge, between, duration, enumName, when } from '../view/format.ts';
import { graphSvg } from '../view/graph-svg.ts';
import { type Html, html } from '../view/html.ts';
import { layout } from '../view/layout.ts';
import { traceLink } from '../view/trace-link.ts';
import { experimentLink } from './experiment-link.ts';
import type { PageContext } from './page-context.ts';

const finished = new Set([RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED]);

/** One run: its DAG with each step's state and duration, the steps' table and their logs. */
export async function runPage(ctx: PageContext, runId: string): Promise<Html> {
  return layout(`Run ${runId}`, await runDetail(ctx, runId));
}

/**
 * The run's live part; while the run is not finished, htmx re-fetches it every 2 s
 * (`/runs/<id>/detail`), so states and durations move without a reload.
 */
export async function runDetail(ctx: PageContext, runId: string): Promise<Html> {
  const { run } = await ctx.clients.orchestrator.getRun({ runId });
  if (!run) return html`<p class="empty">No such run.</p>`;
  const live = !finished.has(run.state);
  const steps = new Map(run.steps.map((s) => [s.name, s]));
  const nodes = (run.spec?.steps ?? []).map((spec) => {
    const step = steps.get(spec.name);
    const state = step ? enumName(StepState, step.state) : 'pending';
    const took = step ? between(step.startTime, step.endTime) : undefined;
    return {
      id: spec.name,
      label: spec.name,
      detail: took === undefined ? state : `${state} · ${duration(took)}`,
      state,
    };
  });
  const edges = (run.spec?.steps ?? []).flatMap((spec) =>
    spec.dependsOn.map((from) => ({ from, to: spec.name })),
  );
  const refresh = live
    ? html` hx-get="/runs/${encodeURIComponent(runId)}/detail" hx-trigger="every 2s" hx-swap="outerHTML"`
    : html``;
  return html`<section id="run-detail"${refresh}>
<p>pipeline <b>${run.pipelineName}</b> (revision ${run.pipelineRevision}) · experiment ${experimentLink(run.experiment || run.pipelineName)}${run.tags.map((t) => html` <span class="chip">${t}</span>`)} · team ${run.team} · ${badge(enumName(RunState, run.state))}
· created ${when(run.createTime)} · took ${duration(between(run.startTime, run.endTime))} · ${traceLink(ctx.traceUrl, run.traceId)}</p>
${run.failure ? html`<p class="error">failed: ${run.failure.message}</p>` : ''}
<h2>DAG</h2>
${graphSvg(nodes, edges, 'run-dag')}
<h2>Steps</h2>
<table data-testid="steps"><thead><tr><th>step</th><th>state</th><th>attempts</th><th>started</th><th>duration</th><th>failure</th></tr></thead>
<tbody>${run.steps.flatMap((s) => [stepRow(s), ...s.iterations.map((it) => stepRow(it, true))])}</tbody></table>
<h2>Logs</h2>
${await runLogs(ctx, runId)}
</section>`;
}

/** A step's row; a for_each iteration's is indented, with its item. */
function stepRow(s: StepRun, iteration = false): Html {
  const item = iteration && s.item ? ` ${JSON.stringify(toJson(ValueSchema, s.item))}` : '';
  return html`<tr${iteration ? html` class="iteration"` : html``}><td>${iteration ? '↳ ' : ''}${s.name}${item}</td><td>${badge(enumName(StepState, s.state))}</td><td>${s.attempts.length}</td>
<td>${when(s.startTime)}</td><td>${duration(between(s.startTime, s.endTime))}</td><td>${s.failure?.message}</td></tr>`;
}

/** The last lines of every step's latest attempt (StreamJobLogs without follow). */
async function runLogs(ctx: PageContext, runId: string): Promise<Html> {
  const lines: Html[] = [];
  for await (const batch of ctx.clients.orchestrator.streamJobLogs({ runId, tailLines: 200 })) {
    for (const line of batch.lines) {
      lines.push(
        html`<span class="log" data-stream="${enumName(LogStream, line.stream)}">${when(line.time)} [${line.stepName}#${line.attempt}] ${line.text}</span>\n`,
      );
    }
  }
  return lines.length
    ? html`<pre data-testid="logs">${lines}</pre>`
    : html`<p class="empty">No log lines.</p>`;
}
