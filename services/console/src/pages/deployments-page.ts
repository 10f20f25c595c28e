import { DeploymentState, RolloutState, RouteRole } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { badge, enumName, metric, when } from '../view/format.ts';
import { type Html, html, jsonScript } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import type { PageContext } from './page-context.ts';

const targetOf = (selector: { case: string | undefined; value?: unknown }): string =>
  selector.case === 'alias'
    ? `@${String(selector.value)}`
    : selector.case === 'modelVersion'
      ? `/${String(selector.value)}`
      : '';

/** Every deployment: what it targets, its stable version and where its traffic goes now. */
export async function deploymentsPage(ctx: PageContext): Promise<Html> {
  const { deployments } = await ctx.clients.serving.listDeployments({ pageSize: 200 });
  const body = deployments.length
    ? html`<table data-testid="deployments"><thead><tr><th>deployment</th><th>target</th><th>state</th><th>stable</th><th>routes</th></tr></thead>
<tbody>${deployments.map(
        (d) => html`<tr><td><a href="/deployments/${encodeURIComponent(d.name)}">${d.name}</a></td>
<td>models:/${d.target?.modelName}${d.target ? targetOf(d.target.selector) : ''}</td><td>${badge(enumName(DeploymentState, d.state))}</td>
<td>v${d.stableVersion}</td><td>${d.routes.map((r) => html`<span class="chip">${enumName(RouteRole, r.role)} v${r.modelVersion} ${r.percent}%</span> `)}</td></tr>`,
      )}</tbody></table>`
    : empty('No deployments yet.');
  return layout('Deployments', body);
}

/** One deployment: the traffic split (a doughnut), the rollout's canary steps, SLO checks and why it ended as it did. */
export async function deploymentPage(ctx: PageContext, name: string): Promise<Html> {
  const [{ deployment }, { rollout }] = await Promise.all([
    ctx.clients.serving.getDeployment({ deploymentName: name }),
    ctx.clients.serving.getRolloutStatus({ deploymentName: name }),
  ]);
  if (!deployment) return layout(`Deployment ${name}`, empty('No such deployment.'));
  const split = {
    labels: deployment.routes.map((r) => `${enumName(RouteRole, r.role)} v${r.modelVersion}`),
    datasets: [{ label: 'traffic %', data: deployment.routes.map((r) => r.percent) }],
  };
  const canary =
    rollout?.trafficSplit?.strategy.case === 'canary' ? rollout.trafficSplit.strategy.value : undefined;
  const steps = canary?.stepPercents ?? [];
  const rolloutSection = rollout
    ? html`<table data-testid="rollout"><tbody>
<tr><th>rollout</th><td>${rollout.rolloutId}</td></tr>
<tr><th>state</th><td>${badge(enumName(RolloutState, rollout.state))}</td></tr>
<tr><th>stable → candidate</th><td>v${rollout.stableVersion} → v${rollout.candidateVersion}</td></tr>
<tr><th>canary progress</th><td>${
        steps.length
          ? html`<ol class="steps">${steps.map((p, i) => html`<li data-state="${i < rollout.stepIndex ? 'passed' : i === rollout.stepIndex ? 'current' : 'next'}">${p}%</li>`)}</ol>`
          : 'no canary steps (replaced at once)'
      }</td></tr>
<tr><th>started</th><td>${when(rollout.startTime)}</td></tr>
<tr><th>step ends</th><td>${when(rollout.stepEndTime)}</td></tr>
<tr><th>ended</th><td>${when(rollout.endTime)}</td></tr>
<tr><th>${rollout.state === RolloutState.ROLLED_BACK ? 'rollback reason' : 'message'}</th><td class="reason">${rollout.message || '—'}</td></tr>
</tbody></table>
<h3>SLO checks</h3>
${
  rollout.checks.length
    ? html`<table data-testid="slo-checks"><thead><tr><th>check</th><th>threshold</th><th>observed</th><th>passed</th></tr></thead><tbody>${rollout.checks.map(
        (c) =>
          html`<tr><td>${c.name}</td><td class="num">${metric(c.threshold)}</td><td class="num">${metric(c.observed)}</td><td>${badge(c.passed ? 'passed' : 'failed')}</td></tr>`,
      )}</tbody></table>`
    : empty('No SLO checks in this rollout.')
}`
    : empty('No rollout yet: every new version replaced the stable one at once.');
  const body = html`<p>models:/${deployment.target?.modelName}${deployment.target ? targetOf(deployment.target.selector) : ''} · ${badge(enumName(DeploymentState, deployment.state))} · stable v${deployment.stableVersion} ${deployment.stateMessage}</p>
<h2>Traffic split</h2>
<div class="chart small"><canvas data-chart="doughnut" data-source="traffic-chart"></canvas></div>${jsonScript('traffic-chart', split)}
<table data-testid="routes"><thead><tr><th>role</th><th>version</th><th>percent</th></tr></thead><tbody>${deployment.routes.map(
    (r) =>
      html`<tr><td>${enumName(RouteRole, r.role)}</td><td>v${r.modelVersion}</td><td class="num">${r.percent}%</td></tr>`,
  )}</tbody></table>
<h2>Rollout</h2>
${rolloutSection}`;
  return layout(`Deployment ${name}`, body);
}
