import { type Html, html } from '../view/html.ts';
import { empty, layout } from '../view/layout.ts';
import type { PageContext } from './page-context.ts';

/** Every registered model with its aliases and latest version. */
export async function modelsPage(ctx: PageContext): Promise<Html> {
  const { models } = await ctx.clients.registry.listModels({ pageSize: 200 });
  const body = models.length
    ? html`<table data-testid="models">
<thead><tr><th>model</th><th>team</th><th>latest</th><th>aliases</th><th>description</th></tr></thead>
<tbody>${models.map(
        (
          m,
        ) => html`<tr><td><a href="/models/${encodeURIComponent(m.name)}">${m.name}</a></td><td>${m.team}</td>
<td>v${m.latestVersion}</td><td>${Object.entries(m.aliases).map(([alias, v]) => html`<span class="chip">${alias} → v${v}</span> `)}</td>
<td>${m.description}</td></tr>`,
      )}</tbody></table>`
    : empty('No models registered yet.');
  return layout('Model registry', body);
}
