import { type Html, html } from './html.ts';

const nav = [
  ['/models', 'Models'],
  ['/runs', 'Runs'],
  ['/experiments', 'Experiments'],
  ['/deployments', 'Deployments'],
  ['/drift', 'Drift'],
  ['/alerts', 'Alerts'],
  ['/lead-time', 'Lead time'],
  ['/requests', 'Requests'],
] as const;

/** The page frame: navigation, the console's stylesheet, htmx and Chart.js from the console's own assets. */
export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title} · Flywheel console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/htmx.js"></script>
<script src="/assets/chart.js"></script>
<script src="/assets/console.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">Flywheel</a><nav>${nav.map(([href, label]) => html`<a href="${href}">${label}</a>`)}</nav>
<form class="lookup" action="/requests" method="get" role="search"><input type="search" name="id" placeholder="what served request / trace…" aria-label="what served this request"></form></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A short notice for a missing or empty thing. */
export const empty = (text: string): Html => html`<p class="empty">${text}</p>`;
